"""The public API: ask, read an article, and type-ahead search."""

from __future__ import annotations

import os
from typing import Annotated, Any
from urllib.parse import urlsplit

import anyio
import anyio.to_thread
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.exceptions import NotFoundException, ServiceUnavailableException
from litestar.params import JSONBody, PathParameter, QueryParameter

from server.admission import admit
from server.answering import Answerer, IndexNotReadyError
from server.metrics import ANSWERS
from server.problems import invalid, problem_responses
from server.schemas import (
    PAGE_URL_PATTERN,
    ArticleSection,
    ArticleView,
    AskRequest,
    AskResponse,
    SearchResponse,
)


def check_page_url(value: str | None, field: str = "page_url") -> None:
    """A page URL is an absolute http(s) URL or a path starting with '/'."""
    if value is None:
        return
    if any(ch.isspace() for ch in value) or not value:
        raise invalid(field, "must be a URL or a path without spaces")
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unclosed IPv6 host: http://[::1/
        raise invalid(field, "is not a valid URL") from None
    if parts.scheme:
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise invalid(field, "must be an http(s) URL or a path starting with '/'")
    elif not value.startswith("/"):
        raise invalid(field, "must be an http(s) URL or a path starting with '/'")


def _switch_limiter(state: State) -> anyio.CapacityLimiter:
    """Switching to a new index version is slow work: one thread per core, not one per
    request, or threads thrash."""
    limiter: anyio.CapacityLimiter | None = state.get("switch_limiter")
    if limiter is None:
        limiter = anyio.CapacityLimiter(os.cpu_count() or 1)
        state.switch_limiter = limiter
    return limiter


def _answerer(state: State) -> Answerer:
    answerer: Answerer = state.answerer
    return answerer


class AskController(Controller):
    path = "/api/v1"
    tags = ("answers",)

    @post("/ask", status_code=200, responses=problem_responses(400, 403, 429, 503))
    async def ask(
        self, data: JSONBody[AskRequest], request: Request[Any, Any, State], state: State
    ) -> AskResponse:
        """Answer a question from the knowledge base, aware of the page it was asked on."""
        question = data.question.strip()
        if not question:
            raise invalid("question", "must not be empty")
        check_page_url(data.page_url)
        if data.page is not None:
            check_page_url(data.page.url, "page.url")
        await admit(request, "ask", data.site, data.visitor_id)
        answerer = _answerer(state)
        vector = await answerer.encoder.encode(question)
        question_args = (question, vector, data.page_for_matching(), data.locale)
        try:
            snapshot = answerer.snapshot_at_hand()
            if snapshot is not None:
                # scoring takes about a millisecond, and a hop to a thread and back
                # nearly as much again under load (bench/ask_bench.py)
                outcome = answerer.answer(*question_args, snapshot=snapshot)
            else:  # a new index version to open: that waits on disk or a server
                limiter = _switch_limiter(state)
                outcome = await anyio.to_thread.run_sync(
                    answerer.answer, *question_args, limiter=limiter
                )
        except IndexNotReadyError as exc:
            raise ServiceUnavailableException(detail=str(exc)) from None
        ANSWERS.labels(outcome.response.status).inc()
        return outcome.response

    @get(
        "/articles/{article_id:str}",
        sync_to_thread=True,
        responses=problem_responses(400, 404, 503),
    )
    def article(
        self,
        article_id: Annotated[str, PathParameter(max_length=128, description="The article id.")],
        state: State,
    ) -> ArticleView:
        """An article as the widget shows it: sanitized HTML and its sections."""
        try:
            snapshot, _ = _answerer(state).current()
        except IndexNotReadyError as exc:
            raise ServiceUnavailableException(detail=str(exc)) from None
        info = snapshot.articles.get(article_id)
        if info is None:
            raise NotFoundException(detail=f"no article with id {article_id!r}")
        return ArticleView(
            id=info.id,
            title=info.title,
            url=info.url,
            locale=info.locale,
            tags=list(info.tags),
            updated=info.updated,
            html=info.html,
            sections=[ArticleSection(s.title, s.anchor, s.level) for s in info.sections],
        )

    @get("/search", sync_to_thread=True, responses=problem_responses(400, 503))
    def search(
        self,
        state: State,
        q: Annotated[
            str,
            QueryParameter(min_length=1, max_length=200, description="What the user typed so far."),
        ],
        page_url: Annotated[
            str | None, QueryParameter(max_length=2048, pattern=PAGE_URL_PATTERN)
        ] = None,
        locale: Annotated[
            str | None, QueryParameter(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
        ] = None,
    ) -> SearchResponse:
        """Type-ahead over article titles: fast, no model involved."""
        if not q.strip():
            raise invalid("q", "must not be empty")
        check_page_url(page_url)
        try:
            results = _answerer(state).search_titles(q, page_url, locale)
        except IndexNotReadyError as exc:
            raise ServiceUnavailableException(detail=str(exc)) from None
        return SearchResponse(q, results)
