"""Retrieval on a tiny knowledge base with the fake embedder: ranking rules, not the model."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.live import LiveIndex
from ingest.versions import EmbeddedVersions
from server.ask.answerer import Answerer
from server.ask.decision import Decider
from server.ask.query_encoder import QueryEncoder
from server.ask.retrieval import Retriever
from tests.conftest import make_job, write_article
from tests.fakes import FakeEmbedder


@pytest.fixture
def answerer(tmp_path: Path) -> Answerer:
    kb = tmp_path / "kb"
    write_article(
        kb,
        "refunds.md",
        "id: refunds\ntitle: Refunds\nurl: /help/refunds\npages: [/settings/billing*]\n"
        "questions: [can I get my money back]",
        "## How long refunds take\n\nRefunds reach your card in ten days.\n\n"
        "## Partial refunds\n\nUnused seats are refunded pro rata.\n",
    )
    write_article(
        kb,
        "export.md",
        "id: export\ntitle: Export your data\nurl: /help/export\npages: [/export]",
        "## Export a workspace\n\nDownload a zip of every project and refund record.\n",
    )
    write_article(
        kb,
        "de/refunds.md",
        "id: refunds-de\ntitle: Rückerstattungen\nurl: /de/help/refunds\nlocale: de",
        "## Dauer\n\nRückerstattungen dauern zehn Tage.\n",
    )
    embedder = FakeEmbedder()
    make_job(kb, EmbeddedVersions(tmp_path / "data", "frontdesk"), embedder).run()
    live = LiveIndex(EmbeddedVersions(tmp_path / "data", "frontdesk"), embedder.model_id)
    return Answerer(
        live, QueryEncoder(embedder), Retriever("en", page_boost=10.0), Decider(0.5, 0.2)
    )


def ask(
    answerer: Answerer, question: str, page: str | None = None, locale: str | None = None
) -> list[str]:
    vector = answerer.encoder.encode_now([question])[0]
    outcome = answerer.answer(question, vector, page, locale)
    return [h.article_id for h in outcome.retrieval.hits]


def test_sample_question_finds_its_article_but_a_section_is_cited(answerer: Answerer) -> None:
    vector = answerer.encoder.encode_now(["can I get my money back"])[0]
    outcome = answerer.answer("can I get my money back", vector)
    top = outcome.retrieval.hits[0]
    assert top.article_id == "refunds"
    assert top.best_chunk.kind == "section" and top.best_chunk.anchor


def test_page_boost_lifts_the_article_of_the_current_page(answerer: Answerer) -> None:
    assert ask(answerer, "refund record")[0] == "export"
    assert ask(answerer, "refund record", page="/settings/billing/plan")[0] == "refunds"


def test_locale_prefers_its_own_articles_and_falls_back_to_the_default(
    answerer: Answerer,
) -> None:
    assert ask(answerer, "Rückerstattungen dauern", locale="de")[0] == "refunds-de"
    assert ask(answerer, "export a workspace", locale="de")[0] == "export"
    assert "refunds-de" not in ask(answerer, "Rückerstattungen dauern")


def test_self_test_mode_leaves_the_sample_questions_out(answerer: Answerer) -> None:
    vector = answerer.encoder.encode_now(["can I get my money back"])[0]
    outcome = answerer.answer("can I get my money back", vector, exclude_questions=True)
    assert all(h.best_chunk.kind == "section" for h in outcome.retrieval.hits)


def test_headings_score_their_article_but_are_never_cited(
    answerer: Answerer,
) -> None:
    question = "partial refunds"
    vector = answerer.encoder.encode_now([question])[0]
    outcome = answerer.answer(question, vector)
    assert all(h.best_chunk.kind == "section" for h in outcome.retrieval.hits)
    snapshot, _ = answerer.current()
    signals = outcome.retrieval.signals
    assert signals is not None
    heading = dict(zip(snapshot.article_ids, signals.raw["heading"], strict=True))
    closest = answerer.encoder.encode_now(["Refunds. Partial refunds"])[0]
    cosine = sum(a * b for a, b in zip(vector, closest, strict=True))
    assert heading["refunds"] == pytest.approx(cosine)
    assert heading["refunds"] > heading["export"]
    assert heading["refunds-de"] == -1.0  # another locale's headings take no part
    assert outcome.retrieval.hits[0].article_id == "refunds"
    assert outcome.retrieval.margin > 0  # what the decision reads


def test_the_snapshot_is_at_hand_only_while_no_newer_version_is_published(
    answerer: Answerer, tmp_path: Path
) -> None:
    assert answerer.snapshot_at_hand() is None  # nothing opened yet: `answer` would open it
    first, _ = answerer.current()
    assert answerer.snapshot_at_hand() is first
    write_article(
        tmp_path / "kb",
        "invoices.md",
        "id: invoices\ntitle: Invoices\nurl: /help/invoices",
        "## Download an invoice\n\nEvery invoice is a PDF under Billing.\n",
    )
    make_job(
        tmp_path / "kb", EmbeddedVersions(tmp_path / "data", "frontdesk"), FakeEmbedder()
    ).run()
    assert answerer.snapshot_at_hand() is None  # the new version must be opened first
    assert "invoices" in ask(answerer, "download an invoice pdf")
    second = answerer.snapshot_at_hand()
    assert second is not None and second is not first and "invoices" in second.articles
