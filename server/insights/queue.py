"""The helpdesk queue: tickets created against resolved per day, the open queue's depth,
first-response and resolution times (median and 90th percentile) by category and priority,
and the SLA targets per priority with their breaches.

Read from the helpdesk's tickets (`server.helpdesk`), every source together. Definitions
(the README's queue section says the same):

- created on a day: tickets whose creation falls on it; resolved: tickets solved on it (a
  ticket reopened later is open again, and counts where it is solved last);
- open at the end of a day: created by then and not solved by then;
- first-response time: from creation to the first public agent reply; resolution time:
  from creation to being solved; both of the tickets created in the range;
- a first-response breach: a ticket created in the range whose first reply took longer
  than its priority's target, or that has waited longer than that without one (and is not
  solved); a resolution breach likewise;
- with a page filter, only the tickets Frontdesk handed off from those pages count.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Engine, Select, func, select

from server.insights.overview import overview
from server.insights.scope import Scope, rate
from server.platform.days import day_date, end_ms
from server.settings import Settings
from server.tables import helpdesk_tickets

HOUR_MS = 3_600_000
PRIORITIES = ("critical", "high", "medium", "low")


@dataclass(frozen=True)
class SlaTargets:
    """Hours per priority; a priority left out has no target."""

    first_response: Mapping[str, float] = field(default_factory=dict)
    resolution: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> SlaTargets:
        first = {str(k): v for k, v in settings.sla_first_response_hours.items()}
        resolution = {str(k): v for k, v in settings.sla_resolution_hours.items()}
        return cls(first, resolution)


@dataclass
class QueueDay:
    day: date
    created: int
    resolved: int
    open: int  # at the end of the day


@dataclass
class Times:
    """First-response and resolution times (hours) of a group of tickets."""

    group: str
    tickets: int
    responded: int
    first_response_median_h: float | None
    first_response_p90_h: float | None
    resolved: int
    resolution_median_h: float | None
    resolution_p90_h: float | None


@dataclass
class SlaRow:
    priority: str
    tickets: int
    first_response_target_h: float | None
    first_response_breaches: int
    first_response_met: float | None  # share of the tickets within the target
    resolution_target_h: float | None
    resolution_breaches: int
    resolution_met: float | None


@dataclass
class Queue:
    created: int
    resolved: int
    open_start: int
    open_end: int
    created_per_resolved: float | None
    created_per_day: float
    resolved_per_day: float
    self_service_resolution_rate: float | None
    days: list[QueueDay]
    overall: Times
    by_priority: list[Times]
    by_category: list[Times]
    sla: list[SlaRow]
    first_response_breaches: int
    resolution_breaches: int


@dataclass(frozen=True)
class Throughput:
    """The team's measured pace over a range: for the backlog projection."""

    created_per_day: float
    resolved_per_day: float
    open_now: int


def _pages(scope: Scope) -> list[Any]:
    if scope.pages is None:
        return []
    return [helpdesk_tickets.c.page.in_(sorted(scope.pages))]


def _per_day(engine: Engine, scope: Scope) -> tuple[int, dict[int, int], dict[int, int]]:
    """Open at the start of the range, created per day and resolved per day in it."""
    t = helpdesk_tickets.c
    with engine.connect() as db:
        open_start = db.execute(
            select(func.count())
            .select_from(helpdesk_tickets)
            .where(
                t.created_day < scope.first_day,
                (t.solved_day.is_(None)) | (t.solved_day >= scope.first_day),
                *_pages(scope),
            )
        ).scalar_one()
        created = db.execute(
            select(t.created_day, func.count())
            .where(
                t.created_day >= scope.first_day, t.created_day <= scope.last_day, *_pages(scope)
            )
            .group_by(t.created_day)
        ).all()
        solved = db.execute(
            select(t.solved_day, func.count())
            .where(t.solved_day >= scope.first_day, t.solved_day <= scope.last_day, *_pages(scope))
            .group_by(t.solved_day)
        ).all()
    return int(open_start), {d: int(n) for d, n in created}, {d: int(n) for d, n in solved}


def _hours(values: npt.NDArray[np.float64]) -> tuple[float | None, float | None]:
    values = values[~np.isnan(values)]
    if not values.size:
        return None, None
    median, p90 = np.percentile(values, [50, 90])
    return float(median) / HOUR_MS, float(p90) / HOUR_MS


