"""Durable deflection: a deflected session stops counting as deflected when its visitor files
a ticket on the same topic within `FRONTDESK_DURABLE_DAYS` after it ended.

The same topic (`server.insights.topics`) means the ticket's session and the deflected
session share a knowledge-base gap cluster (a question of each fell in one cluster), or
cited the same article (an answer shown or an article opened in each). A ticket filed
within the deflection window already made the session `abandoned`; so what is reversed here
is a deflection that held for the window but not for the durable days.

`deflection_reversals` holds one row per reversed session, with the first such ticket: a
pure function of the deflection log, the `ticket_created` events and the gap clusters, so a
visitor's rows are computed again whole (a retried ticket or pass never counts twice) and a
rebuild gives the same rows. The daily counts count them as `deflected_reversed` on the
day the deflected session started.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, Engine, delete, exists, select
from sqlalchemy.orm import aliased

from server.events.visitors import VisitorTrace
from server.insights.topics import NONE, Topics, session_topics
from server.platform.database import writer_lock
from server.platform.days import day_of
from server.tables import deflection_reversals, deflections, events

DEFLECTED = ("deflected_confirmed", "deflected_implied")
BATCH = 500


def reversal(
    session: Any, tickets: Iterable[tuple[str, int]], topics: Mapping[str, Topics], durable_ms: int
) -> dict[str, Any] | None:
    """The reversal row of one deflected session (a deflections row), or None: the first
    ticket `(session id, ts)` within the durable days after it that shares its topic."""
    mine = topics.get(session.session_id, NONE)
    for ticket_session, ts in sorted(tickets, key=lambda t: (t[1], t[0])):
        if ticket_session == session.session_id:
            continue
        if not session.ended_at < ts <= session.ended_at + durable_ms:
            continue
        theirs = topics.get(ticket_session, NONE)
        clusters = sorted(set(mine.clusters) & set(theirs.clusters))
        articles = sorted(mine.articles & theirs.articles)
        if not clusters and not articles:
            continue
        return {
            "session_id": session.session_id,
            "visitor_id": session.visitor_id,
            "day": day_of(session.started_at),
            "ticket_session_id": ticket_session,
            "ticket_ts": ts,
            "reason": "gap" if clusters else "article",
            "topic": str(clusters[0]) if clusters else articles[0],
        }
    return None


class DurableDeflections:
    def __init__(self, engine: Engine, durable_ms: int) -> None:
        self.engine = engine
        self.durable_ms = durable_ms

    def visitors_to_update(self, received_since: int) -> list[str]:
        """Visitors with events received since then who have filed a ticket at some time."""
        ticket = aliased(events)
        with self.engine.connect() as db:
            return list(
                db.execute(
                    select(events.c.visitor_id)
                    .where(
                        events.c.received_at >= received_since,
                        exists().where(
                            ticket.c.visitor_id == events.c.visitor_id,
                            ticket.c.type == "ticket_created",
                        ),
                    )
                    .distinct()
                ).scalars()
            )

    def recompute(self, visitor_ids: Iterable[str]) -> set[int]:
        """Write these visitors' reversals again; returns the days whose sessions changed."""
        ids = sorted(set(visitor_ids))
        changed: set[int] = set()
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            with writer_lock(self.engine), self.engine.begin() as db:
                changed |= self._recompute(db, chunk)
        return changed

    def _recompute(self, db: Connection, visitors: list[str]) -> set[int]:
        deflected = db.execute(
            select(
                deflections.c.session_id,
                deflections.c.visitor_id,
                deflections.c.started_at,
                deflections.c.ended_at,
            ).where(deflections.c.visitor_id.in_(visitors), deflections.c.outcome.in_(DEFLECTED))
        ).all()
        tickets: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for visitor, session, ts in db.execute(
            select(events.c.visitor_id, events.c.session_id, events.c.ts).where(
                events.c.type == "ticket_created", events.c.visitor_id.in_(visitors)
            )
        ):
            tickets[visitor].append((session, int(ts)))
        wanted = {r.session_id for r in deflected} | {
            s for pairs in tickets.values() for s, _ in pairs
        }
        topics = session_topics(db, wanted)
        rows = [
            row
            for session in deflected
            if (row := reversal(session, tickets[session.visitor_id], topics, self.durable_ms))
            is not None
        ]
        before = {
            (r.session_id, r.day, r.ticket_session_id, r.ticket_ts, r.reason, r.topic)
            for r in db.execute(
                select(deflection_reversals).where(deflection_reversals.c.visitor_id.in_(visitors))
            )
        }
        after = {
            (r["session_id"], r["day"], r["ticket_session_id"], r["ticket_ts"], r["reason"],
             r["topic"])
            for r in rows
        }  # fmt: skip
        if before == after:
            return set()
        db.execute(
            delete(deflection_reversals).where(deflection_reversals.c.visitor_id.in_(visitors))
        )
        if rows:
            db.execute(deflection_reversals.insert(), rows)
        return {day for _, day, *_ in before ^ after}

    def rebuild(self) -> set[int]:
        """Every visitor's reversals again; returns the days whose sessions changed."""
        with self.engine.connect() as db:
            visitors = list(
                db.execute(
                    select(events.c.visitor_id).where(events.c.type == "ticket_created").distinct()
                ).scalars()
            )
            stale = list(db.execute(select(deflection_reversals.c.visitor_id).distinct()).scalars())
        return self.recompute([*visitors, *stale])

    @staticmethod
    def forget(db: Connection, visitor: VisitorTrace) -> int:
        """Delete the reversals of the visitor's sessions; returns how many."""
        deleted = db.execute(
            delete(deflection_reversals).where(
                (deflection_reversals.c.visitor_id == visitor.id)
                | deflection_reversals.c.session_id.in_(sorted(visitor.sessions))
                | deflection_reversals.c.ticket_session_id.in_(sorted(visitor.sessions))
            )
        )
        return int(deleted.rowcount)
