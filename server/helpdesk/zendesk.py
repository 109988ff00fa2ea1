"""What Zendesk sends: its ticket event webhooks (`zen:event-type:ticket.*`), one event a
request, and a trigger's webhook whose JSON body follows the same shape (README: "Helpdesk
events" has the body to paste into a trigger).

    {"type": "zen:event-type:ticket.status_changed", "id": "<event id>", "time": "...",
     "subject": "zen:ticket:35436",
     "detail": {"id": "35436", "external_id": "<Frontdesk's ticket id>", "status": "SOLVED",
                "priority": "HIGH", "tags": ["billing"], "created_at": "...", ...},
     "event": {"current": "SOLVED", "previous": "OPEN"}}

`ticket.comment_added` counts as an agent reply when the comment is public and its author
is staff (`event.comment.is_public`, `event.comment.author.is_staff`);
`ticket.agent_assignment_changed` is an assignment; `ticket.created` and
`ticket.priority_changed` update the ticket; other ticket events are left out.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated, Any

import msgspec

from server.helpdesk.schema import (
    MAX_REPLY,
    EventType,
    HelpdeskEvent,
    Priority,
    Status,
)
from server.helpdesk.times import parse_time
from server.platform.validation import decode_strictly, invalid

PREFIX = "zen:event-type:ticket."
PRIORITIES: dict[str, Priority] = {
    "urgent": "critical",
    "high": "high",
    "normal": "medium",
    "low": "low",
}
STATUSES: dict[str, Status] = {
    "new": "new",
    "open": "open",
    "pending": "pending",
    "hold": "on_hold",
    "on-hold": "on_hold",
    "on_hold": "on_hold",
    "solved": "solved",
    "closed": "closed",
}
Id = Annotated[str, msgspec.Meta(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f]+$")]


class Detail(msgspec.Struct):
    id: Id | int
    external_id: str | None = None
    status: str | None = None
    priority: str | None = None
    tags: list[str] | str | None = None
    created_at: str | None = None
    assignee_id: str | int | None = None


class ZendeskEvent(msgspec.Struct):
    type: Annotated[str, msgspec.Meta(max_length=128)]
    id: Id
    time: Annotated[str, msgspec.Meta(max_length=40)]
    detail: Detail
    event: dict[str, Any] = msgspec.field(default_factory=dict)


def _status(value: Any, field: str) -> Status:
    if isinstance(value, dict):
        value = value.get("status")
    if not isinstance(value, str) or value.lower() not in STATUSES:
        raise invalid(field, f"{str(value)[:40]!r} is not a Zendesk ticket status")
    return STATUSES[value.lower()]


def _priority(value: str | None) -> Priority | None:
    return PRIORITIES.get(value.lower()) if value else None


def _assignee(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("name") or value.get("email") or value.get("id")
    return str(value)[:200] if value not in (None, "") else None


def parse_zendesk(body: bytes, categories: Collection[str]) -> tuple[list[HelpdeskEvent], int]:
    """The event (one, or none when it is not one the queue uses), and how many were left out;
    a ticket's category is its first tag that names a Frontdesk category."""
    raw = decode_strictly(body, ZendeskEvent)
    if not raw.type.startswith(PREFIX):
        raise invalid("type", f"{raw.type[:60]!r} is not a Zendesk ticket event")
    kind = raw.type.removeprefix(PREFIX)
    detail = raw.detail
    change = raw.event
    body_text: str | None = None
    status: Status | None = None
    assignee: str | None = None
    event_type: EventType
    if kind == "created":
        event_type = "created"
        status = _status(detail.status, "detail.status") if detail.status else "new"
    elif kind == "status_changed":
        event_type = "status_changed"
        status = _status(change.get("current"), "event.current")
    elif kind == "comment_added":
        comment = change.get("comment")
        if not isinstance(comment, dict):
            raise invalid("event.comment", "a comment_added event carries the comment")
        author = comment.get("author")
        if not isinstance(author, dict):
            author = {}
        text = comment.get("body")
        if not (comment.get("is_public") and author.get("is_staff")):
            return [], 1  # an internal note, or the customer writing: no agent reply
        if not isinstance(text, str) or not text.strip():
            raise invalid("event.comment.body", "a public reply carries its text")
        event_type, body_text = "agent_replied", text[:MAX_REPLY]
    elif kind == "agent_assignment_changed":
        event_type, assignee = "assigned", _assignee(change.get("current"))
        if assignee is None:
            return [], 1  # unassigned
    elif kind == "priority_changed":
        event_type = "updated"
    else:
        return [], 1
    given = [detail.tags] if isinstance(detail.tags, str) else detail.tags or []
    tags = [t.lower() for tag in given for t in tag.split()]
    return [
        HelpdeskEvent(
            event_id=raw.id,
            ticket_id=str(detail.id),
            type=event_type,
            at=parse_time(raw.time, "time"),
            external_id=(detail.external_id or None) and detail.external_id[:128],
            status=status,
            priority=_priority(detail.priority),
            category=next((t for t in tags if t in categories), None),
            created_at=parse_time(detail.created_at, "detail.created_at")
            if detail.created_at
            else None,
            body=body_text,
            assignee=assignee,
        )
    ], 0
