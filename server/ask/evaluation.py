"""`frontdesk eval`: retrieval quality, the answer/suggest/no-answer trade-off and the cited
section, beside a plain reference method, for one question set.

A questions file is JSON lines: ``{"qid", "question", "relevant": [article ids],
"answerable": bool, "page_url"?: str, "locale"?: str, "section"?: anchor, "history"?:
[earlier turns]}``. A follow-up's ``history`` holds the conversation so far, as strings
(the user's earlier questions) or ``{"role", "text"}`` objects, of which the ``user``
ones are read, as the widget sends them; the reference reads the question alone. Every
question goes through the same :class:`~server.ask.answerer.Answerer` the server uses.
Ranking metrics are over the answerable questions; the decision metrics say how often
an ``answered`` reply is right, how many answerable questions are answered right, and
how many unanswerable ones are (wrongly) answered. The right section is the share of
right-article answers whose cited section is the question's ``section``.

The **plain reference** ranks articles by reciprocal-rank fusion (k = 60) of BM25 and
dense cosine, an article's score being its best chunk, and answers when the best
article's dense cosine passes a threshold. Its threshold is the one that does best on
the set itself (the highest coverage at precision 0.90 or more, else the most precise
point): a bound no served threshold can beat, which flatters the reference.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from server.ask.answerer import Answerer, conversation_text
from server.ask.calibration import off_topic_questions
from server.ask.retrieval import Context, Retrieval

THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95)
SELF_TEST_TOP = 3
TARGET_PRECISION = 0.9
RRF_K = 60


class QuestionsFileError(ValueError):
    """A line of the questions file is not valid; the message names file and line."""


@dataclass(frozen=True)
class EvalQuestion:
    qid: str
    question: str
    relevant: frozenset[str]
    answerable: bool
    page_url: str | None = None
    locale: str | None = None
    section: str | None = None  # the anchor of the section that answers ("" the intro)
    history: tuple[str, ...] = ()  # the user's earlier questions, oldest first


@dataclass
class Judged:
    question: EvalQuestion
    ranking: list[str]
    confidence: float
    status: str
    section: str | None = None  # the anchor of the cited section
    reference: list[str] = field(default_factory=list)  # the plain reference's ranking
    reference_confidence: float = 0.0  # its top article's dense cosine


@dataclass
class Report:
    name: str = ""
    retrieval: dict[str, float] = field(default_factory=dict)
    reference_retrieval: dict[str, float] = field(default_factory=dict)
    decision: dict[str, float] = field(default_factory=dict)
    reference_decision: dict[str, float] = field(default_factory=dict)
    tradeoff: list[dict[str, float]] = field(default_factory=list)
    section: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    off_topic_answered: list[str] = field(default_factory=list)
    self_test_failures: list[dict[str, Any]] = field(default_factory=list)
    calibration: str = ""
    question_model: str = "float32 on torch"  # how the questions were embedded
    judged: list[Judged] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "judged"}


def read_questions(path: Path) -> list[EvalQuestion]:
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            relevant = data.get("relevant", [])
            if not isinstance(data["question"], str) or not isinstance(relevant, list):
                raise TypeError("`question` must be a string and `relevant` a list")
            questions.append(
                EvalQuestion(
                    qid=str(data.get("qid", number)),
                    question=data["question"],
                    relevant=frozenset(str(r) for r in relevant),
                    answerable=bool(data.get("answerable", bool(relevant))),
                    page_url=data.get("page_url"),
                    locale=data.get("locale"),
                    section=data.get("section"),
                    history=_user_turns(data.get("history", [])),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise QuestionsFileError(f"{path}:{number}: {exc}") from None
    return questions


def _user_turns(history: Any) -> tuple[str, ...]:
    if not isinstance(history, list):
        raise TypeError("`history` must be a list")
    turns = []
    for turn in history:
        if isinstance(turn, str):
            turns.append(turn)
        elif isinstance(turn, dict) and isinstance(turn.get("text"), str):
            if turn.get("role", "user") == "user":
                turns.append(turn["text"])
        else:
            raise TypeError("a `history` turn must be a string or {role, text}")
    return tuple(turns)


def reference_ranking(retrieval: Retrieval, article_ids: Sequence[str]) -> tuple[list[str], float]:
    """The plain reference: RRF of BM25 and dense ranks; and its top article's dense cosine."""
    signals = retrieval.signals
    if signals is None:
        return [], 0.0
    fused = np.zeros(len(signals.valid))
    for name in ("lexical", "dense"):
        values = np.where(signals.valid, signals.raw[name], -np.inf)
        ranks = np.empty(len(values))
        ranks[np.argsort(-values, kind="stable")] = np.arange(1, len(values) + 1)
        fused += 1.0 / (RRF_K + ranks)
    fused[~signals.valid] = -np.inf
    order = [int(i) for i in np.argsort(-fused, kind="stable")[:10] if signals.valid[i]]
    top = float(signals.raw["dense"][order[0]]) if order else 0.0
    return [article_ids[i] for i in order], top


