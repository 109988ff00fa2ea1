"""The shapes of `/ask`, `/articles` and `/search`: requests are validated here before anything
else runs."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from server.fields import Id, Locale, PageContext, PageUrl, Site

Question = Annotated[
    str, msgspec.Meta(min_length=1, max_length=1000, description="What the user asked.")
]
Status = Literal["answered", "suggested", "no_answer"]
History = Annotated[
    list[Question],
    msgspec.Meta(
        max_length=10,
        description="The user's earlier questions in this conversation, oldest first: a "
        "follow-up is read with them.",
    ),
]


class AskRequest(msgspec.Struct, forbid_unknown_fields=True):
    question: Question
    page_url: PageUrl | None = None
    site: Site | None = None
    locale: Locale | None = None
    session_id: Id | None = None
    visitor_id: Id | None = None
    page: PageContext | None = None
    history: History = msgspec.field(default_factory=list)

    def page_for_matching(self) -> str | None:
        """Articles' `pages` patterns match the host's route template when it sent one."""
        if self.page is not None and self.page.route:
            return self.page.route
        return self.page_url


class Answer(msgspec.Struct):
    text: str
    article_id: str
    title: str
    url: str
    section: str


class Source(msgspec.Struct):
    article_id: str
    title: str
    url: str
    section: str
    snippet: str
    score: float


class AskResponse(msgspec.Struct):
    status: Status
    answer: Answer | None
    sources: list[Source]
    request_id: str


class ArticleSection(msgspec.Struct):
    title: str
    anchor: str
    level: int


class ArticleView(msgspec.Struct):
    id: str
    title: str
    url: str
    locale: str
    tags: list[str]
    updated: str
    html: str
    sections: list[ArticleSection]


class SearchHit(msgspec.Struct):
    article_id: str
    title: str
    url: str


class SearchResponse(msgspec.Struct):
    query: str
    results: list[SearchHit]


class PageArticlesResponse(msgspec.Struct):
    """The articles for a page: those whose `pages` match it, the most specific first."""

    articles: list[SearchHit]
