"""The field types every concern shares, defined once: ids, site, locale, page URL and route.

Each has its pattern (for pydantic, Litestar parameters and settings) and a msgspec type
(for request bodies). `page_key` says how a page is grouped: the host's route when the
widget sent one, else the URL's path.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

import msgspec

from ingest.pages import page_path

ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,128}$"
EVENT_ID_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"
SITE_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"
LOCALE_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
PAGE_URL_PATTERN = r"^(/|https?://[^/?#\s]+)\S*$"
# a route template is a path: letters, digits and the characters a URL path may hold, plus
# the brackets templates use (`/projects/:id`, `/projects/[id]`, `/projects/{id}`); never
# quotes, backticks, angle brackets, backslashes or spaces
ROUTE_PATTERN = r"^/[\w\-.~%!$&'()*+,;=:@/\[\]{}]{0,511}$"
PROMPT_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
CONTEXT_KEY_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"

Id = Annotated[str, msgspec.Meta(pattern=ID_PATTERN)]
EventId = Annotated[str, msgspec.Meta(pattern=EVENT_ID_PATTERN)]
PromptId = Annotated[str, msgspec.Meta(pattern=PROMPT_ID_PATTERN)]
Site = Annotated[
    str,
    msgspec.Meta(pattern=SITE_PATTERN, description="The site key the widget was embedded with."),
]
Locale = Annotated[
    str,
    msgspec.Meta(pattern=LOCALE_PATTERN, description="The user's language, e.g. `en` or `de`."),
]
PageUrl = Annotated[
    str,
    msgspec.Meta(
        max_length=2048,
        pattern=PAGE_URL_PATTERN,
        description="The page the user is on: an absolute http(s) URL or a path starting with '/'.",
    ),
]
Route = Annotated[
    str,
    msgspec.Meta(
        pattern=ROUTE_PATTERN,
        description="The host's route template for the page, e.g. `/projects/:id/billing`.",
    ),
]
# one number type (an integer is kept as a float): with int and float both, a number such as
# 0.0 would match two of the schema's oneOf alternatives
ContextValue = Annotated[str, msgspec.Meta(max_length=200)] | float | bool


class PageContext(msgspec.Struct, forbid_unknown_fields=True):
    """What the host product says about the page (`Frontdesk('page', …)`)."""

    url: PageUrl | None = None
    route: Route | None = None
    title: Annotated[str, msgspec.Meta(max_length=300)] | None = None
    context: Annotated[
        dict[Annotated[str, msgspec.Meta(pattern=CONTEXT_KEY_PATTERN)], ContextValue],
        msgspec.Meta(max_length=20),
    ] = msgspec.field(default_factory=dict)


def page_url_problem(value: str) -> str | None:
    """What is wrong with a page URL, or None: an absolute http(s) URL or a path from '/'."""
    if not value or any(ch.isspace() for ch in value):
        return "must be a URL or a path without spaces"
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unclosed IPv6 host: http://[::1/
        return "is not a valid URL"
    if parts.scheme:
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return "must be an http(s) URL or a path starting with '/'"
    elif not value.startswith("/"):
        return "must be an http(s) URL or a path starting with '/'"
    return None


def page_key(route: str | None, page_url: str) -> str:
    """The page as the dashboard groups it: the host's route, else the URL's path."""
    return route or page_path(page_url)