def judge(answerer: Answerer, questions: list[EvalQuestion]) -> list[Judged]:
    snapshot, _ = answerer.current()
    vectors = answerer.encoder.encode_now([q.question for q in questions])
    texts = [conversation_text(q.question, q.history) for q in questions]
    followups = [text for text in texts if text]
    followup_vectors = iter(answerer.encoder.encode_now(followups) if followups else [])
    judged = []
    for question, vector, text in zip(questions, vectors, texts, strict=True):
        context = Context(text, next(followup_vectors)) if text else None
        outcome = answerer.answer(
            question.question, vector, question.page_url, question.locale, context=context
        )
        hits = outcome.retrieval.hits
        reference, reference_confidence = reference_ranking(outcome.retrieval, snapshot.article_ids)
        judged.append(
            Judged(
                question,
                [h.article_id for h in hits],
                outcome.decision.confidence,
                outcome.decision.status,
                hits[0].best_chunk.anchor if hits else None,
                reference,
                reference_confidence,
            )
        )
    return judged


def _dcg(ranking: list[str], relevant: frozenset[str], k: int) -> float:
    return sum(1 / math.log2(i + 2) for i, a in enumerate(ranking[:k]) if a in relevant)


def ranking_metrics(judged: Iterable[Judged], reference: bool = False) -> dict[str, float]:
    rows = [j for j in judged if j.question.answerable]
    if not rows:
        return {}
    rankings = [j.reference if reference else j.ranking for j in rows]

    def hit(k: int) -> float:
        found = (
            bool(set(r[:k]) & j.question.relevant) for r, j in zip(rankings, rows, strict=True)
        )
        return sum(found) / len(rows)

    mrr = ndcg = 0.0
    for ranking, j in zip(rankings, rows, strict=True):
        rank = next((i for i, a in enumerate(ranking[:10]) if a in j.question.relevant), None)
        mrr += 1 / (rank + 1) if rank is not None else 0.0
        ideal = _dcg(sorted(j.question.relevant), j.question.relevant, 10)
        ndcg += _dcg(ranking, j.question.relevant, 10) / ideal if ideal else 0.0
    return {
        "hit@1": hit(1),
        "hit@3": hit(3),
        "hit@5": hit(5),
        "mrr@10": mrr / len(rows),
        "ndcg@10": ndcg / len(rows),
    }


def decision_metrics(
    judged: list[Judged], answer_at: float | None = None, reference: bool = False
) -> dict[str, float]:
    """Answered precision, coverage and unanswerable answered, at the served or a threshold
    (of the reference's dense cosine with `reference`)."""

    def answered(j: Judged) -> bool:
        if reference:
            return j.reference_confidence >= (answer_at or 0.0)
        return j.status == "answered" if answer_at is None else j.confidence >= answer_at

    def right(j: Judged) -> bool:
        ranking = j.reference if reference else j.ranking
        return bool(ranking) and ranking[0] in j.question.relevant

    answerable = [j for j in judged if j.question.answerable]
    unanswerable = [j for j in judged if not j.question.answerable]
    replied = [j for j in judged if answered(j)]
    return {
        "answered_precision": sum(map(right, replied)) / len(replied) if replied else 0.0,
        "answered_coverage": (
            sum(answered(j) and right(j) for j in answerable) / len(answerable)
            if answerable
            else 0.0
        ),
        "unanswerable_answered": (
            sum(map(answered, unanswerable)) / len(unanswerable) if unanswerable else 0.0
        ),
        "answered_share": len(replied) / len(judged) if judged else 0.0,
    }


