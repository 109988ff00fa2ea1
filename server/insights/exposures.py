"""Prompt exposures: who was eligible for a prompt, in which group, and whether a ticket followed.

A visitor's first `prompt_eligible` event for a prompt puts them in its `shown` or
`holdout` group for good. The exposure's `ticket_ts` is the visitor's first ticket in the
window (`FRONTDESK_DEFLECTION_WINDOW_HOURS`) after that first eligibility; the holdout
comparison is the share of each group with one.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, Engine, delete, select, update

from server.events.visitors import VisitorTrace
from server.fields import page_key
from server.platform.database import upsert_insert, writer_lock
from server.platform.days import day_of
from server.tables import events, prompt_exposures


class PromptExposures:
    def __init__(self, engine: Engine, window_ms: int) -> None:
        self.engine = engine
        self.window_ms = window_ms

    def update(self, received_since: int = 0) -> int:
        """Record new exposures and the tickets that followed any; returns visitors touched."""
        with self.engine.connect() as db:
            eligible = db.execute(
                select(
                    events.c.visitor_id,
                    events.c.page_url,
                    events.c.route,
                    events.c.ts,
                    events.c.data,
                )
                .where(events.c.type == "prompt_eligible", events.c.received_at >= received_since)
                .order_by(events.c.ts)
            ).all()
            ticketed = db.execute(
                select(events.c.visitor_id)
                .where(events.c.type == "ticket_created", events.c.received_at >= received_since)
                .distinct()
            ).scalars()
            visitors = {row.visitor_id for row in eligible} | set(ticketed)
        first: dict[tuple[str, str], dict[str, Any]] = {}
        for row in eligible:
            first.setdefault(
                (row.data["prompt_id"], row.visitor_id),
                {
                    "prompt_id": row.data["prompt_id"],
                    "visitor_id": row.visitor_id,
                    "grp": row.data["group"],
                    "first_ts": row.ts,
                    "day": day_of(row.ts),
                    "page": page_key(row.route, row.page_url),
                    "ticket_ts": None,
                },
            )
        with writer_lock(self.engine), self.engine.begin() as db:
            rows = list(first.values())
            for start in range(0, len(rows), 1000):
                db.execute(
                    upsert_insert(self.engine, prompt_exposures).on_conflict_do_nothing(
                        index_elements=["prompt_id", "visitor_id"]
                    ),
                    rows[start : start + 1000],
                )
            ordered = sorted(visitors)
            for start in range(0, len(ordered), 500):
                self._attribute_tickets(db, ordered[start : start + 500])
        return len(visitors)

    def _attribute_tickets(self, db: Any, visitors: list[str]) -> None:
        tickets: dict[str, list[int]] = defaultdict(list)
        for visitor, ts in db.execute(
            select(events.c.visitor_id, events.c.ts).where(
                events.c.type == "ticket_created", events.c.visitor_id.in_(visitors)
            )
        ):
            tickets[visitor].append(ts)
        exposures = db.execute(
            select(
                prompt_exposures.c.prompt_id,
                prompt_exposures.c.visitor_id,
                prompt_exposures.c.first_ts,
                prompt_exposures.c.ticket_ts,
            ).where(prompt_exposures.c.visitor_id.in_(visitors))
        ).all()
        for exposure in exposures:
            following = [
                ts
                for ts in tickets[exposure.visitor_id]
                if exposure.first_ts <= ts <= exposure.first_ts + self.window_ms
            ]
            ticket_ts = min(following) if following else None
            if ticket_ts != exposure.ticket_ts:
                db.execute(
                    update(prompt_exposures)
                    .where(
                        prompt_exposures.c.prompt_id == exposure.prompt_id,
                        prompt_exposures.c.visitor_id == exposure.visitor_id,
                    )
                    .values(ticket_ts=ticket_ts)
                )

    @staticmethod
    def forget(db: Connection, visitor: VisitorTrace) -> int:
        """Delete the visitor's exposures (which prompt, which group, a ticket or not)."""
        deleted = db.execute(
            delete(prompt_exposures).where(prompt_exposures.c.visitor_id == visitor.id)
        )
        return int(deleted.rowcount)
