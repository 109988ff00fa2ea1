"""Routing: which destinations get a ticket, by its category, priority and page.

`routes.yaml` (`FRONTDESK_ROUTES_FILE`) lists routes; the first whose conditions all hold
routes the ticket (a condition left out holds for any ticket):

    routes:
      - name: billing-urgent
        categories: [billing]
        priorities: [critical, high]
        pages: ["/settings/billing*"]
        to: [helpdesk, email]
        group: "360001234567"
        assignee: lead@acme.com
        tags: [billing, urgent]

A ticket goes only to its route's destinations, carrying the route's helpdesk fields; its
context records the route (`context.route`). A ticket no route takes goes to every
configured destination but the tracker. The file is read once, at start; every problem
names the file and the line, and a route naming a destination that is not configured is
one of them.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ingest.errors import Finding
from ingest.pages import PatternError, matches_any, validate_pattern
from server.handoff.schema import Priority
from server.platform.yaml_lines import Loader, line_of
from server.settings import SettingsError

TRACKER = "tracker"
DESTINATION_SETTINGS = {
    "webhook": "FRONTDESK_WEBHOOK_URL",
    "email": "FRONTDESK_SMTP_URL and FRONTDESK_EMAIL_TO",
    "helpdesk": "FRONTDESK_HELPDESK_URL",
    TRACKER: "FRONTDESK_TRACKER_REPO",
}
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
TAG_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,79}$"


class RoutesError(SettingsError):
    """The routes file cannot be used; every finding names its line."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = sorted(findings)
        lines = "\n".join(str(f) for f in self.findings)
        super().__init__(f"{len(self.findings)} error(s) in the routes file:\n{lines}")


class Route(BaseModel):
    """One rule: its conditions, its destinations and the fields it gives the helpdesk."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME_PATTERN)
    categories: tuple[str, ...] = ()
    priorities: tuple[Priority, ...] = ()
    pages: tuple[str, ...] = ()
    to: tuple[str, ...] = Field(min_length=1)
    group: str | None = Field(None, min_length=1, max_length=200)
    assignee: str | None = Field(None, min_length=1, max_length=320)
    tags: tuple[str, ...] = ()

    @field_validator("pages")
    @classmethod
    def _patterns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            try:
                validate_pattern(pattern)
            except PatternError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for tag in value:
            if not re.match(TAG_PATTERN, tag):
                raise ValueError(f"tag {tag!r}: use letters, digits, '_', '.', ':' or '-'")
        return value

    @field_validator("group", "assignee", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    def takes(self, category: str, priority: str, page: str | None) -> bool:
        return (
            (not self.categories or category in self.categories)
            and (not self.priorities or priority in self.priorities)
            and (not self.pages or (page is not None and matches_any(self.pages, page)))
        )


class RoutesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    routes: list[Route] = []


@dataclass(frozen=True)
class Routing:
    """The routes and the configured destinations; `route` decides one ticket."""

    routes: tuple[Route, ...]
    configured: tuple[str, ...]

    def route(self, category: str, priority: str, page: str | None) -> dict[str, Any]:
        """What `context.route` records: the rule (None: no route took it), the
        destinations and the helpdesk fields."""
        for rule in self.routes:
            if rule.takes(category, priority, page):
                return {
                    "rule": rule.name,
                    "destinations": [d for d in rule.to if d in self.configured],
                    "group": rule.group,
                    "assignee": rule.assignee,
                    "tags": list(rule.tags),
                }
        return {
            "rule": None,
            "destinations": [d for d in self.configured if d != TRACKER],
            "group": None,
            "assignee": None,
            "tags": [],
        }


def read_routing(path: Path, configured: Collection[str], explicit: bool = False) -> Routing:
    """The routing of a routes file; no file (unless named explicitly): no routes."""
    if not path.exists() and not explicit:
        return Routing((), tuple(configured))
    return Routing(parse_routes(path, configured), tuple(configured))


def parse_routes(path: Path, configured: Collection[str]) -> tuple[Route, ...]:
    """Read and validate a routes file; raise :class:`RoutesError` naming every problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise RoutesError([Finding(path, 1, f"cannot read the file: {reason}")]) from None
    except UnicodeDecodeError:
        raise RoutesError([Finding(path, 1, "the file is not valid UTF-8")]) from None
    try:
        node = yaml.compose(text, Loader=Loader)
        data = yaml.load(text, Loader=Loader) if node is not None else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        line = mark.line + 1 if mark is not None else 1
        raise RoutesError([Finding(path, line, f"invalid YAML: {problem}")]) from None
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise RoutesError([Finding(path, 1, "the file must be a mapping with `routes:`")])
    try:
        parsed = RoutesFile.model_validate(data)
    except ValidationError as exc:
        raise RoutesError(
            [
                Finding(path, line_of(node, tuple(e["loc"])), f"{_where(e['loc'])}: {e['msg']}")
                for e in exc.errors()
            ]
        ) from None
    findings: list[Finding] = []
    seen: set[str] = set()
    for index, route in enumerate(parsed.routes):
        if route.name in seen:
            line = line_of(node, ("routes", index, "name"))
            findings.append(Finding(path, line, f"duplicate route name {route.name!r}"))
        seen.add(route.name)
        for position, destination in enumerate(route.to):
            if destination not in configured:
                line = line_of(node, ("routes", index, "to", position))
                setting = DESTINATION_SETTINGS.get(destination)
                why = f"set {setting}" if setting else f"one of {', '.join(DESTINATION_SETTINGS)}"
                findings.append(
                    Finding(
                        path,
                        line,
                        f"routes[{index}] ({route.name}).to: {destination!r} is not a "
                        f"configured destination ({why})",
                    )
                )
    if findings:
        raise RoutesError(findings)
    return tuple(parsed.routes)


def _where(loc: Sequence[int | str]) -> str:
    """`routes[2].pages[0]` for an error location."""
    parts: list[str] = []
    for key in loc:
        if isinstance(key, int) and parts:
            parts[-1] += f"[{key}]"
        else:
            parts.append(str(key))
    return ".".join(parts)
