"""Answer text is always a passage of the knowledge base, shortened to what answers."""

from __future__ import annotations

from server.ask.answerer import answer_text, snippet, split_sentences


def idf(term: str) -> float:
    return 1.0


def test_short_passage_is_the_answer_as_it_stands() -> None:
    passage = "Go to Settings. Click Billing. Replace the card."
    assert answer_text(passage, "change card", idf) == passage


def test_long_passage_is_cut_to_the_sentences_that_answer() -> None:
    filler = " ".join(f"Sentence {i} talks about workspace themes and colours." for i in range(12))
    passage = (
        f"{filler} Refunds reach your card within ten business days. "
        "Contact support if they do not arrive. " + filler
    )
    answer = answer_text(passage, "when will my refund arrive", idf)
    assert "Refunds reach your card within ten business days." in answer
    assert len(split_sentences(answer)) <= 3
    assert answer in passage


def test_snippet_cuts_at_a_word() -> None:
    text = "word " * 100
    cut = snippet(text, limit=22)
    assert cut == "word word word word…"
