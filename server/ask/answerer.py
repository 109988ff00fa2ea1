"""Answering a question: retrieve, decide, and build the reply with its citations.

The answer text is always taken from the knowledge base, never generated. A short
passage is the answer as it stands. From a long one, the answer is the run of up to
three consecutive sentences that shares the most (IDF-weighted) terms with the
question, so the user reads the part that answers them.

:class:`Answerer` holds what a server process needs: the live index (it follows
new ingests), the in-memory snapshot rebuilt on every switch, the question
encoder, the retriever and the decider. The HTTP layer and `frontdesk eval`
both go through it, so what is measured is what is served.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import anyio
import numpy as np
import numpy.typing as npt

from ingest.live import LiveIndex
from ingest.pages import matches
from ingest.store import IndexCollection
from server.ask.calibration import Calibration, off_topic_questions
from server.ask.decision import Decider, Decision
from server.ask.knowledge import KnowledgeSnapshot
from server.ask.lexical import tokenize
from server.ask.query_encoder import QueryEncoder, Vector
from server.ask.retrieval import Context, Query, Retrieval, Retriever
from server.ask.schemas import Answer, AskResponse, SearchHit, Source
from server.platform.logs import current_request_id

MAX_SOURCES = 5
MAX_SEARCH_RESULTS = 8
SHORT_PASSAGE_WORDS = 80
MAX_SENTENCES = 3
SNIPPET_CHARS = 220
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(*`])")


class IndexNotReadyError(Exception):
    """No index version has been published yet."""


@dataclass(frozen=True)
class Outcome:
    response: AskResponse
    retrieval: Retrieval
    decision: Decision


class Answerer:
    def __init__(
        self, live: LiveIndex, encoder: QueryEncoder, retriever: Retriever, decider: Decider
    ) -> None:
        self.live = live
        self.encoder = encoder
        self.retriever = retriever
        self.decider = decider
        self._snapshot: KnowledgeSnapshot | None = None
        self._calibration: tuple[KnowledgeSnapshot, Calibration] | None = None
        self._off_topic: npt.NDArray[np.float32] | None = None
        self._lock = threading.Lock()
        self._switch_limiter: anyio.CapacityLimiter | None = None
        live.on_switch(self._rebuild)

    def off_topic_vectors(self) -> npt.NDArray[np.float32]:
        """The shipped off-topic questions, embedded by the question model (once)."""
        if self._off_topic is None:
            vectors = self.encoder.encode_now(list(off_topic_questions()))
            self._off_topic = np.asarray(vectors, dtype=np.float32)
        return self._off_topic

    def calibration_of(self, snapshot: KnowledgeSnapshot) -> Calibration:
        known = self._calibration
        if known is not None and known[0] is snapshot:
            return known[1]
        calibration = Calibration.from_json(snapshot.calibration_data)
        self._calibration = (snapshot, calibration)
        return calibration

    def switch_limiter(self) -> anyio.CapacityLimiter:
        """Switching to a new index version is slow work: one thread per core, not one per
        request, or threads thrash (made on first use, inside the event loop)."""
        if self._switch_limiter is None:
            self._switch_limiter = anyio.CapacityLimiter(os.cpu_count() or 1)
        return self._switch_limiter

    def _rebuild(self, collection: IndexCollection, version: str) -> KnowledgeSnapshot:
        snapshot = KnowledgeSnapshot.from_collection(collection, version)
        with self._lock:
            self._snapshot = snapshot
        return snapshot

    def snapshot_at_hand(self) -> KnowledgeSnapshot | None:
        """The snapshot, when it is known to be current without opening an index version
        or asking a Chroma server (None otherwise: `current` would do that)."""
        snapshot = self._snapshot
        if snapshot is None or snapshot.version != self.live.version:
            return None
        return snapshot if self.live.known_current() else None

    def current(self) -> tuple[KnowledgeSnapshot, IndexCollection]:
        """The snapshot and collection of the live version (switching if one was published)."""
        collection = self.live.collection()
        if collection is None:
            raise IndexNotReadyError("no index yet: run `frontdesk ingest` first")
        snapshot = self._snapshot
        if snapshot is None or snapshot.version != self.live.version:
            snapshot = self._rebuild(collection, self.live.version or "")
        return snapshot, collection

    def answer(
        self,
        question: str,
        vector: Vector,
        page_url: str | None = None,
        locale: str | None = None,
        *,
        exclude_questions: bool = False,
        snapshot: KnowledgeSnapshot | None = None,
        context: Context | None = None,
    ) -> Outcome:
        """The reply to a question; from ``snapshot`` if given, else the current one.
        ``context``: a follow-up joined with the user's earlier questions."""
        if snapshot is None:
            snapshot, _ = self.current()
        query = Query(
            question, vector, page_url, locale, sections_only=exclude_questions, context=context
        )
        retrieval = self.retriever.retrieve(snapshot, query, limit=MAX_SOURCES * 2)
        off_topic = float((self.off_topic_vectors() @ np.asarray(vector, np.float32)).max())
        decision = self.decider.decide(retrieval, self.calibration_of(snapshot), off_topic)
        return Outcome(self._response(snapshot, question, retrieval, decision), retrieval, decision)

    def _response(
        self, snapshot: KnowledgeSnapshot, question: str, retrieval: Retrieval, decision: Decision
    ) -> AskResponse:
        request_id = current_request_id()
        if decision.status == "no_answer":
            return AskResponse("no_answer", None, [], request_id)
        sources = [
            Source(
                article_id=hit.article_id,
                title=hit.best_chunk.title,
                url=hit.best_chunk.deep_link,
                section=hit.best_chunk.section,
                snippet=snippet(hit.best_chunk.text),
                score=round(hit.score, 4),
            )
            for hit in retrieval.hits[:MAX_SOURCES]
        ]
        answer = None
        if decision.status == "answered":
            best = retrieval.hits[0].best_chunk
            text = answer_text(best.text, question, snapshot.lexical.idf)
            sources[0].snippet = snippet(text)
            answer = Answer(text, best.article_id, best.title, best.deep_link, best.section)
        return AskResponse(decision.status, answer, sources, request_id)

    def search_titles(self, text: str, page_url: str | None, locale: str | None) -> list[SearchHit]:
        """Type-ahead: article titles matching the words typed so far (the last may be partial)."""
        snapshot, _ = self.current()
        locales = self.retriever.locales_for(locale)
        scores = snapshot.titles.scores(text)
        words = text.lower().split()
        partial = words[-1] if words and not text.endswith(" ") else ""
        stem = tokenize(partial)
        ranked = []
        for index, article_id in enumerate(snapshot.article_ids):
            info = snapshot.articles[article_id]
            if info.locale not in locales:
                continue
            score = float(scores[index])
            if partial and any(
                w.startswith(partial) or (stem and w.startswith(stem[0]))
                for w in info.title.lower().split()
            ):
                score += 1.0
            if score <= 0:
                continue
            if page_url and self.retriever.page_matches(info.pages, page_url):
                score += 0.5
            ranked.append((score, info.title, info))
        ranked.sort(key=lambda item: (-item[0], item[1]))
        return [SearchHit(i.id, i.title, i.url) for _, _, i in ranked[:MAX_SEARCH_RESULTS]]

    def page_articles(self, page: str, locale: str | None, limit: int) -> list[SearchHit]:
        """The articles whose `pages` match the page (a route or URL), the most specific
        pattern first (the longest that matches), then by title."""
        snapshot, _ = self.current()
        locales = self.retriever.locales_for(locale)
        ranked = []
        for article_id in snapshot.article_ids:
            info = snapshot.articles[article_id]
            if info.locale not in locales:
                continue
            fitting = [len(p) for p in info.pages if matches(p, page)]
            if fitting:
                ranked.append((-max(fitting), locales.index(info.locale), info.title, info))
        ranked.sort(key=lambda item: item[:3])
        return [SearchHit(i.id, i.title, i.url) for *_, i in ranked[:limit]]


def conversation_text(question: str, earlier: Sequence[str]) -> str | None:
    """A follow-up joined with the user's earlier questions (the question first, so it is
    what the model keeps if the text runs over its length); None for a first question."""
    earlier = [text.strip() for text in earlier if text.strip()]
    return " ".join([question, *earlier]) if earlier else None


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def answer_text(passage: str, question: str, idf: Callable[[str], float]) -> str:
    """The passage, or its most relevant run of sentences when it is long."""
    if len(passage.split()) <= SHORT_PASSAGE_WORDS:
        return passage
    sentences = split_sentences(passage)
    if len(sentences) <= MAX_SENTENCES:
        return passage
    wanted = set(tokenize(question))
    weights = [sum(idf(t) for t in set(tokenize(s)) & wanted) for s in sentences]
    best_start, best_score = 0, -1.0
    for start in range(len(sentences) - MAX_SENTENCES + 1):
        score = sum(weights[start : start + MAX_SENTENCES])
        if score > best_score:
            best_start, best_score = start, score
    return " ".join(sentences[best_start : best_start + MAX_SENTENCES])


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """The start of a passage, cut at a word boundary."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"
