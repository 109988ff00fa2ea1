"""Backfilling the queue from a helpdesk's CSV export: one row per ticket.

Columns (a header row names them; order free, extra columns ignored):

    ticket_id, created_at                   required
    status                                  new, open, pending, on_hold (hold), solved, closed
    priority                                critical (urgent), high, medium (normal), low
    category, external_id, assignee         optional
    first_response_at, solved_at            ISO 8601 times, optional
    reply                                   the public reply that solved it, optional

Each row becomes the events it implies, with ids made from the ticket id
(`backfill:<ticket_id>:created`, `:replied`, `:solved`): importing a file again, or a file
that overlaps an earlier one, stores nothing twice; events the helpdesk sends later apply
on top.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import TextIO, cast

from litestar.exceptions import ValidationException

from server.helpdesk.schema import SOLVED, HelpdeskEvent, Priority, Status
from server.helpdesk.store import HelpdeskStore
from server.helpdesk.times import parse_time
from server.helpdesk.zendesk import PRIORITIES, STATUSES

REQUIRED = ("ticket_id", "created_at")
BATCH = 2000


class BackfillError(ValueError):
    """A row that cannot be read: the message names its line and column."""


def _priority(value: str) -> Priority | None:
    value = value.strip().lower()
    if not value:
        return None
    if value in ("critical", "high", "medium", "low"):
        return cast(Priority, value)
    if value in PRIORITIES:
        return PRIORITIES[value]
    raise ValueError(f"{value!r} is not a priority")


def _status(value: str) -> Status | None:
    value = value.strip().lower()
    if not value:
        return None
    if value not in STATUSES:
        raise ValueError(f"{value!r} is not a status")
    return STATUSES[value]


def _time(row: dict[str, str], column: str) -> int | None:
    text = (row.get(column) or "").strip()
    if not text:
        return None
    try:
        return parse_time(text, column)
    except ValidationException:
        raise ValueError(f"{column}: {text[:40]!r} is not an ISO 8601 time") from None


def row_events(row: dict[str, str]) -> list[HelpdeskEvent]:
    """The events one exported ticket implies."""
    ticket = (row.get("ticket_id") or "").strip()
    if not ticket or len(ticket) > 100:
        raise ValueError("ticket_id: must be 1 to 100 characters")
    created = _time(row, "created_at")
    if created is None:
        raise ValueError("created_at: required")
    status = _status(row.get("status") or "")
    solved = _time(row, "solved_at")
    replied = _time(row, "first_response_at")
    external = (row.get("external_id") or "").strip()[:64] or None
    category = (row.get("category") or "").strip()[:64] or None
    assignee = (row.get("assignee") or "").strip()[:200] or None
    reply = (row.get("reply") or "").strip() or None
    base = f"backfill:{ticket}"
    out = [
        HelpdeskEvent(
            event_id=f"{base}:created",
            ticket_id=ticket,
            type="created",
            at=created,
            external_id=external,
            status="open" if solved is not None or status is None else status,
            priority=_priority(row.get("priority") or ""),
            category=category,
            created_at=created,
            assignee=assignee,
        )
    ]
    if replied is not None or reply:
        out.append(
            HelpdeskEvent(
                event_id=f"{base}:replied",
                ticket_id=ticket,
                type="agent_replied",
                at=replied if replied is not None else (solved or created),
                body=reply,
            )
        )
    if solved is not None:
        out.append(
            HelpdeskEvent(
                event_id=f"{base}:solved",
                ticket_id=ticket,
                type="status_changed",
                at=solved,
                status=status if status in SOLVED else "solved",
            )
        )
    return out


def read_rows(text: TextIO) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(text)
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise BackfillError(f"line 1: the header lacks {', '.join(missing)}")
    reader.fieldnames = header
    for row in reader:
        yield reader.line_num, {k: v for k, v in row.items() if isinstance(k, str) and v}


def backfill(store: HelpdeskStore, source: str, text: TextIO) -> dict[str, int]:
    """Import every row; a bad row stops the import before anything is stored, naming its
    line. Returns the tickets read and the events stored and already there."""
    rows = stored = duplicates = 0
    found: list[HelpdeskEvent] = []
    for line, row in read_rows(text):
        try:
            found += row_events(row)
        except ValueError as exc:
            raise BackfillError(f"line {line}: {exc}") from None
        rows += 1
    for start in range(0, len(found), BATCH):
        result = store.apply(source, found[start : start + BATCH])
        stored, duplicates = stored + result.stored, duplicates + result.duplicates
    return {"tickets": rows, "stored": stored, "duplicates": duplicates}


def backfill_text(store: HelpdeskStore, source: str, body: str) -> dict[str, int]:
    return backfill(store, source, io.StringIO(body))
