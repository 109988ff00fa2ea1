"""What a prompt is: its pages, trigger, message, audience, limits and holdout share, as
`prompts.yaml` states them (pydantic models), and the validated set of them.

The widget evaluates the triggers; the server only says which prompts can apply to a
page (`prompts_for`). A visitor's holdout bucket is the same number here and in the widget.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import cssselect
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ingest.errors import Finding
from ingest.pages import PatternError, compile_pattern, page_path, validate_pattern
from server.fields import ID_PATTERN, LOCALE_PATTERN, PROMPT_ID_PATTERN

Id = Annotated[str, Field(pattern=PROMPT_ID_PATTERN)]
ArticleId = Annotated[str, Field(pattern=ID_PATTERN)]
ERROR_ELEMENTS = '[aria-invalid="true"], [role="alert"]:not(:empty)'
_DURATION = re.compile(r"^(\d+)\s*(s|m|h|d)$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _selector(value: str) -> str:
    try:
        cssselect.parse(value)
    except cssselect.SelectorError as exc:
        raise ValueError(f"not a valid CSS selector: {value!r} ({exc})") from None
    return value


Selector = Annotated[str, Field(min_length=1, max_length=300)]


class _WithSelector(_Strict):
    @field_validator("selector", check_fields=False)
    @classmethod
    def _valid_selector(cls, value: str) -> str:
        return _selector(value)


class Delay(_Strict):
    type: Literal["delay"]
    seconds: float = Field(gt=0, le=3600, description="Seconds on the page.")


class Idle(_Strict):
    type: Literal["idle"]
    seconds: float = Field(gt=0, le=3600, description="Seconds without input, tab visible.")


class ExitIntent(_Strict):
    type: Literal["exit_intent"]


class ScrollDepth(_Strict):
    type: Literal["scroll_depth"]
    percent: int = Field(ge=1, le=100)


class Click(_WithSelector):
    type: Literal["click"]
    selector: Selector


class ElementVisible(_WithSelector):
    type: Literal["element_visible"]
    selector: Selector


class ErrorShown(_WithSelector):
    type: Literal["error_shown"]
    selector: Selector = ERROR_ELEMENTS


class RepeatedErrors(_WithSelector):
    type: Literal["repeated_errors"]
    selector: Selector = ERROR_ELEMENTS
    count: int = Field(3, ge=2, le=50, description="The same error shown this many times.")


class RageClicks(_Strict):
    type: Literal["rage_clicks"]
    count: int = Field(4, ge=3, le=20)
    within_ms: int = Field(1000, ge=200, le=5000)
    radius_px: int = Field(30, ge=5, le=200)


class VisitCount(_Strict):
    type: Literal["visit_count"]
    count: int = Field(
        ge=1, le=1000, description="Shown on this visit to the page, counting from 1."
    )


class HostEvent(_Strict):
    type: Literal["event"]
    name: str = Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$", description="Frontdesk('track', name)")


Trigger = Annotated[
    Delay
    | Idle
    | ExitIntent
    | ScrollDepth
    | Click
    | ElementVisible
    | ErrorShown
    | RepeatedErrors
    | RageClicks
    | VisitCount
    | HostEvent,
    Field(discriminator="type"),
]
TRIGGER_TYPES = (
    "delay idle exit_intent scroll_depth click element_visible error_shown repeated_errors "
    "rage_clicks visit_count event"
).split()

TraitValue = str | int | bool


class Audience(_Strict):
    visitor: Literal["any", "new", "returning"] = "any"
    identified: bool | None = None
    traits: dict[str, TraitValue | list[TraitValue]] = Field(
        default_factory=dict, description="Identified-user traits that must match, e.g. plan."
    )


def _duration(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("must be a duration like 30m, 12h or 7d")
    if isinstance(value, int):
        seconds = value
    elif isinstance(value, str) and (match := _DURATION.match(value.strip())):
        seconds = int(match[1]) * _SECONDS[match[2]]
    else:
        raise ValueError("must be a duration like 30m, 12h or 7d (or a number of seconds)")
    if not 0 <= seconds <= 365 * 86400:
        raise ValueError("must be between 0 and 365 days")
    return seconds


class Prompt(_Strict):
    id: Id
    pages: list[str] = Field(min_length=1)
    trigger: Trigger
    message: str = Field(min_length=1, max_length=280)
    questions: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=3
    )
    articles: list[ArticleId] = Field(default_factory=list, max_length=3)
    locale: str | None = Field(None, pattern=LOCALE_PATTERN)
    audience: Audience = Audience()
    start: date | None = None
    end: date | None = None
    priority: int = Field(0, ge=-1000, le=1000)
    max_shows: int = Field(3, ge=1, le=1000, description="Per visitor, ever.")
    cooldown: int = Field(86400, description="Seconds before the prompt may show again.")
    holdout: float = Field(0, ge=0, le=90, description="Percent of eligible visitors not shown.")

    @field_validator("pages")
    @classmethod
    def _patterns(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                validate_pattern(pattern)
            except PatternError as exc:
                raise ValueError(f"{exc}; it can never match a page") from None
        return value

    @field_validator("cooldown", mode="before")
    @classmethod
    def _cooldown(cls, value: Any) -> int:
        return _duration(value)

    @model_validator(mode="after")
    def _dates_in_order(self) -> Prompt:
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        return self

    def applies_to(self, path: str | None, route: str | None, today: date) -> bool:
        if (self.start and today < self.start) or (self.end and today > self.end):
            return False
        candidates = [p for p in (route, path) if p]
        return any(compile_pattern(p).match(c) for p in self.pages for c in candidates)


class Limits(_Strict):
    per_visitor_per_day: int = Field(
        1, ge=0, le=100, description="Prompts one visitor sees a day, across all prompts (0: none)."
    )


class PromptsFile(_Strict):
    limits: Limits = Limits()
    prompts: list[Prompt] = Field(default_factory=list)


@dataclass(frozen=True)
class PromptSet:
    """A validated prompts file and the version tag of its content."""

    path: Path
    limits: Limits
    prompts: tuple[Prompt, ...]
    digest: str

    def prompts_for(
        self, url: str | None, route: str | None, locale: str | None, today: date
    ) -> list[Prompt]:
        path = page_path(url) if url else None
        chosen = [
            p
            for p in self.prompts
            if p.applies_to(path, route, today)
            and (p.locale is None or locale is None or locale.split("-")[0] == p.locale)
        ]
        return sorted(chosen, key=lambda p: -p.priority)

    def article_findings(self, known_ids: Iterable[str], lines: dict[str, int]) -> list[Finding]:
        """Prompts that point at articles the knowledge base does not have."""
        known = set(known_ids)
        return [
            Finding(
                self.path,
                lines.get(f"{p.id}.articles", 1),
                f"prompt {p.id!r}: unknown article {a!r}",
            )
            for p in self.prompts
            for a in p.articles
            if a not in known
        ]


def holdout_bucket(visitor_id: str, prompt_id: str) -> int:
    """0-9999, stable per visitor and prompt: 32-bit FNV-1a of `visitor:prompt` (UTF-8).

    The widget computes the same number; a visitor is in the holdout when
    `bucket < holdout * 100` (`holdout` in percent).
    """
    value = 0x811C9DC5
    for byte in f"{visitor_id}:{prompt_id}".encode():
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value % 10_000


def holdout_group(visitor_id: str, prompt: Prompt) -> Literal["shown", "holdout"]:
    return "holdout" if holdout_bucket(visitor_id, prompt.id) < prompt.holdout * 100 else "shown"
