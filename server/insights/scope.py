"""The scope every dashboard figure takes, and how figures are summed from the daily counts.

A scope is a range of UTC days and, optionally, a page pattern. Definitions (the README's
dashboard section says the same):

- deflected sessions: sessions whose outcome is `deflected_confirmed`, `deflected_implied` or
  `deflected_form`;
- deflection rate: deflected sessions / (deflected sessions + tickets);
- durable deflection rate: the deflected sessions no ticket of the visitor on the same topic
  followed within the durable days / (deflected sessions + tickets);
- self-service resolution rate: deflected sessions / every self-service session (deflected,
  ticket or abandoned);
- helpfulness: "Yes" / ("Yes" + "No").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from ingest.pages import compile_pattern
from server.insights.deflection_log import OUTCOMES
from server.platform.days import day_date, day_number, today
from server.tables import daily_counts

DEFAULT_DAYS = 28


@dataclass(frozen=True)
class Scope:
    first_day: int
    last_day: int
    page: str | None = None  # a page pattern, e.g. `/settings/billing*`
    pages: frozenset[str] | None = None  # the known pages it matches (None: every page)

    @property
    def start(self) -> date:
        return day_date(self.first_day)

    @property
    def end(self) -> date:
        return day_date(self.last_day)

    @property
    def days(self) -> int:
        return self.last_day - self.first_day + 1


def make_scope(
    engine: Engine,
    start: date | None,
    end: date | None,
    page: str | None,
) -> Scope:
    """The range (default: the last 28 days up to today, UTC) and the pages the pattern matches."""
    last = end or today()
    first = start or last - timedelta(days=DEFAULT_DAYS - 1)
    pages = None
    if page:
        pattern = compile_pattern(page)
        pages = frozenset(p for p in known_pages(engine) if pattern.match(p))
    return Scope(day_number(first), day_number(last), page, pages)


def known_pages(engine: Engine) -> list[str]:
    with engine.connect() as db:
        return list(
            db.execute(
                select(daily_counts.c.page).where(daily_counts.c.dimension == "all").distinct()
            ).scalars()
        )


def where(scope: Scope, dimension: str, first_day: int | None = None) -> list[Any]:
    """The conditions on `daily_counts` for one dimension in the scope."""
    conditions = [
        daily_counts.c.dimension == dimension,
        daily_counts.c.day >= (scope.first_day if first_day is None else first_day),
        daily_counts.c.day <= scope.last_day,
    ]
    if scope.pages is not None:
        conditions.append(daily_counts.c.page.in_(sorted(scope.pages)))
    return conditions


def sums_by(
    engine: Engine, scope: Scope, dimension: str, by: str, first_day: int | None = None
) -> dict[Any, dict[str, int]]:
    """{key, page or day: {metric: sum}} of one dimension in the scope."""
    column = {"key": daily_counts.c.key, "page": daily_counts.c.page, "day": daily_counts.c.day}[by]
    with engine.connect() as db:
        rows = db.execute(
            select(column, daily_counts.c.metric, func.sum(daily_counts.c.value))
            .where(*where(scope, dimension, first_day))
            .group_by(column, daily_counts.c.metric)
        ).all()
    out: dict[Any, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for key, metric, value in rows:
        out[key][metric] += int(value)
    return out


def rate(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def deflected(metrics: Mapping[str, int]) -> int:
    return (
        metrics.get("deflected_confirmed", 0)
        + metrics.get("deflected_implied", 0)
        + metrics.get("deflected_form", 0)
    )


def deflection_rate(metrics: Mapping[str, int]) -> float | None:
    return rate(deflected(metrics), deflected(metrics) + metrics.get("tickets", 0))


def durably_deflected(metrics: Mapping[str, int]) -> int:
    """Deflected sessions no later ticket on the same topic undid (`server.insights.durable`)."""
    return deflected(metrics) - metrics.get("deflected_reversed", 0)


def durable_rate(metrics: Mapping[str, int]) -> float | None:
    """The deflection rate counting only durable deflections (same denominator)."""
    return rate(durably_deflected(metrics), deflected(metrics) + metrics.get("tickets", 0))


def resolution_rate(metrics: Mapping[str, int]) -> float | None:
    return rate(deflected(metrics), sum(metrics.get(o, 0) for o in OUTCOMES))


def helpfulness(metrics: Mapping[str, int]) -> float | None:
    votes = metrics.get("helpful", 0) + metrics.get("not_helpful", 0)
    return rate(metrics.get("helpful", 0), votes)
