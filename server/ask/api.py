"""`/api/v1/ask`, `/articles/{id}`, `/search` and `/page-articles`: ask, read an article,
type-ahead search, and the articles for a page."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

import anyio.to_thread
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, ServiceUnavailableException
from litestar.params import JSONBody, PathParameter, QueryParameter

from server.ask.answerer import Answerer, IndexNotReadyError, conversation_text
from server.ask.retrieval import Context
from server.ask.schemas import (
    ArticleSection,
    ArticleView,
    AskRequest,
    AskResponse,
    PageArticlesResponse,
    SearchResponse,
)
from server.platform.admission import Admission
from server.platform.metrics import ANSWERS
from server.platform.problems import problem_responses
from server.platform.validation import (
    LocaleQuery,
    PageUrlQuery,
    RouteQuery,
    check_page_url,
    invalid,
)


class AskController(Controller):
    path = "/api/v1"
    tags = ("answers",)

    @post("/ask", status_code=200, responses=problem_responses(400, 403, 429, 503))
    async def ask(
        self,
        data: JSONBody[AskRequest],
        request: Request[Any, Any, Any],
        answerer: NamedDependency[Answerer],
        admission: NamedDependency[Admission],
    ) -> AskResponse:
        """Answer a question from the knowledge base, aware of the page it was asked on."""
        question = data.question.strip()
        if not question:
            raise invalid("question", "must not be empty")
        check_page_url(data.page_url)
        if data.page is not None:
            check_page_url(data.page.url, "page.url")
        await admission.admit_request(request, "ask", data.site, data.visitor_id)
        vector = await answerer.encoder.encode(question)
        conversation = conversation_text(question, data.history)
        context = (
            Context(conversation, await answerer.encoder.encode(conversation))
            if conversation
            else None
        )
        question_args = (question, vector, data.page_for_matching(), data.locale)
        try:
            snapshot = answerer.snapshot_at_hand()
            if snapshot is not None:
                # scoring takes about a millisecond, and a hop to a thread and back
                # nearly as much again under load (bench/ask_bench.py)
                outcome = answerer.answer(*question_args, snapshot=snapshot, context=context)
            else:  # a new index version to open: that waits on disk or a server
                outcome = await anyio.to_thread.run_sync(
                    partial(answerer.answer, *question_args, context=context),
                    limiter=answerer.switch_limiter(),
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
        answerer: NamedDependency[Answerer],
    ) -> ArticleView:
        """An article as the widget shows it: sanitized HTML and its sections."""
        try:
            snapshot, _ = answerer.current()
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
        answerer: NamedDependency[Answerer],
        q: Annotated[
            str,
            QueryParameter(min_length=1, max_length=200, description="What the user typed so far."),
        ],
        page_url: PageUrlQuery = None,
        locale: LocaleQuery = None,
    ) -> SearchResponse:
        """Type-ahead over article titles: fast, no model involved."""
        if not q.strip():
            raise invalid("q", "must not be empty")
        check_page_url(page_url)
        try:
            results = answerer.search_titles(q, page_url, locale)
        except IndexNotReadyError as exc:
            raise ServiceUnavailableException(detail=str(exc)) from None
        return SearchResponse(q, results)

    @get("/page-articles", sync_to_thread=True, responses=problem_responses(400, 503))
    def page_articles(
        self,
        answerer: NamedDependency[Answerer],
        url: PageUrlQuery = None,
        route: RouteQuery = None,
        locale: LocaleQuery = None,
        limit: Annotated[int, QueryParameter(ge=1, le=10, description="At most this many.")] = 3,
    ) -> PageArticlesResponse:
        """The articles whose `pages` match the page, matched against the route when there is
        one (else the URL's path), the most specific pattern first: what the widget shows
        when it opens, before the user types."""
        if url is None and route is None:
            raise invalid("url", "give the page's url, its route, or both")
        check_page_url(url, "url")
        page = route or url
        assert page is not None
        try:
            return PageArticlesResponse(answerer.page_articles(page, locale, limit))
        except IndexNotReadyError as exc:
            raise ServiceUnavailableException(detail=str(exc)) from None
