"""`frontdesk eval`: retrieval quality and the answer/suggest/no-answer trade-off.

A questions file is JSON lines: ``{"qid", "question", "relevant": [article ids],
"answerable": bool, "page_url"?: str, "locale"?: str}``. Every question goes
through the same :class:`~server.ask.answerer.Answerer` the server uses.
Ranking metrics are over the answerable questions; the decision metrics say how
often an ``answered`` reply is right, how many answerable questions are answered
right, and how many unanswerable ones are (wrongly) answered.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server.ask.answerer import Answerer

THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
SELF_TEST_TOP = 3


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


@dataclass
class Judged:
    question: EvalQuestion
    ranking: list[str]
    confidence: float
    status: str


@dataclass
class Report:
    retrieval: dict[str, float] = field(default_factory=dict)
    decision: dict[str, float] = field(default_factory=dict)
    tradeoff: list[dict[str, float]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    self_test_failures: list[dict[str, Any]] = field(default_factory=list)
    question_model: str = "float32 on torch"  # how the questions were embedded


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
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise QuestionsFileError(f"{path}:{number}: {exc}") from None
    return questions


def judge(answerer: Answerer, questions: list[EvalQuestion]) -> list[Judged]:
    vectors = answerer.encoder.encode_now([q.question for q in questions])
    judged = []
    for question, vector in zip(questions, vectors, strict=True):
        outcome = answerer.answer(question.question, vector, question.page_url, question.locale)
        judged.append(
            Judged(
                question,
                [h.article_id for h in outcome.retrieval.hits],
                outcome.decision.confidence,
                outcome.decision.status,
            )
        )
    return judged


def _dcg(ranking: list[str], relevant: frozenset[str], k: int) -> float:
    return sum(1 / math.log2(i + 2) for i, a in enumerate(ranking[:k]) if a in relevant)


def ranking_metrics(judged: Iterable[Judged]) -> dict[str, float]:
    rows = [j for j in judged if j.question.answerable]
    if not rows:
        return {}

    def hit(k: int) -> float:
        return sum(bool(set(j.ranking[:k]) & j.question.relevant) for j in rows) / len(rows)

    mrr = ndcg = 0.0
    for j in rows:
        rank = next((i for i, a in enumerate(j.ranking[:10]) if a in j.question.relevant), None)
        mrr += 1 / (rank + 1) if rank is not None else 0.0
        ideal = _dcg(sorted(j.question.relevant), j.question.relevant, 10)
        ndcg += _dcg(j.ranking, j.question.relevant, 10) / ideal if ideal else 0.0
    return {
        "hit@1": hit(1),
        "hit@3": hit(3),
        "hit@5": hit(5),
        "mrr@10": mrr / len(rows),
        "ndcg@10": ndcg / len(rows),
    }


def decision_metrics(judged: list[Judged], answer_at: float | None = None) -> dict[str, float]:
    """Answered precision, coverage and unanswerable answered, at the served or a threshold."""

    def answered(j: Judged) -> bool:
        return j.status == "answered" if answer_at is None else j.confidence >= answer_at

    def right(j: Judged) -> bool:
        return bool(j.ranking) and j.ranking[0] in j.question.relevant

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


def evaluate(answerer: Answerer, questions: list[EvalQuestion]) -> Report:
    judged = judge(answerer, questions)
    report = Report(
        retrieval=ranking_metrics(judged),
        decision=decision_metrics(judged),
        tradeoff=[{"threshold": t, **decision_metrics(judged, t)} for t in THRESHOLDS],
        counts={
            "questions": len(judged),
            "answerable": sum(j.question.answerable for j in judged),
            "unanswerable": sum(not j.question.answerable for j in judged),
        },
    )
    report.self_test_failures = self_test(answerer)
    model = answerer.encoder.embedder
    precision = "int8" if getattr(model, "int8", False) else "float32"
    report.question_model = f"{precision} on {getattr(model, 'runtime', 'torch')}"
    return report


def format_report(report: Report, answer_threshold: float) -> str:
    lines = [
        f"{report.counts.get('questions', 0)} questions "
        f"({report.counts.get('answerable', 0)} answerable, "
        f"{report.counts.get('unanswerable', 0)} unanswerable), "
        f"questions embedded with the {report.question_model} model",
        "",
        "retrieval (answerable questions)",
    ]
    lines += [f"  {name:<10} {value:.3f}" for name, value in report.retrieval.items()]
    lines += ["", f"decision at the served thresholds (answer >= {answer_threshold})"]
    lines += [f"  {name:<22} {value:.3f}" for name, value in report.decision.items()]
    lines += ["", "  threshold  precision  coverage  unanswerable answered  answered share"]
    for row in report.tradeoff:
        lines.append(
            f"  {row['threshold']:>9.2f}  {row['answered_precision']:>9.3f}  "
            f"{row['answered_coverage']:>8.3f}  {row['unanswerable_answered']:>22.3f}"
            f"  {row['answered_share']:>14.3f}"
        )
    lines.append("")
    if report.self_test_failures:
        lines.append(
            f"{len(report.self_test_failures)} article question(s) no longer find "
            f"their article in the top {SELF_TEST_TOP}:"
        )
        lines += [
            f"  {f['article_id']}: {f['question']!r} -> {', '.join(f['top'])}"
            for f in report.self_test_failures
        ]
    else:
        lines.append(f"every article's own questions find it in the top {SELF_TEST_TOP}")
    return "\n".join(lines)
