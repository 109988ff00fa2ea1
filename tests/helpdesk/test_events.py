"""Helpdesk events in: signed by their source and checked before they are read, linked to
Frontdesk's tickets by the external id it sent, each stored once; tickets from elsewhere
too; a CSV export backfills the queue."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from server.tables import helpdesk_events, helpdesk_tickets
from tests.conftest import SAMPLE_KB, cli_env, frontdesk
from tests.helpdesk.conftest import LiveFrontdesk
from tests.senders import iso

NOW = int(time.time() * 1000)
HOUR = 3_600_000


def file_ticket(live: LiveFrontdesk, ticket_id: str = "fd-ticket-0001") -> dict[str, Any]:
    """A visitor asks, gets no answer and files a ticket through the widget's API."""
    batch = [
        {
            "type": "question_asked",
            "id": f"{ticket_id}-q",
            "session_id": f"{ticket_id}-session",
            "visitor_id": f"{ticket_id}-visitor",
            "page_url": "https://app.example.com/settings/billing",
            "ts": NOW - 2 * HOUR,
            "question": "How do I get a refund for a double charge?",
            "request_id": "r1",
            "status": "no_answer",
        }
    ]
    response = httpx_post(live, "/api/v1/events", {"site": "acme", "events": batch})
    assert response.status_code == 200, response.text
    response = httpx_post(
        live,
        "/api/v1/tickets",
        {
            "id": ticket_id,
            "site": "acme",
            "email": "dana@example.com",
            "message": "I was charged twice for my invoice, please refund.",
            "session_id": f"{ticket_id}-session",
            "visitor_id": f"{ticket_id}-visitor",
            "page_url": "https://app.example.com/settings/billing",
        },
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def httpx_post(live: LiveFrontdesk, path: str, body: dict[str, Any]) -> Any:
    import httpx

    return httpx.post(f"{live.url}{path}", json=body, timeout=30)


def zendesk_ticket(**fields: Any) -> dict[str, Any]:
    return {
        "id": "35436",
        "external_id": "fd-ticket-0001",
        "status": "OPEN",
        "priority": "NORMAL",
        "tags": ["frontdesk", "billing"],
        "created_at": iso(NOW - HOUR),
        "updated_at": iso(NOW),
        **fields,
    }


def stored_ticket(live: LiveFrontdesk, source: str, ticket_id: str) -> Any:
    with live.services.engine.connect() as db:
        return db.execute(
            select(helpdesk_tickets).where(
                helpdesk_tickets.c.source == source, helpdesk_tickets.c.ticket_id == ticket_id
            )
        ).first()


def event_count(live: LiveFrontdesk) -> int:
    with live.services.engine.connect() as db:
        return int(db.execute(select(func.count()).select_from(helpdesk_events)).scalar_one())


def test_zendesk_events_follow_a_frontdesk_ticket_to_its_resolution(live: LiveFrontdesk) -> None:
    created = file_ticket(live)
    zendesk = live.zendesk()
    ticket = zendesk_ticket()
    assert zendesk.send("created", "ev-1", ticket, NOW - HOUR).json() == {
        "stored": 1,
        "duplicates": 0,
        "ignored": 0,
    }
    reply = {
        "comment": {
            "id": "1",
            "body": "<p>Refunded the second charge; write to dana@example.com if not.</p>",
            "is_public": True,
            "author": {"id": "7", "is_staff": True, "name": "Agent"},
        }
    }
    assert (
        zendesk.send("comment_added", "ev-2", ticket, NOW - HOUR + 600_000, reply).json()["stored"]
        == 1
    )
    note = {"comment": {"body": "internal", "is_public": False, "author": {"is_staff": True}}}
    assert (
        zendesk.send("comment_added", "ev-3", ticket, NOW - HOUR + 700_000, note).json()["ignored"]
        == 1
    )
    assignee = {"current": {"id": "7", "name": "Agent Smith"}, "previous": None}
    zendesk.send("agent_assignment_changed", "ev-4", ticket, NOW - HOUR + 800_000, assignee)
    solved = {"current": "SOLVED", "previous": "OPEN"}
    response = zendesk.send("status_changed", "ev-5", ticket, NOW - HOUR + 1_800_000, solved)
    assert response.status_code == 200, response.text

    row = stored_ticket(live, "zendesk", "35436")
    assert row.frontdesk_ticket_id == "fd-ticket-0001"
    assert row.visitor_id == "fd-ticket-0001-visitor" and row.session_id == "fd-ticket-0001-session"
    assert row.page == "/settings/billing"
    assert row.category == "billing" == created["category"]
    assert row.priority == "medium"  # Zendesk's "normal"
    assert row.status == "solved" and row.assignee == "Agent Smith"
    assert row.first_response_ms == 600_000 and row.resolution_ms == 1_800_000
    assert row.reply == "Refunded the second charge; write to [email] if not."


def test_a_retried_event_changes_nothing(live: LiveFrontdesk) -> None:
    zendesk = live.zendesk()
    ticket = zendesk_ticket(external_id="", tags="vip integrations")  # a trigger's {{ticket.tags}}
    zendesk.send("created", "ev-1", ticket, NOW - HOUR)
    solved = {"current": "SOLVED", "previous": "OPEN"}
    reopened = {"current": "OPEN", "previous": "SOLVED"}
    zendesk.send("status_changed", "ev-2", ticket, NOW - HOUR + 1000, solved)
    zendesk.send("status_changed", "ev-3", ticket, NOW - HOUR + 2000, reopened)
    again = zendesk.send("status_changed", "ev-2", ticket, NOW - HOUR + 1000, solved)
    assert again.json() == {"stored": 0, "duplicates": 1, "ignored": 0}
    row = stored_ticket(live, "zendesk", "35436")
    assert row.status == "open" and row.solved_at is None and row.reopened == 1
    assert row.category == "integrations" and row.frontdesk_ticket_id is None
    assert event_count(live) == 3


def test_the_signature_is_checked_before_the_body_is_read(live: LiveFrontdesk) -> None:
    zendesk = live.zendesk()
    body = json.dumps({"type": "zen:event-type:ticket.created", "id": "x"}).encode()
    wrong = live.zendesk(secret="not-the-secret-at-all")
    refused = [
        wrong.post_raw(body),  # another secret
        wrong.post_raw(b"{not json"),  # garbage under a wrong signature: 401, not 400
        zendesk.post_raw(body, timestamp=iso(NOW - 3 * HOUR)),  # a replay, hours later
        live.ops(secret="zendesk-secret-xx").post_raw(body),  # the wrong source's secret
        httpx_post(live, "/api/v1/helpdesk/events", {"events": []}),  # unsigned
    ]
    for response in refused:
        assert response.status_code == 401, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    unknown = live.zendesk().post_raw(body)
    assert unknown.status_code == 400  # signed, then read: fields missing
    assert "missing required field `time`" in unknown.json()["detail"]
    assert event_count(live) == 0


def test_generic_events_from_tickets_that_did_not_come_through_frontdesk(
    live: LiveFrontdesk,
) -> None:
    ops = live.ops()
    base = {"ticket_id": "T-9", "category": "account", "priority": "high"}
    response = ops.send(
        {**base, "id": "a", "type": "created", "at": iso(NOW - 5 * HOUR), "status": "new"},
        {**base, "id": "b", "type": "agent_replied", "at": iso(NOW - 4 * HOUR), "body": "Hi"},
        {
            **base,
            "id": "c",
            "type": "agent_replied",
            "at": iso(NOW - 4 * HOUR),
            "body": "note",
            "public": False,
        },
        {**base, "id": "d", "type": "assigned", "at": iso(NOW - 4 * HOUR), "assignee": "kim"},
        {**base, "id": "e", "type": "status_changed", "at": iso(NOW - HOUR), "status": "solved"},
    )
    assert response.json() == {"stored": 4, "duplicates": 0, "ignored": 1}
    row = stored_ticket(live, "ops", "T-9")
    assert row.frontdesk_ticket_id is None and row.visitor_id is None
    assert (row.category, row.priority, row.assignee) == ("account", "high", "kim")
    assert row.first_response_ms == HOUR and row.resolution_ms == 4 * HOUR


def test_a_bad_generic_event_is_a_400_naming_the_field_and_stores_nothing(
    live: LiveFrontdesk,
) -> None:
    ops = live.ops()
    good = {"id": "a", "ticket_id": "T-1", "type": "created", "at": iso(NOW)}
    cases = [
        ({**good, "at": "yesterday"}, "events[1].at"),
        ({**good, "type": "status_changed"}, "events[1].status"),
        ({**good, "type": "agent_replied"}, "events[1].body"),
        ({**good, "priority": "urgent!"}, "events[1].priority"),
        ({**good, "ticket_id": "x" * 200}, "events[1].ticket_id"),
    ]
    for bad, field in cases:
        response = ops.send(good, bad)
        assert response.status_code == 400, response.text
        assert field in response.json()["detail"], response.text
    assert event_count(live) == 0


CSV = """ticket_id,created_at,status,priority,category,external_id,first_response_at,solved_at
1001,2026-11-02T09:00:00Z,solved,urgent,billing,,2026-11-02T09:30:00Z,2026-11-02T12:00:00Z
1002,2026-11-03T10:00:00Z,open,normal,account,,,
"""


def test_a_csv_export_backfills_the_queue_once(live: LiveFrontdesk) -> None:
    with live.admin() as admin:
        first = admin.post(
            "/api/v1/admin/helpdesk/import?source=zendesk",
            content=CSV,
            headers={"Content-Type": "text/csv"},
        )
        assert first.json() == {"tickets": 2, "stored": 4, "duplicates": 0}, first.text
        again = admin.post("/api/v1/admin/helpdesk/import?source=zendesk", content=CSV)
        assert again.json() == {"tickets": 2, "stored": 0, "duplicates": 4}
        bad = admin.post("/api/v1/admin/helpdesk/import", content=CSV + "1003,soon,open,,,,,\n")
        assert bad.status_code == 400 and "line 4: created_at" in bad.json()["detail"]
    row = stored_ticket(live, "zendesk", "1001")
    assert (row.priority, row.status, row.category) == ("critical", "solved", "billing")
    assert row.first_response_ms == 30 * 60_000 and row.resolution_ms == 3 * HOUR
    assert stored_ticket(live, "zendesk", "1002").solved_at is None


def test_the_import_command_backfills_from_a_file(tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    export.write_text(CSV, encoding="utf-8")
    env = cli_env(tmp_path / "data", SAMPLE_KB)
    done = subprocess.run(
        frontdesk("helpdesk", "import", str(export), "--source", "zendesk"),
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2 tickets: 4 events stored, 0 already there"
    export.write_text(CSV + "1003,2026-11-04T10:00:00Z,sideways,,,,,\n", encoding="utf-8")
    failed = subprocess.run(
        frontdesk("helpdesk", "import", str(export)), env=env, capture_output=True, text=True
    )
    assert failed.returncode == 1 and "line 4: 'sideways' is not a status" in failed.stderr


def test_erasing_a_visitor_removes_what_the_helpdesk_said_about_their_ticket(
    live: LiveFrontdesk,
) -> None:
    file_ticket(live)
    reply = {"comment": {"body": "Done", "is_public": True, "author": {"is_staff": True}}}
    live.zendesk().send("comment_added", "ev-1", zendesk_ticket(), NOW, reply)
    live.ops().send({"id": "z", "ticket_id": "other", "type": "created", "at": iso(NOW)})
    with live.admin() as admin:
        erased = admin.delete("/api/v1/admin/visitors/fd-ticket-0001-visitor").json()
    assert erased["helpdesk_tickets"] == 1
    assert stored_ticket(live, "zendesk", "35436") is None
    assert stored_ticket(live, "ops", "other") is not None
    assert event_count(live) == 1
