"""What a server process holds in memory about one index version.

Built from the chunks stored in Chroma whenever the live index switches to a
new version: every chunk (for lexical search and answers), the heading vectors
(for the decision), each article's
metadata, sanitized HTML and sections (for the article reader), and the BM25
indexes. Chroma stays the one source of truth; this is a read-only view of it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from ingest.chunking import SECTION_SEPARATOR, Chunk
from ingest.pages import matches_any, page_path
from ingest.store import IndexCollection
from server.ask.lexical import LexicalIndex, tokenize, with_bigrams

logger = logging.getLogger(__name__)


def _matrix(vectors: Sequence[Sequence[float]]) -> npt.NDArray[np.float32]:
    return np.asarray(vectors, dtype=np.float32).reshape(len(vectors), -1)


@dataclass(frozen=True)
class SectionInfo:
    title: str
    anchor: str
    level: int


@dataclass
class ArticleInfo:
    id: str
    title: str
    url: str
    locale: str
    pages: tuple[str, ...]
    tags: tuple[str, ...]
    updated: str
    html_parts: list[str] = field(default_factory=list)
    sections: list[SectionInfo] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)

    @property
    def html(self) -> str:
        return "".join(self.html_parts)


class KnowledgeSnapshot:
    """All chunks of one index version, with the lexical indexes built over them."""

    def __init__(
        self,
        chunks: list[Chunk],
        vectors: Sequence[Sequence[float]],
        version: str | None = None,
        calibration: dict[str, Any] | None = None,
    ) -> None:
        started = time.perf_counter()
        self.version = version
        self.calibration_data = calibration  # what the decision learned at ingest
        order = sorted(
            range(len(chunks)),
            key=lambda i: (chunks[i].article_id, chunks[i].kind, chunks[i].position),
        )
        passages = [i for i in order if chunks[i].kind != "heading"]
        headings = [i for i in order if chunks[i].kind == "heading"]
        self.chunks = [chunks[i] for i in passages]
        self.vectors = _matrix([vectors[i] for i in passages])
        self.heading_chunks = [chunks[i] for i in headings]
        self.heading_vectors = _matrix([vectors[i] for i in headings])
        self.position_of = {c.id: i for i, c in enumerate(self.chunks)}
        self.articles: dict[str, ArticleInfo] = {}
        for chunk in self.chunks:
            self._add_to_article(chunk)
        self.article_ids = sorted(self.articles)
        self._build_arrays()
        tokens = [with_bigrams(tokenize(c.embedding_text)) for c in self.chunks]
        titles = [tokenize(self.articles[a].title) for a in self.article_ids]
        self.title_terms = {a: frozenset(t) for a, t in zip(self.article_ids, titles, strict=True)}
        self.lexical = LexicalIndex(tokens)
        self.titles = LexicalIndex(titles)
        logger.info(
            "knowledge snapshot built version=%s chunks=%d articles=%d seconds=%.2f",
            version,
            len(self.chunks),
            len(self.articles),
            time.perf_counter() - started,
        )

    @classmethod
    def from_collection(cls, collection: IndexCollection, version: str | None) -> KnowledgeSnapshot:
        stored = list(collection.iter_chunks(include_embeddings=True))
        vectors = [s.embedding or () for s in stored]
        return cls([s.chunk for s in stored], vectors, version, collection.calibration)

    def _add_to_article(self, chunk: Chunk) -> None:
        article = self.articles.get(chunk.article_id)
        if article is None:
            article = ArticleInfo(
                chunk.article_id,
                chunk.title,
                chunk.url,
                chunk.locale,
                chunk.pages,
                chunk.tags,
                chunk.updated,
            )
            self.articles[chunk.article_id] = article
        if chunk.kind == "question":
            article.questions.append(chunk.text)
            return
        article.html_parts.append(chunk.html)
        if chunk.anchor and all(s.anchor != chunk.anchor for s in article.sections):
            path = chunk.section.split(SECTION_SEPARATOR)
            article.sections.append(SectionInfo(path[-1], chunk.anchor, len(path)))

    def _build_arrays(self) -> None:
        """Per-chunk arrays for vectorized scoring (chunks are grouped by article)."""
        index_of = {a: i for i, a in enumerate(self.article_ids)}
        self.chunk_article = np.array([index_of[c.article_id] for c in self.chunks], dtype=np.intp)
        self.heading_article = np.array(
            [index_of[c.article_id] for c in self.heading_chunks], dtype=np.intp
        )
        self.heading_locale = np.array([c.locale for c in self.heading_chunks], dtype=object)
        self.heading_starts = np.flatnonzero(np.diff(self.heading_article, prepend=-1)).astype(
            np.intp
        )
        heading_of = {(c.article_id, c.section): i for i, c in enumerate(self.heading_chunks)}
        # each passage's own heading chunk (-1: none), to tell which section answers
        self.section_heading = np.array(
            [heading_of.get((c.article_id, c.section), -1) for c in self.chunks], dtype=np.intp
        )
        # headings of other locales, per set of locales (None: there are none)
        self._heading_allowed: dict[tuple[str, ...], npt.NDArray[np.bool_] | None] = {}
        self.is_section = np.array([c.kind == "section" for c in self.chunks], dtype=bool)
        self.chunk_locale = np.array([c.locale for c in self.chunks], dtype=object)
        self.article_starts = np.flatnonzero(np.diff(self.chunk_article, prepend=-1)).astype(
            np.intp
        )
        self.locales = frozenset(c.locale for c in self.chunks)
        self.article_locale = np.array(
            [self.articles[a].locale for a in self.article_ids], dtype=object
        )
        self._page_masks: dict[str, npt.NDArray[np.bool_]] = {}
        self._allowed: dict[tuple[tuple[str, ...], bool], npt.NDArray[np.bool_]] = {}

    def allowed(self, locales: Sequence[str], sections_only: bool) -> npt.NDArray[np.bool_]:
        """Chunks a question in these locales may use (computed once per combination)."""
        key = (tuple(locales), sections_only)
        mask = self._allowed.get(key)
        if mask is None:
            mask = np.isin(self.chunk_locale, list(locales))
            if sections_only:
                mask = mask & self.is_section
            self._allowed[key] = mask
        return mask

    def page_mask(self, page_url: str) -> npt.NDArray[np.bool_]:
        """Which articles (in ``article_ids`` order) have `pages` matching the page."""
        key = page_path(page_url)
        mask = self._page_masks.get(key)
        if mask is None:
            mask = np.array(
                [matches_any(list(self.articles[a].pages), key) for a in self.article_ids],
                dtype=bool,
            )
            if len(self._page_masks) < 10_000:
                self._page_masks[key] = mask
        return mask

    def first_section(self, article_id: str) -> Chunk:
        """The first passage of an article (every indexed article has one)."""
        return next(c for c in self.chunks if c.article_id == article_id and c.kind == "section")

    def heading_similarity(
        self, vector: npt.NDArray[np.float32], locales: Sequence[str]
    ) -> npt.NDArray[np.float64]:
        """Per article: the cosine similarity of its closest heading (-1 if it has none)."""
        best = np.full(len(self.article_ids), -1.0)
        if not len(self.heading_chunks):
            return best
        key = tuple(locales)
        if key not in self._heading_allowed:
            allowed = np.isin(self.heading_locale, list(locales))
            self._heading_allowed[key] = None if allowed.all() else ~allowed
        excluded = self._heading_allowed[key]
        similarity = self.heading_vectors @ vector
        if excluded is not None:
            similarity[excluded] = -1.0
        best[self.heading_article[self.heading_starts]] = np.maximum.reduceat(
            similarity, self.heading_starts
        )
        return best

    def section_heading_similarity(
        self, passages: Sequence[int], vector: npt.NDArray[np.float32]
    ) -> npt.NDArray[np.float64]:
        """Per passage: the cosine similarity of the question and the passage's own heading
        (title and section path); 0 for a passage without one."""
        own = self.section_heading[list(passages)]
        similarity = np.zeros(len(own))
        known = own >= 0
        if known.any():
            similarity[known] = self.heading_vectors[own[known]] @ vector
        return similarity

    def __len__(self) -> int:
        return len(self.chunks)