def best_point(judged: list[Judged], reference: bool) -> dict[str, float]:
    """The threshold with the highest coverage at precision >= 0.90 on these questions (else
    the most precise one), and the figures there."""
    values = sorted({j.reference_confidence if reference else j.confidence for j in judged})
    points = [{"threshold": t, **decision_metrics(judged, t, reference)} for t in values]
    points = [p for p in points if p["answered_share"] > 0]
    if not points:
        return {"threshold": 1.0, **decision_metrics(judged, 1.01, reference)}
    good = [p for p in points if p["answered_precision"] >= TARGET_PRECISION]
    if good:
        return max(good, key=lambda p: (p["answered_coverage"], -p["threshold"]))
    return max(points, key=lambda p: (p["answered_precision"], p["answered_coverage"]))


def section_metrics(judged: Iterable[Judged]) -> dict[str, float]:
    """Of the answers with the right article, the share citing the question's section."""
    rows = [
        j
        for j in judged
        if j.question.section is not None
        and j.status == "answered"
        and j.ranking
        and j.ranking[0] in j.question.relevant
    ]
    right = sum(j.section == j.question.section for j in rows)
    return {"right_section": right / len(rows) if rows else 0.0, "answers": float(len(rows))}


def off_topic_answered(answerer: Answerer) -> list[str]:
    """The shipped off-topic questions this KB would answer with a passage (none, we hope)."""
    texts = list(off_topic_questions())
    vectors = answerer.encoder.encode_now(texts)
    return [
        text
        for text, vector in zip(texts, vectors, strict=True)
        if answerer.answer(text, vector).decision.status == "answered"
    ]


def self_test(answerer: Answerer) -> list[dict[str, Any]]:
    """Every article's own `questions` must find it in the top 3, with its text alone.

    The question chunks themselves are left out of this test; otherwise each question
    would trivially find itself.
    """
    snapshot, _ = answerer.current()
    cases = [(a.id, q, a.locale) for a in snapshot.articles.values() for q in a.questions]
    vectors = answerer.encoder.encode_now([q for _, q, _ in cases])
    failures = []
    for (article_id, question, locale), vector in zip(cases, vectors, strict=True):
        outcome = answerer.answer(question, vector, None, locale, exclude_questions=True)
        top = [h.article_id for h in outcome.retrieval.hits[:SELF_TEST_TOP]]
        if article_id not in top:
            failures.append({"article_id": article_id, "question": question, "top": top})
    return failures


def evaluate(answerer: Answerer, questions: list[EvalQuestion], name: str = "") -> Report:
    judged = judge(answerer, questions)
    snapshot, _ = answerer.current()
    report = Report(
        name=name,
        retrieval=ranking_metrics(judged),
        reference_retrieval=ranking_metrics(judged, reference=True),
        decision=decision_metrics(judged),
        reference_decision=best_point(judged, reference=True),
        tradeoff=[{"threshold": t, **decision_metrics(judged, t)} for t in THRESHOLDS],
        section=section_metrics(judged),
        counts={
            "questions": len(judged),
            "answerable": sum(j.question.answerable for j in judged),
            "unanswerable": sum(not j.question.answerable for j in judged),
        },
        calibration=answerer.calibration_of(snapshot).report(),
        judged=judged,
    )
    report.off_topic_answered = off_topic_answered(answerer)
    report.self_test_failures = self_test(answerer)
    model = answerer.encoder.embedder
    precision = "int8" if getattr(model, "int8", False) else "float32"
    report.question_model = f"{precision} on {getattr(model, 'runtime', 'torch')}"
    return report
