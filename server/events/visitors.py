"""What one visitor left in the events: their sessions, event ids and the days they were
active. Erasure hands this to every concern that stores anything about visitors, so each
can forget them (and recompute what it derived from them) before the events go."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from server.platform.days import day_of
from server.tables import events


@dataclass(frozen=True)
class VisitorTrace:
    id: str  # the visitor id
    sessions: frozenset[str]
    event_ids: frozenset[str]
    days: frozenset[int]  # UTC days of their events


def trace_visitor(db: Connection, visitor_id: str) -> VisitorTrace:
    rows = db.execute(
        select(events.c.id, events.c.session_id, events.c.ts).where(
            events.c.visitor_id == visitor_id
        )
    ).all()
    return VisitorTrace(
        id=visitor_id,
        sessions=frozenset(r.session_id for r in rows),
        event_ids=frozenset(r.id for r in rows),
        days=frozenset(day_of(r.ts) for r in rows),
    )
