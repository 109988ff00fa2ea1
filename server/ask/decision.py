"""The decision: answer, suggest, or say "I don't know".

A wrong confident answer costs more than none, so the confidence comes from
how the best article stands against all the others, not from its score alone:
its lead in the fused score and in each signal, its rank by dense similarity and
by word coverage, how close the question comes to one of its headings (is the
article *about* this, or does it only mention it?) and how much closer than to
any other article's headings, how much of the question its title holds, how long
the question is, and whether the article belongs to the user's page.

A logistic model over these features and their pairwise products (fitted with
`bench/fit_decision.py` into ``server/ask/decision_weights.py``) turns them into a
confidence in [0, 1]; two thresholds (settings) split it into the three replies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from server.ask import decision_weights as fitted
from server.ask.knowledge import KnowledgeSnapshot
from server.ask.retrieval import Retrieval
from server.ask.schemas import Status

# Scores on z-scales are divided by sqrt(articles - 1), the largest z-score one article
# can have: the same lead means more among 600 articles than among 50.
FEATURES = (
    "top",  # fused score of the best article
    "margin",  # its lead over the second
    "z_dense",  # its dense similarity, z-scored over all articles
    "z_coverage",  # its share of the question's words, z-scored
    "lead_lexical",  # its BM25 z-score minus the best other article's
    "lead_dense",  # the same for dense similarity
    "rank_dense",  # log(1 + articles more similar than it)
    "rank_coverage",  # log(1 + articles covering more of the question)
    "dense_gap",  # its dense similarity minus the best other article's
    "heading",  # similarity of the question and the article's closest heading
    "heading_gap",  # that, minus the closest heading of any other article
    "title",  # IDF-weighted share of the question's words in its title
    "terms",  # log(1 + distinct content words in the question)
)
# Prior weight (in logits) for the user's own page: the development set has no pages.
PAGE_WEIGHT = 0.5
# Below both floors nothing in the knowledge base is about the question, whatever the
# relative scores say: 1st percentiles of correctly answered questions on the dev set.
DENSE_FLOOR = fitted.DENSE_FLOOR
COVERAGE_FLOOR = fitted.COVERAGE_FLOOR


@dataclass(frozen=True)
class Decision:
    status: Status
    confidence: float
    features: dict[str, float]


def features(retrieval: Retrieval, snapshot: KnowledgeSnapshot) -> dict[str, float]:
    signals = retrieval.signals
    hits = retrieval.hits
    values = dict.fromkeys((*FEATURES, "page"), 0.0)
    if not hits or signals is None:
        return values
    top = hits[0]
    best = top.index
    others = signals.valid.copy()
    others[best] = False

    def lead(per_article: npt.NDArray[np.float64]) -> float:
        return float(per_article[best] - per_article[others].max()) if others.any() else 1.0

    def rank(per_article: npt.NDArray[np.float64]) -> float:
        return math.log1p(int((per_article[signals.valid] > per_article[best]).sum()))

    content = set(retrieval.content_terms)
    lexical = snapshot.lexical
    weight = {t: lexical.idf(t) if lexical.knows(t) else lexical.max_idf() for t in content}
    in_title = snapshot.title_terms.get(top.article_id, frozenset())
    z_unit = 1.0 / math.sqrt(max(1, int(signals.valid.sum()) - 1))
    values.update(
        top=top.score * z_unit,
        margin=(top.score - hits[1].score if len(hits) > 1 else 1.0) * z_unit,
        z_dense=float(signals.z["dense"][best]) * z_unit,
        z_coverage=float(signals.z["coverage"][best]) * z_unit,
        lead_lexical=lead(signals.z["lexical"]) * z_unit,
        lead_dense=lead(signals.z["dense"]) * z_unit,
        rank_dense=rank(signals.z["dense"]),
        rank_coverage=rank(signals.z["coverage"]),
        dense_gap=lead(signals.raw["dense"]),
        heading=float(signals.raw["heading"][best]),
        heading_gap=lead(signals.raw["heading"]),
        title=sum(weight[t] for t in content if t in in_title) / (sum(weight.values()) or 1.0),
        terms=math.log1p(len(content)),
        page=float(top.page_match),
    )
    return values


@lru_cache(maxsize=4)
def _pairs(count: int) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    rows, columns = np.triu_indices(count)
    return rows, columns


def design(standardized: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The model's inputs, a row per question: 1, the standardized features, and their
    pairwise products (i <= j, row by row)."""
    z = np.atleast_2d(standardized)
    rows, columns = _pairs(z.shape[1])
    return np.hstack([np.ones((len(z), 1)), z, z[:, rows] * z[:, columns]])


@dataclass(frozen=True)
class Standardization:
    """Features held to the range the model was fitted on (its 1st to 99th percentiles:
    the quadratic terms must not extrapolate), then standardized."""

    low: npt.NDArray[np.float64]
    high: npt.NDArray[np.float64]
    mean: npt.NDArray[np.float64]
    scale: npt.NDArray[np.float64]

    def __call__(self, raw: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        standardized: npt.NDArray[np.float64] = (np.clip(raw, self.low, self.high) - self.mean) / (
            self.scale
        )
        return standardized


class Decider:
    def __init__(self, answer_threshold: float, suggest_threshold: float) -> None:
        self.answer_threshold = answer_threshold
        self.suggest_threshold = suggest_threshold
        if tuple(fitted.FEATURES) != FEATURES:
            raise ValueError(
                "server/ask/decision_weights.py was fitted on other features; refit it with "
                "bench/fit_decision.py"
            )
        self._standardize = Standardization(
            *(np.asarray(v) for v in (fitted.LOW, fitted.HIGH, fitted.MEAN, fitted.SCALE))
        )
        self._weights = np.asarray(fitted.WEIGHTS)

    def confidence(self, values: dict[str, float]) -> float:
        raw = np.array([values[f] for f in FEATURES], dtype=np.float64)
        logit = float(design(self._standardize(raw))[0] @ self._weights)
        z = logit + PAGE_WEIGHT * values["page"]
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
