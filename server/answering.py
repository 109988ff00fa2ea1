"""Answering a question: retrieve, decide, and build the reply with its citations.

:class:`Answerer` holds what a server process needs: the live index (it follows
new ingests), the in-memory snapshot rebuilt on every switch, the question
encoder, the retriever and the decider. The HTTP layer and `frontdesk eval`
both go through it, so what is measured is what is served.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from ingest.live import LiveIndex
from ingest.store import IndexCollection
from server.answers import answer_text, snippet
from server.decision import Decider, Decision
from server.knowledge import KnowledgeSnapshot
from server.lexical import tokenize
from server.logs import current_request_id
from server.query_encoder import QueryEncoder, Vector
from server.retrieval import Query, Retrieval, Retriever
from server.schemas import Answer, AskResponse, SearchHit, Source

MAX_SOURCES = 5
MAX_SEARCH_RESULTS = 8


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
        self._lock = threading.Lock()
        live.on_switch(self._rebuild)

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
    ) -> Outcome:
        """The reply to a question; from ``snapshot`` if given, else the current one."""
        if snapshot is None:
            snapshot, _ = self.current()
        query = Query(question, vector, page_url, locale, sections_only=exclude_questions)
        retrieval = self.retriever.retrieve(snapshot, query, limit=MAX_SOURCES * 2)
        decision = self.decider.decide(retrieval, snapshot)
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
