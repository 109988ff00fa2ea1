"""The generic shape: `{"events": [...]}`, any helpdesk or script can post it (README:
"Helpdesk events")."""

from __future__ import annotations

from server.helpdesk.schema import GenericBatch, HelpdeskEvent
from server.helpdesk.times import parse_time
from server.platform.validation import decode_strictly, invalid


def parse_generic(body: bytes) -> tuple[list[HelpdeskEvent], int]:
    """The batch's events, and how many were left out (internal notes)."""
    batch = decode_strictly(body, GenericBatch)
    out: list[HelpdeskEvent] = []
    ignored = 0
    for number, event in enumerate(batch.events):
        field = f"events[{number}]"
        if event.type == "status_changed" and event.status is None:
            raise invalid(f"{field}.status", "a status_changed event names the new status")
        if event.type == "agent_replied" and not (event.body or "").strip():
            raise invalid(f"{field}.body", "an agent_replied event carries the reply")
        if event.type == "assigned" and event.assignee is None:
            raise invalid(f"{field}.assignee", "an assigned event names the assignee")
        if event.type == "agent_replied" and not event.public:
            ignored += 1  # an internal note is no response to the customer
            continue
        out.append(
            HelpdeskEvent(
                event_id=event.id,
                ticket_id=event.ticket_id,
                type=event.type,
                at=parse_time(event.at, f"{field}.at"),
                external_id=event.external_id,
                status=event.status,
                priority=event.priority,
                category=event.category,
                created_at=(
                    parse_time(event.created_at, f"{field}.created_at")
                    if event.created_at
                    else None
                ),
                body=event.body,
                assignee=event.assignee,
            )
        )
    return out, ignored
