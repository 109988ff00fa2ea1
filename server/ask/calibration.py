"""What an answerable question looks like on this knowledge base, learned from the KB itself.

Knowledge bases differ in size, style and how alike their articles are, so the lead the
best article needs over the second before Frontdesk answers is measured on each new
index version, when it is ingested. Frontdesk asks the KB its own questions:

- every heading (an article's title, or title and section path) and every sample
  question of an article, asked with that article *left out*: questions the KB does
  not cover, in the KB's own vocabulary;
- the same questions with the article in: does it come first, and by how much?
- the off-topic questions that ship with Frontdesk (`off_topic.txt`: greetings,
  thanks, trivia, coding requests, gibberish, asking for a human).

A question's **confidence** is the share of the not-covered and off-topic questions
whose lead is smaller than its own: 0.9 means its best article stands out more than
it does for nine in ten questions this KB cannot answer. The answer threshold is on
that scale, so it means the same on every KB. The report says what the self-test
questions show at the threshold. A KB with too few articles or headings to measure
gets a conservative default instead, and says so.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ingest.embedding import Embedder
from ingest.store import IndexCollection
from server.ask.knowledge import KnowledgeSnapshot
from server.ask.retrieval import Query, Retriever

OFF_TOPIC_FILE = Path(__file__).with_name("off_topic.txt")
MIN_ARTICLES = 8  # fewer articles, or fewer questions below, and the default is used
MIN_QUESTIONS = 40
MAX_QUESTIONS = 2000  # self-test questions asked at most (a sample, always the same)
QUANTILES = 101
# Without a calibration: answer only a lead this far beyond what a not-covered question
# gets on most development sets (their 90th percentiles lie between 4 and 10).
DEFAULT_LEADS = tuple(float(x) for x in np.linspace(0.0, 12.0, QUANTILES))


@lru_cache(maxsize=1)
def off_topic_questions() -> tuple[str, ...]:
    lines = OFF_TOPIC_FILE.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


@dataclass(frozen=True)
class Calibration:
    leads: tuple[float, ...]  # quantiles of the leads of questions the KB cannot answer
    calibrated: bool
    questions: int = 0  # self-test questions asked
    articles: int = 0
    answer_threshold: float = 0.0  # the confidence the figures below are at
    precision: float = 0.0  # self-test: answered questions whose article was right
    coverage: float = 0.0  # self-test: covered questions answered with the right article
    off_topic_answered: int = 0  # off-topic questions whose lead alone passes the threshold

    def confidence(self, lead: float) -> float:
        """The share of not-covered and off-topic questions with a smaller lead."""
        levels = np.linspace(0.0, 1.0, len(self.leads))
        return float(np.interp(lead, self.leads, levels, left=0.0, right=1.0))

    def lead_for(self, confidence: float) -> float:
        return float(np.interp(confidence, np.linspace(0, 1, len(self.leads)), self.leads))

    def report(self) -> str:
        threshold = self.answer_threshold
        if not self.calibrated:
            return (
                f"answer calibration: too little to measure ({self.articles} articles, "
                f"{self.questions} self-test questions; at least {MIN_ARTICLES} and "
                f"{MIN_QUESTIONS} needed): a conservative default, answering only a lead "
                f"of {self.lead_for(threshold):.1f}"
            )
        return (
            f"answer threshold {threshold:.2f} (a lead of {self.lead_for(threshold):.1f}): "
            f"self-test precision {self.precision:.2f} at coverage {self.coverage:.2f} "
            f"from {self.questions} self-test questions on {self.articles} articles; "
            f"{self.off_topic_answered} of {len(off_topic_questions())} off-topic questions "
            "lead that far (the off-topic check stops them)"
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Calibration:
        if not data:
            return default_calibration()
        return cls(**{**data, "leads": tuple(data["leads"])})


def default_calibration(
    articles: int = 0, questions: int = 0, answer_threshold: float = 0.9
) -> Calibration:
    return Calibration(DEFAULT_LEADS, False, questions, articles, answer_threshold)


def _self_test_questions(
    snapshot: KnowledgeSnapshot, locale: str
) -> list[tuple[int, Sequence[float], str]]:
    """(article, vector, text) of every heading and sample question in the locale, as stored."""
    index_of = {a: i for i, a in enumerate(snapshot.article_ids)}
    found = [
        (index_of[c.article_id], vector, c.embedding_text)
        for c, vector in zip(snapshot.heading_chunks, snapshot.heading_vectors, strict=True)
        if c.locale == locale
    ]
    found += [
        (index_of[c.article_id], snapshot.vectors[p], c.text)
        for p, c in enumerate(snapshot.chunks)
        if c.kind == "question" and c.locale == locale
    ]
    if len(found) > MAX_QUESTIONS:
        found = random.Random(0).sample(found, MAX_QUESTIONS)
    return found


def calibrate(
    snapshot: KnowledgeSnapshot,
    off_topic_vectors: npt.NDArray[np.float32],
    retriever: Retriever,
    answer_threshold: float,
) -> Calibration:
    """Ask the snapshot its own questions and the off-topic ones; see module docstring."""
    questions = _self_test_questions(snapshot, retriever.default_locale)
    articles = len(snapshot.article_ids)
    if articles < MIN_ARTICLES or len(questions) < MIN_QUESTIONS:
        return default_calibration(articles, len(questions), answer_threshold)
    not_covered, covered = [], []
    for article, vector, text in questions:
        # in the default locale only: another locale's twin of the article left out would
        # answer its questions, and they would look like leads the KB cannot answer
        query = Query(text, vector, locale=retriever.default_locale, sections_only=True)
        inside = retriever.retrieve(snapshot, query, limit=2)
        left_out = retriever.retrieve(snapshot, replace(query, exclude=frozenset({article})), 2)
        not_covered.append(left_out.margin)
        right = bool(inside.hits) and inside.hits[0].index == article
        covered.append((inside.margin, right))
    off_topic = [
        retriever.retrieve(snapshot, Query(text, vector), limit=2).margin
        for text, vector in zip(off_topic_questions(), off_topic_vectors, strict=True)
    ]
    negatives = np.asarray(not_covered + off_topic)
    leads = np.quantile(negatives, np.linspace(0.0, 1.0, QUANTILES))
    result = Calibration(tuple(float(x) for x in leads), True, len(questions), articles)
    cut = result.lead_for(answer_threshold)
    answered_right = sum(1 for lead, right in covered if lead >= cut and right)
    answered = sum(1 for lead, _ in covered if lead >= cut) + int((negatives >= cut).sum())
    return Calibration(
        result.leads,
        True,
        len(questions),
        articles,
        answer_threshold,
        precision=answered_right / answered if answered else 0.0,
        coverage=answered_right / len(covered),
        off_topic_answered=sum(1 for lead in off_topic if lead >= cut),
    )


def calibration_step(
    embedder: Embedder, retriever: Retriever, answer_threshold: float
) -> Callable[[IndexCollection], tuple[dict[str, Any], str]]:
    """The step an ingest runs on a complete new version before publishing it."""

    def calibrate_version(index: IndexCollection) -> tuple[dict[str, Any], str]:
        snapshot = KnowledgeSnapshot.from_collection(index, None)
        off_topic = np.asarray(embedder.embed(list(off_topic_questions())), dtype=np.float32)
        result = calibrate(snapshot, off_topic, retriever, answer_threshold)
        return result.to_json(), result.report()

    return calibrate_version
