"""Page patterns: which product pages an article (or a prompt) belongs to.

A pattern is a path on the host product, e.g. ``/settings/billing*`` or
``/projects/:id/board``: ``*`` matches any characters (``/`` included), a
``:name`` segment matches exactly one path segment. Patterns match the path of
a page URL; scheme, host, query and fragment are ignored, and so is a trailing
slash.

Patterns run on RE2, which matches in time linear in the path whatever the
pattern: several stars against a long path cannot make a backtracking engine
spin for minutes (a route of 2,048 characters is something anyone can send).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Protocol
from urllib.parse import urlsplit

import re2

_ALLOWED = re.compile(r"^/[A-Za-z0-9\-._~%/*:@!$&'()+,;=]*$")
_PARAM = re.compile(r":([A-Za-z_][A-Za-z0-9_]*)")


class PatternError(ValueError):
    """A page pattern that cannot be used; the message says why."""


def validate_pattern(pattern: str) -> str:
    """Return the pattern if it is well formed, else raise :class:`PatternError`."""
    if not isinstance(pattern, str) or not pattern:
        raise PatternError("a page pattern must be a non-empty string")
    if not pattern.startswith("/"):
        raise PatternError(f"page pattern {pattern!r} must start with '/'")
    if any(ch.isspace() for ch in pattern):
        raise PatternError(f"page pattern {pattern!r} contains whitespace")
    if "?" in pattern or "#" in pattern:
        raise PatternError(f"page pattern {pattern!r} must be a path, without '?' or '#'")
    if not _ALLOWED.match(pattern):
        raise PatternError(f"page pattern {pattern!r} contains characters not allowed in a path")
    if "//" in pattern:
        raise PatternError(f"page pattern {pattern!r} has an empty segment ('//')")
    for segment in pattern.split("/"):
        if ":" in segment and not _PARAM.fullmatch(segment):
            raise PatternError(
                f"page pattern {pattern!r}: ':' starts a parameter that must fill a whole "
                f"segment, like '/projects/:id' (got {segment!r})"
            )
    return pattern


class PagePattern(Protocol):
    def match(self, text: str) -> object | None:
        """A match (truthy) when the path is one of the pattern's pages, else None."""


@lru_cache(maxsize=4096)
def compile_pattern(pattern: str) -> PagePattern:
    validate_pattern(pattern)
    body = pattern.rstrip("/") or "/"
    parts: list[str] = []
    for segment in body.split("/"):
        if _PARAM.fullmatch(segment):
            parts.append("[^/]+")
        else:
            parts.append(".*".join(re.escape(piece) for piece in segment.split("*")))
    regex = "/".join(parts) if body != "/" else "/"
    compiled: PagePattern = re2.compile(f"^{regex}/?$")
    return compiled


def page_path(page_url: str) -> str:
    """The path of a page URL (absolute URL or path), without trailing slash."""
    path = urlsplit(page_url).path or "/"
    return path.rstrip("/") or "/"


def matches(pattern: str, page_url: str) -> bool:
    """True when ``page_url`` is one of the pages ``pattern`` describes."""
    return bool(compile_pattern(pattern).match(page_path(page_url)))


def matches_any(patterns: tuple[str, ...] | list[str], page_url: str) -> bool:
    return any(matches(p, page_url) for p in patterns)
