"""The event store: each widget event kept once, personal data redacted first (from every
free text and from the query and fragment of every URL).

The event id is the primary key; a batch sent again (a retry, a beacon re-sent on the next
page load) inserts nothing new and counts its events as duplicates.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, select

from server.events.redaction import Redactor
from server.events.schema import FREE_TEXT_FIELDS, URL_FIELDS, Event, EventBatch, EventsAccepted
from server.events.visitors import VisitorTrace
from server.platform.database import upsert_insert
from server.tables import events


@dataclass(frozen=True)
class EventStore:
    engine: Engine
    redact: Redactor = field(default_factory=lambda: Redactor(()))  # none: keeps everything

    def add(self, batch: EventBatch) -> EventsAccepted:
        """Store the batch's new events in one transaction; known ids are left alone."""
        now = int(time.time() * 1000)
        rows: dict[str, dict[str, Any]] = {}
        for item in batch.events:  # an id twice in one batch is one event
            rows.setdefault(
                item.id,
                {
                    "id": item.id,
                    "site": batch.site,
                    "type": item.__struct_config__.tag,
                    "session_id": item.session_id,
                    "visitor_id": item.visitor_id,
                    "page_url": self.redact.url(item.page_url),
                    "route": item.route,
                    "ts": item.ts,
                    "received_at": now,
                    "data": self._data(item),
                },
            )
        statement = (
            upsert_insert(self.engine, events)
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(events.c.id)
        )
        with self.engine.begin() as connection:
            inserted = connection.execute(statement, list(rows.values())).all()
        return EventsAccepted(accepted=len(inserted), duplicates=len(batch.events) - len(inserted))

    def _data(self, item: Event) -> dict[str, Any]:
        data = item.data()
        for name, value in data.items():
            if value is not None and name in FREE_TEXT_FIELDS:
                data[name] = self.redact(value)
            elif value is not None and name in URL_FIELDS:
                data[name] = self.redact.url(value)
        return data

    def count(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(events)).scalar_one())

    @staticmethod
    def forget(db: Connection, visitor: VisitorTrace) -> int:
        """Delete every event of the visitor; returns how many there were."""
        return int(db.execute(delete(events).where(events.c.visitor_id == visitor.id)).rowcount)
