"""The decision: answer, suggest, or say "I don't know".

A wrong confident answer costs more than none, so the confidence is estimated
from several signals, not only the top score: how far the best article is ahead
of the next, how similar its best passage is, whether dense and lexical
retrieval agree on it, how much of the question (weighted by rarity, and as
word pairs) it contains, whether the question uses words the knowledge base
never does, and whether the article belongs to the user's page. A logistic model
(fitted with `bench/fit_decision.py`) turns them into a confidence in [0, 1];
two thresholds (settings) split it into the three replies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from server.knowledge import KnowledgeSnapshot
from server.retrieval import Retrieval
from server.schemas import Status

FEATURES = ("top", "margin", "dense", "agree", "missing", "page")
# Below both floors nothing in the knowledge base is about the question, whatever the
# relative scores say: 1st percentiles of correctly answered questions on the dev set.
DENSE_FLOOR = 0.265
COVERAGE_FLOOR = 0.431


@dataclass(frozen=True)
class DecisionModel:
    """Logistic-regression weights over :data:`FEATURES`, fitted on the development set
    (`bench/fit_decision.py`, 5-fold cross-validated)."""

    intercept: float = -2.027
    top: float = 0.149
    margin: float = 0.284
    dense: float = -0.028
    agree: float = 0.234
    missing: float = -0.937
    # Not fitted (the development set has no pages): a prior that the article of the
    # user's own page is more likely the one they need.
    page: float = 0.5


@dataclass(frozen=True)
class Decision:
    status: Status
    confidence: float
    features: dict[str, float]


def features(retrieval: Retrieval, snapshot: KnowledgeSnapshot) -> dict[str, float]:
    hits = retrieval.hits
    if not hits:
        return dict.fromkeys(FEATURES, 0.0)
    top = hits[0]
    second = hits[1].score if len(hits) > 1 else top.score - 1.0
    lexical = snapshot.lexical
    rarest = lexical.max_idf() or 1.0
    article_terms = snapshot.article_terms.get(top.article_id, frozenset())
    missing = [
        lexical.idf(t)
        for t in set(retrieval.content_terms)
        if lexical.knows(t) and t not in article_terms
    ]
    return {
        "top": top.score,
        "margin": top.score - second,
        "dense": top.dense,
        "agree": float(retrieval.dense_top == top.article_id == retrieval.lexical_top),
        "missing": max(missing, default=0.0) / rarest,
        "page": float(top.page_match),
    }


class Decider:
    def __init__(
        self, answer_threshold: float, suggest_threshold: float, model: DecisionModel | None = None
    ) -> None:
        self.answer_threshold = answer_threshold
        self.suggest_threshold = suggest_threshold
        self.model = model or DecisionModel()

    def confidence(self, values: dict[str, float]) -> float:
        z = self.model.intercept + sum(getattr(self.model, f) * values[f] for f in FEATURES)
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def decide(self, retrieval: Retrieval, snapshot: KnowledgeSnapshot) -> Decision:
        values = features(retrieval, snapshot)
        if not retrieval.hits:
            return Decision("no_answer", 0.0, values)
        top = retrieval.hits[0]
        if top.dense < DENSE_FLOOR and top.coverage < COVERAGE_FLOOR:
            return Decision("no_answer", 0.0, values)
        confidence = self.confidence(values)
        if confidence >= self.answer_threshold:
            status: Status = "answered"
        elif confidence >= self.suggest_threshold:
            status = "suggested"
        else:
            status = "no_answer"
        return Decision(status, confidence, values)
