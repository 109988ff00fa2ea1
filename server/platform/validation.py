"""Checks a request body or field must pass before anything runs: strict decoding, page URLs,
client timestamps, paths, and the 400 that names the field."""

from __future__ import annotations

import re
from typing import Annotated, TypeVar

import msgspec
from litestar.enums import ScopeType
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import QueryParameter
from litestar.types import ASGIApp, Receive, Scope, Send

from server.fields import LOCALE_PATTERN, PAGE_URL_PATTERN, ROUTE_PATTERN, page_url_problem
from server.platform.days import DAY_MS, iso

# the query parameters that say which page a request is about (/search, /page-articles, /prompts)
PageUrlQuery = Annotated[
    str | None,
    QueryParameter(max_length=2048, pattern=PAGE_URL_PATTERN, description="The page URL."),
]
RouteQuery = Annotated[
    str | None, QueryParameter(pattern=ROUTE_PATTERN, description="The host's route template.")
]
LocaleQuery = Annotated[str | None, QueryParameter(pattern=LOCALE_PATTERN)]


def invalid(field: str, message: str) -> ValidationException:
    """A 400 about one field, for checks the schema cannot express."""
    return ValidationException(
        detail=f"{field}: {message}", extra=[{"key": field, "message": message}]
    )


_AT_PATH = re.compile(r"^(?P<message>.*?)(?: - at `\$\.?(?P<path>[^`]*)`)?$")
T = TypeVar("T")


def _field_with_nul(value: object, path: str) -> str | None:
    """The field whose text holds a NUL character (PostgreSQL cannot store one), if any."""
    children: list[tuple[str, object]]
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, msgspec.Struct):
        children = [
            (f"{path}.{name}" if path else name, getattr(value, name))
            for name in value.__struct_fields__
        ]
    elif isinstance(value, dict):
        if any("\x00" in str(key) for key in value):
            return path
        children = [(path, item) for item in value.values()]
    elif isinstance(value, list):
        children = [(f"{path}[{number}]", item) for number, item in enumerate(value)]
    else:
        return None
    for child_path, child in children:
        if (found := _field_with_nul(child, child_path)) is not None:
            return found
    return None


def decode_strictly(body: bytes, type_: type[T]) -> T:
    """Litestar converts leniently ("1" → True); stores want exactly the schema."""
    try:
        value = msgspec.json.decode(body, type=type_)
    except msgspec.ValidationError as exc:
        match = _AT_PATH.match(str(exc))
        assert match is not None
        raise invalid(match["path"] or "body", match["message"]) from None
    field = _field_with_nul(value, "")
    if field is not None:
        raise invalid(field or "body", "must not contain NUL characters")
    return value


def check_page_url(value: str | None, field: str = "page_url") -> None:
    """A page URL is an absolute http(s) URL or a path starting with '/' (400 otherwise)."""
    if value is None:
        return
    problem = page_url_problem(value)
    if problem is not None:
        raise invalid(field, problem)


def check_timestamp(value: int, now: int, max_age_days: int, field: str) -> None:
    """A client's timestamp (ms) is at most a day ahead of the server's clock and at most
    `max_age_days` behind it (400 otherwise)."""
    if value > now + DAY_MS:
        raise invalid(field, f"{value} is more than a day ahead of the server's clock ({iso(now)})")
    if value < now - max_age_days * DAY_MS:
        raise invalid(
            field,
            f"{value} ({iso(value)}) is more than {max_age_days} days old "
            "(FRONTDESK_EVENT_MAX_AGE_DAYS)",
        )


def no_nul_in_paths(app: ASGIApp) -> ASGIApp:
    """Middleware: a path holding a NUL character names no file and no page (404); the file
    system would refuse it with an error."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and "\x00" in scope["path"]:
            raise NotFoundException(detail="no such path: it holds a NUL character")
        await app(scope, receive, send)

    return middleware
