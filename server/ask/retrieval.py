"""Retrieval: from a question (and the page it was asked on) to ranked articles.

Three signals per article:

* ``lexical``: BM25 over words and adjacent-word pairs (server/ask/lexical.py), its
  best chunk (sample questions included);
* ``dense``: cosine similarity of the question and chunk embeddings, its best chunk.
  The vectors are the ones stored in Chroma, loaded with the snapshot: the fusion
  needs a dense score for every article, which a top-k query cannot give, and a
  matrix product over 20,000 chunks takes about a millisecond;
* ``heading``: cosine similarity of the question and the article's closest heading
  (its title, or title and section path): is the article *about* this?

Each is z-normalized over the articles and the three are added with equal weights:
nothing is fitted to a knowledge base, so the ranking holds on ones nobody tuned for
(README, Answer quality: it leads the plain BM25 + dense reference on every
development set). Articles whose `pages` match the user's page get ``page_boost``;
only chunks in the question's locale and the default locale take part, the
question's own first. The passage quoted from an article is its section that scores
best on the words, the meaning and the section's own heading.

A follow-up ("so am I eligible?") says little on its own. When the user asked earlier
questions in the conversation, the articles are also scored on the follow-up joined
with them, and the two fused scores are averaged: the conversation carries the topic,
and the follow-up's own score keeps a change of topic from being drowned by it.

Every article's signals (and the share of the question's words it covers) and the
best article's lead over the second go along with the ranking for the decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ingest.chunking import Chunk
from ingest.pages import matches_any
from server.ask.knowledge import KnowledgeSnapshot
from server.ask.lexical import question_terms

WEIGHTS = {"lexical": 1.0, "dense": 1.0, "heading": 1.0}  # equal: nothing fitted
LOCALE_PREFERENCE = 0.25  # bonus, in fused-score units, for articles in the asked locale
Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Query:
    text: str
    vector: Sequence[float]
    page_url: str | None = None
    locale: str | None = None
    sections_only: bool = False  # leave the articles' sample questions out (self-tests)
    exclude: frozenset[int] = frozenset()  # articles left out (self-tests: "not covered")
    context: Context | None = None  # a follow-up's conversation so far


@dataclass(frozen=True)
class Context:
    """A follow-up question with the user's earlier questions in the conversation, as one
    text and its embedding."""

    text: str
    vector: Sequence[float]


@dataclass
class ArticleHit:
    article_id: str
    index: int  # the article's position in the snapshot
    score: float
    best_chunk: Chunk  # the article's best section: what is quoted and cited
    dense: float  # best cosine similarity among the article's chunks
    lexical: float  # best BM25 score among the article's chunks
    coverage: float  # best share of the question's content words in one chunk
    page_match: bool


@dataclass(frozen=True)
class Signals:
    """Every article's signals (in snapshot order), for the decision to compare the best
    article with the rest: the raw ``lexical``, ``dense`` and ``coverage`` values and
    ``heading`` (similarity of the article's closest heading), their z-scores, and
    which articles are in the question's locales (the others are -inf)."""

    raw: dict[str, Array]
    z: dict[str, Array]
    valid: npt.NDArray[np.bool_]


@dataclass
class Retrieval:
    hits: list[ArticleHit]
    content_terms: tuple[str, ...] = field(default_factory=tuple)
    signals: Signals | None = None
    margin: float = 0.0  # the best article's fused score minus the second's


def _z(values: Array, valid: npt.NDArray[np.bool_]) -> Array:
    """z-scores over the valid entries; the others stay -inf."""
    result = np.full(len(values), -np.inf)
    chosen = values[valid]
    spread = float(chosen.std()) if len(chosen) else 0.0
    result[valid] = (chosen - float(chosen.mean())) / spread if spread > 1e-9 else 0.0
    return result


def _fused(z: dict[str, Array]) -> Array:
    scores = np.zeros(len(z["dense"]))
    for name, weight in WEIGHTS.items():
        scores += weight * z[name]
    return scores


def _chunk_values(
    snapshot: KnowledgeSnapshot,
    vector: npt.NDArray[np.float32],
    terms: Sequence[str],
    content: Sequence[str],
) -> dict[str, Array]:
    return {
        "lexical": snapshot.lexical.scores(terms),
        "dense": (snapshot.vectors @ vector).astype(np.float64),
        "coverage": snapshot.lexical.coverage(content),
    }


def _article_values(
    snapshot: KnowledgeSnapshot,
    chunk_values: dict[str, Array],
    allowed: npt.NDArray[np.bool_],
    vector: npt.NDArray[np.float32],
    locales: list[str],
) -> dict[str, Array]:
    values = {
        name: _per_article_max(snapshot, np.where(allowed, chunk, -np.inf))
        for name, chunk in chunk_values.items()
    }
    values["heading"] = snapshot.heading_similarity(vector, locales)
    return values


def _per_article_max(snapshot: KnowledgeSnapshot, values: Array) -> Array:
    if not len(values):
        return values
    return np.maximum.reduceat(values, snapshot.article_starts)


class Retriever:
    def __init__(self, default_locale: str = "en", page_boost: float = 1.0) -> None:
        self.default_locale = default_locale
        self.page_boost = page_boost

    @staticmethod
    def page_matches(pages: Sequence[str], page_url: str) -> bool:
        return matches_any(list(pages), page_url)

    def locales_for(self, locale: str | None) -> list[str]:
        wanted = locale or self.default_locale
        return [wanted] if wanted == self.default_locale else [wanted, self.default_locale]

    def retrieve(self, snapshot: KnowledgeSnapshot, query: Query, limit: int = 10) -> Retrieval:
        locales = self.locales_for(query.locale)
        allowed = snapshot.allowed(locales, query.sections_only)
        content, terms = question_terms(query.text)
        if not allowed.any():
            return Retrieval(hits=[], content_terms=content)
        vector = np.asarray(query.vector, dtype=np.float32)
        chunk_values = _chunk_values(snapshot, vector, terms, content)
        article_values = _article_values(snapshot, chunk_values, allowed, vector, locales)
        valid = np.isfinite(article_values["dense"])
        if query.exclude:
            valid[list(query.exclude)] = False
        z = {name: _z(values, valid) for name, values in article_values.items()}
        scores = _fused(z)
        if query.context is not None:  # a follow-up: read with the conversation so far
            context_vector = np.asarray(query.context.vector, dtype=np.float32)
            context_content, context_terms = question_terms(query.context.text)
            context_values = _article_values(
                snapshot,
                _chunk_values(snapshot, context_vector, context_terms, context_content),
                allowed,
                context_vector,
                locales,
            )
            context_z = {name: _z(values, valid) for name, values in context_values.items()}
            scores = (scores + _fused(context_z)) / 2
        wanted = query.locale or self.default_locale
        if wanted != self.default_locale:
            scores += LOCALE_PREFERENCE * (snapshot.article_locale == wanted)
        page = np.zeros(len(scores), dtype=bool)
        if query.page_url:
            page = snapshot.page_mask(query.page_url)
            spread = float(scores[valid].std()) if valid.any() else 1.0
            scores = scores + self.page_boost * spread * page  # in standard deviations
        order = [
            int(i) for i in np.argsort(-scores, kind="stable")[:limit] if np.isfinite(scores[i])
        ]
        spreads = {
            name: float(values[valid].std()) or 1.0 for name, values in article_values.items()
        }
        hits = [
            ArticleHit(
                article_id=snapshot.article_ids[i],
                index=i,
                score=float(scores[i]),
                best_chunk=self._passage(snapshot, i, vector, chunk_values, spreads),
                dense=float(article_values["dense"][i]),
                lexical=float(article_values["lexical"][i]),
                coverage=float(article_values["coverage"][i]),
                page_match=bool(page[i]),
            )
            for i in order
        ]
        margin = hits[0].score - hits[1].score if len(hits) > 1 else 0.0
        signals = Signals(article_values, z, valid)
        return Retrieval(hits=hits, content_terms=content, signals=signals, margin=margin)

    @staticmethod
    def _passage(
        snapshot: KnowledgeSnapshot,
        article: int,
        vector: npt.NDArray[np.float32],
        chunk_values: dict[str, Array],
        spreads: dict[str, float],
    ) -> Chunk:
        """The article's section that scores best on its words, its meaning and its own
        heading, each in units of its spread over the articles."""
        start = int(snapshot.article_starts[article])
        end = (
            int(snapshot.article_starts[article + 1])
            if article + 1 < len(snapshot.article_starts)
            else len(snapshot.chunks)
        )
        sections = [p for p in range(start, end) if snapshot.is_section[p]]
        score = chunk_values["lexical"][sections] / spreads["lexical"]
        score += chunk_values["dense"][sections] / spreads["dense"]
        score += snapshot.section_heading_similarity(sections, vector) / spreads["heading"]
        return snapshot.chunks[sections[int(np.argmax(score))]]
