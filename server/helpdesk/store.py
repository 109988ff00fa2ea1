"""HelpdeskStore: each helpdesk event kept once, and its ticket's state brought up to date.

A ticket is keyed by its source and the helpdesk's ticket id. One that Frontdesk handed off
carries Frontdesk's ticket id as its external id (`external_id` in the Zendesk API, what the
webhook's `ticket.id` is): it is linked to that ticket, its session, visitor and page, and
takes its category and priority unless the helpdesk says otherwise. Tickets that did not
come through Frontdesk are kept the same way, so the queue covers the team's whole work.

State, from the events applied (a retried event id changes nothing):

- created: the ticket's creation time (the earliest one any event states);
- first response: the first public agent reply; its text is kept (redacted, plain text) as
  the ticket's newest reply;
- solved: when it went to `solved` (or straight to `closed`); a ticket that goes back to
  `new`, `open`, `pending` or `on_hold` is open again (and counted as reopened);
- a status change older than the newest one applied is recorded but changes nothing.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import nh3
from sqlalchemy import Connection, Engine, delete, select, tuple_, update

from server.events.redaction import Redactor
from server.events.visitors import VisitorTrace
from server.fields import page_key
from server.helpdesk.schema import SOLVED, EventsStored, HelpdeskEvent
from server.platform.database import upsert_insert, writer_lock
from server.platform.days import day_of
from server.settings import Settings
from server.tables import helpdesk_events, helpdesk_tickets, tickets

BLOCK_END = re.compile(r"(?i)<br\s*/?>|</(?:p|div|li|h[1-6]|tr|blockquote|pre)\s*>")
DEFAULT_CATEGORY = "other"
DEFAULT_PRIORITY = "medium"


def plain_text(text: str) -> str:
    """A reply as plain text: markup dropped (nh3), entities decoded, blank runs closed up."""
    text = BLOCK_END.sub("\n", text)  # paragraphs and line breaks stay lines
    cleaned = html.unescape(nh3.clean(text, tags=set()))
    lines = [" ".join(line.split()) for line in cleaned.replace("\r", "").split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


@dataclass(frozen=True)
class HelpdeskStore:
    engine: Engine
    categories: frozenset[str] = frozenset()  # Frontdesk's ticket categories
    redact: Redactor = field(default_factory=lambda: Redactor(()))

    @classmethod
    def from_settings(cls, engine: Engine, settings: Settings) -> HelpdeskStore:
        """Categories as Frontdesk names them; replies redacted as events' questions are."""
        return cls(
            engine,
            frozenset(settings.ticket_categories),
            Redactor.build(settings.redact, settings.redact_extra),
        )

    def apply(self, source: str, items: Iterable[HelpdeskEvent], ignored: int = 0) -> EventsStored:
        """Store the events of one request and apply the new ones, in one transaction."""
        now = int(time.time() * 1000)
        stored = duplicates = 0
        with writer_lock(self.engine), self.engine.begin() as db:
            for event in items:
                if self._record(db, source, event, now):
                    self._apply(db, source, event, now)
                    stored += 1
                else:
                    duplicates += 1
        return EventsStored(stored, duplicates, ignored)

    def _record(self, db: Connection, source: str, event: HelpdeskEvent, now: int) -> bool:
        created = db.execute(
            upsert_insert(self.engine, helpdesk_events)
            .on_conflict_do_nothing(index_elements=["source", "event_id"])
            .returning(helpdesk_events.c.event_id),
            {
                "source": source,
                "event_id": event.event_id,
                "ticket_id": event.ticket_id,
                "type": event.type,
                "at": event.at,
                "received_at": now,
            },
        ).first()
        return created is not None

    def _apply(self, db: Connection, source: str, event: HelpdeskEvent, now: int) -> None:
        key = (helpdesk_tickets.c.source == source, helpdesk_tickets.c.ticket_id == event.ticket_id)
        row = db.execute(select(helpdesk_tickets).where(*key)).mappings().first()
        state: dict[str, Any] = dict(row) if row else self._new(db, source, event)
        if row is not None and event.external_id and not state["frontdesk_ticket_id"]:
            state.update(self._link(db, event.external_id))
        created_at = event.at if event.type == "created" else event.created_at
        if created_at is not None and created_at < state["created_at"]:
            state["created_at"] = created_at
        if event.category:
            state["category"] = event.category
        if event.priority:
            state["priority"] = event.priority
        if event.type == "agent_replied":
            if state["first_response_at"] is None or event.at < state["first_response_at"]:
                state["first_response_at"] = event.at
            if event.body:
                state["reply"] = self.redact(plain_text(event.body))[:20_000] or None
        if event.type == "assigned" and event.assignee:
            state["assignee"] = event.assignee
        if event.status and event.at >= state["status_at"]:
            was_solved = state["status"] in SOLVED
            state["status"], state["status_at"] = event.status, event.at
            if event.status in SOLVED and not was_solved:
                state["solved_at"] = event.at
            elif event.status not in SOLVED and was_solved:
                state["solved_at"] = None
                state["reopened"] += 1
        self._derive(state)
        state["updated_at"] = now
        if row is None:
            db.execute(helpdesk_tickets.insert().values(**state))
        else:
            db.execute(update(helpdesk_tickets).where(*key).values(**state))

    def _new(self, db: Connection, source: str, event: HelpdeskEvent) -> dict[str, Any]:
        state: dict[str, Any] = {
            "source": source,
            "ticket_id": event.ticket_id,
            "frontdesk_ticket_id": None,
            "session_id": None,
            "visitor_id": None,
            "page": None,
            "status": "new",
            "status_at": 0,
            "category": DEFAULT_CATEGORY,
            "priority": DEFAULT_PRIORITY,
            "assignee": None,
            "created_at": event.created_at if event.created_at is not None else event.at,
            "first_response_at": None,
            "solved_at": None,
            "reopened": 0,
            "reply": None,
        }
        if event.external_id:
            state.update(self._link(db, event.external_id))
        return state

    @staticmethod
    def _link(db: Connection, external_id: str) -> dict[str, Any]:
        """What the Frontdesk ticket with this id says (nothing when there is none)."""
        ticket = db.execute(
            select(
                tickets.c.id,
                tickets.c.session_id,
                tickets.c.visitor_id,
                tickets.c.page_url,
                tickets.c.context,
                tickets.c.category,
                tickets.c.priority,
            ).where(tickets.c.id == external_id)
        ).first()
        if ticket is None:
            return {}
        page = ticket.context.get("page") or {}
        route = page.get("route") if isinstance(page, dict) else None
        return {
            "frontdesk_ticket_id": ticket.id,
            "session_id": ticket.session_id,
            "visitor_id": ticket.visitor_id,
            "page": page_key(route, ticket.page_url) if (route or ticket.page_url) else None,
            "category": ticket.category,
            "priority": ticket.priority,
        }

    @staticmethod
    def _derive(state: dict[str, Any]) -> None:
        created = state["created_at"]
        state["created_day"] = day_of(created)
        first = state["first_response_at"]
        state["first_response_ms"] = max(0, first - created) if first is not None else None
        solved = state["solved_at"]
        state["solved_day"] = day_of(solved) if solved is not None else None
        state["resolution_ms"] = max(0, solved - created) if solved is not None else None

    @staticmethod
    def forget(db: Connection, visitor: VisitorTrace) -> int:
        """Delete the visitor's helpdesk tickets and their events; returns how many tickets."""
        keys = db.execute(
            select(helpdesk_tickets.c.source, helpdesk_tickets.c.ticket_id).where(
                helpdesk_tickets.c.visitor_id == visitor.id
            )
        ).all()
        for chunk in (keys[i : i + 200] for i in range(0, len(keys), 200)):
            pairs = [(k.source, k.ticket_id) for k in chunk]
            db.execute(
                delete(helpdesk_events).where(
                    tuple_(helpdesk_events.c.source, helpdesk_events.c.ticket_id).in_(pairs)
                )
            )
        deleted = db.execute(
            delete(helpdesk_tickets).where(helpdesk_tickets.c.visitor_id == visitor.id)
        )
        return int(deleted.rowcount)
