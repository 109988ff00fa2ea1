"""What a helpdesk event says once read, whatever shape it came in, and the generic shape.

The generic shape (`POST /api/v1/helpdesk/events`, signed with `X-Frontdesk-Signature`) is a
batch: `{"events": [...]}`, each event as `GenericEvent` below. Times are ISO 8601 with a
zone (`2026-11-20T09:30:00Z`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

import msgspec

EventType = Literal["created", "status_changed", "agent_replied", "assigned", "updated"]
Status = Literal["new", "open", "pending", "on_hold", "solved", "closed"]
Priority = Literal["critical", "high", "medium", "low"]
SOLVED = ("solved", "closed")
MAX_REPLY = 20_000

Text = Annotated[str, msgspec.Meta(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f]+$")]


@dataclass(frozen=True)
class HelpdeskEvent:
    """One thing that happened to a helpdesk ticket; times in ms since the epoch."""

    event_id: str
    ticket_id: str  # the helpdesk's ticket id
    type: EventType
    at: int
    external_id: str | None = None  # the id Frontdesk sent with the ticket, if it did
    status: Status | None = None
    priority: Priority | None = None
    category: str | None = None
    created_at: int | None = None  # when the ticket was created, if the event says
    body: str | None = None  # a public agent reply
    assignee: str | None = None


class GenericEvent(msgspec.Struct, forbid_unknown_fields=True):
    id: Annotated[Text, msgspec.Meta(description="Unique per source: a retry is a no-op.")]
    ticket_id: Annotated[Text, msgspec.Meta(description="The helpdesk's ticket id.")]
    type: EventType
    at: Annotated[str, msgspec.Meta(max_length=40, description="When it happened (ISO 8601).")]
    external_id: (
        Annotated[
            Text,
            msgspec.Meta(description="The ticket id Frontdesk sent, if it came from Frontdesk."),
        ]
        | None
    ) = None
    status: Status | None = None
    priority: Priority | None = None
    category: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    created_at: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    body: (
        Annotated[
            str,
            msgspec.Meta(
                max_length=MAX_REPLY, description="`agent_replied`: the reply's text (public)."
            ),
        ]
        | None
    ) = None
    public: bool = True
    assignee: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None


class GenericBatch(msgspec.Struct, forbid_unknown_fields=True):
    events: Annotated[list[GenericEvent], msgspec.Meta(min_length=1, max_length=500)]


class EventsStored(msgspec.Struct):
    stored: int  # new events applied to their tickets
    duplicates: int  # events with an id already stored: nothing changed
    ignored: int  # events of a kind the queue does not use (an internal note, ...)