@dataclass(frozen=True)
class _Tickets:
    """The range's tickets as columns (a missing time is NaN)."""

    priority: npt.NDArray[np.object_]
    category: npt.NDArray[np.object_]
    created_at: npt.NDArray[np.float64]
    first_response_ms: npt.NDArray[np.float64]
    resolution_ms: npt.NDArray[np.float64]

    @classmethod
    def of(cls, rows: Sequence[tuple[Any, ...]]) -> _Tickets:
        table = np.array(rows, dtype=object).reshape(len(rows), 5)

        def times(column: int) -> npt.NDArray[np.float64]:
            values = table[:, column]
            return np.where(values == None, np.nan, values).astype(np.float64)  # noqa: E711

        return cls(table[:, 0], table[:, 1], times(2), times(3), times(4))

    def times(self, group: str, mask: npt.NDArray[np.bool_] | None = None) -> Times:
        first = self.first_response_ms if mask is None else self.first_response_ms[mask]
        resolution = self.resolution_ms if mask is None else self.resolution_ms[mask]
        first_median, first_p90 = _hours(first)
        resolution_median, resolution_p90 = _hours(resolution)
        return Times(
            group,
            int(first.size),
            int(np.count_nonzero(~np.isnan(first))),
            first_median,
            first_p90,
            int(np.count_nonzero(~np.isnan(resolution))),
            resolution_median,
            resolution_p90,
        )

    def sla(self, targets: SlaTargets, as_of: int) -> list[SlaRow]:
        waiting = as_of - self.created_at
        answered = ~np.isnan(self.first_response_ms)
        solved = ~np.isnan(self.resolution_ms)
        out = []
        found = set(self.priority.tolist())
        for priority in sorted(found | set(targets.first_response), key=_priority_order):
            mask = self.priority == priority
            tickets = int(np.count_nonzero(mask))
            first_target = targets.first_response.get(priority)
            resolution_target = targets.resolution.get(priority)
            first = resolution = 0
            if first_target is not None:
                limit = first_target * HOUR_MS
                late = np.where(
                    answered, self.first_response_ms > limit, ~solved & (waiting > limit)
                )
                first = int(np.count_nonzero(late & mask))
            if resolution_target is not None:
                limit = resolution_target * HOUR_MS
                late = np.where(solved, self.resolution_ms > limit, waiting > limit)
                resolution = int(np.count_nonzero(late & mask))
            out.append(
                SlaRow(
                    priority,
                    tickets,
                    first_target,
                    first,
                    rate(tickets - first, tickets) if first_target else None,
                    resolution_target,
                    resolution,
                    rate(tickets - resolution, tickets) if resolution_target else None,
                )
            )
        return out

    def groups(self, column: npt.NDArray[np.object_]) -> list[tuple[str, npt.NDArray[np.bool_]]]:
        names = sorted(set(column.tolist()))
        return [(str(name), column == name) for name in names]


def _priority_order(priority: str) -> tuple[int, str]:
    return (PRIORITIES.index(priority) if priority in PRIORITIES else len(PRIORITIES), priority)


def queue(engine: Engine, scope: Scope, targets: SlaTargets, now_ms: int | None = None) -> Queue:
    """The queue's figures over the scope; SLA waits are counted up to now or the range's end."""
    open_start, created, solved = _per_day(engine, scope)
    days, depth = [], open_start
    for day in range(scope.first_day, scope.last_day + 1):
        depth += created.get(day, 0) - solved.get(day, 0)
        days.append(QueueDay(day_date(day), created.get(day, 0), solved.get(day, 0), depth))
    t = helpdesk_tickets.c
    query = select(
        t.priority, t.category, t.created_at, t.first_response_ms, t.resolution_ms
    ).where(t.created_day >= scope.first_day, t.created_day <= scope.last_day, *_pages(scope))
    rows = _plain_rows(engine, query)
    found = _Tickets.of(rows)
    as_of = min(now_ms or int(time.time() * 1000), end_ms(scope.end))
    sla = found.sla(targets, as_of)
    by_priority = sorted(found.groups(found.priority), key=lambda g: _priority_order(g[0]))
    by_category = sorted(
        found.groups(found.category), key=lambda g: (-int(np.count_nonzero(g[1])), g[0])
    )
    total_created, total_resolved = sum(created.values()), sum(solved.values())
    return Queue(
        created=total_created,
        resolved=total_resolved,
        open_start=open_start,
        open_end=depth,
        created_per_resolved=rate(total_created, total_resolved),
        created_per_day=total_created / scope.days,
        resolved_per_day=total_resolved / scope.days,
        self_service_resolution_rate=overview(engine, scope).resolution_rate,
        days=days,
        overall=found.times("all"),
        by_priority=[found.times(name, mask) for name, mask in by_priority],
        by_category=[found.times(name, mask) for name, mask in by_category],
        sla=sla,
        first_response_breaches=sum(r.first_response_breaches for r in sla),
        resolution_breaches=sum(r.resolution_breaches for r in sla),
    )


def _plain_rows(engine: Engine, query: Select[Any]) -> list[tuple[Any, ...]]:
    """The rows as the driver returns them: tens of thousands of rows come back without
    SQLAlchemy's row objects (the values are ours: days, and pages already in the table)."""
    sql = str(query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    with engine.connect() as db:
        cursor = db.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql)
            return list(cursor.fetchall())
        finally:
            cursor.close()


def throughput(engine: Engine, scope: Scope) -> Throughput | None:
    """Tickets created and resolved a day over the scope, and the queue at its end; None
    when no helpdesk ticket was resolved in it (nothing measured)."""
    open_start, created, solved = _per_day(engine, scope)
    if not solved:
        return None
    open_end = open_start + sum(created.values()) - sum(solved.values())
    return Throughput(
        sum(created.values()) / scope.days, sum(solved.values()) / scope.days, open_end
    )


def open_tickets(engine: Engine) -> int:
    """Helpdesk tickets open now, every page."""
    with engine.connect() as db:
        return int(
            db.execute(
                select(func.count())
                .select_from(helpdesk_tickets)
                .where(helpdesk_tickets.c.solved_at.is_(None))
            ).scalar_one()
        )
