"""The shapes of the public API: requests are validated here before anything else runs."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

Question = Annotated[
    str, msgspec.Meta(min_length=1, max_length=1000, description="What the user asked.")
]
PAGE_URL_PATTERN = r"^(/|https?://[^/?#\s]+)\S*$"
PageUrl = Annotated[
    str,
    msgspec.Meta(
        max_length=2048,
        pattern=PAGE_URL_PATTERN,
        description="The page the user is on: an absolute http(s) URL or a path starting with '/'.",
    ),
]
Locale = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
        description="The user's language, e.g. `en` or `de`.",
    ),
]
SessionId = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.:-]{1,128}$")]
Site = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="The site key the widget was embedded with."
    ),
]
Status = Literal["answered", "suggested", "no_answer"]


Route = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^/[^\s]{0,511}$",
        description="The host's route template for the page, e.g. `/projects/:id/billing`.",
    ),
]
ContextValue = Annotated[str, msgspec.Meta(max_length=200)] | int | float | bool


class PageContext(msgspec.Struct, forbid_unknown_fields=True):
    """What the host product says about the page (`Frontdesk('page', …)`)."""

    url: PageUrl | None = None
    route: Route | None = None
    title: Annotated[str, msgspec.Meta(max_length=300)] | None = None
    context: Annotated[
        dict[Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.-]{1,64}$")], ContextValue],
        msgspec.Meta(max_length=20),
    ] = msgspec.field(default_factory=dict)


class AskRequest(msgspec.Struct, forbid_unknown_fields=True):
    question: Question
    page_url: PageUrl | None = None
    site: Site | None = None
    locale: Locale | None = None
    session_id: SessionId | None = None
    visitor_id: SessionId | None = None
    page: PageContext | None = None

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
