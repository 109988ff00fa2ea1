"""The deflection log: one outcome per session, from events alone, exported with filters."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from litestar.testing import TestClient
from sqlalchemy import select

from server.app import create_app
from server.deflections import DeflectionLog
from server.leases import take_lease
from server.redaction import Redactor
from server.settings import Settings
from server.tables import deflections, events, metadata, outbox, tickets
from tests.fakes import FakeEmbedder

Client = TestClient[Any]
DAY = 86_400_000
HOUR = 3_600_000
T0 = 1_763_942_400_000  # 2025-11-24 00:00 UTC
ADMIN = {"Authorization": "Bearer admin-secret"}


@pytest.fixture
def client(tmp_path: Path, database_url: str) -> Iterator[Client]:
    settings = Settings(data_dir=tmp_path, database_url=database_url, admin_token="admin-secret")
    with TestClient(create_app(settings, embedder=FakeEmbedder())) as client:
        yield client


def log_of(client: Client) -> DeflectionLog:
    log: DeflectionLog = client.app.state.deflection_log
    return log


counter = iter(range(1_000_000))


def send(
    client: Client,
    session: str,
    visitor: str,
    at: int,
    kind: str,
    page: str = "/settings/billing",
    **data: Any,
) -> None:
    item = {
        "type": kind,
        "id": f"e-{next(counter):08d}",
        "session_id": session,
        "visitor_id": visitor,
        "page_url": f"https://app.example.com{page}",
        "ts": at,
        **data,
    }
    response = client.post("/api/v1/events", json={"site": "acme", "events": [item]})
    assert response.status_code == 200, response.text


def asked(
    client: Client,
    session: str,
    visitor: str,
    at: int,
    question: str,
    status: str = "answered",
    page: str = "/settings/billing",
) -> None:
    send(
        client,
        session,
        visitor,
        at,
        "question_asked",
        page,
        question=question,
        request_id=f"r-{session}",
        status=status,
    )


def answered(
    client: Client, session: str, visitor: str, at: int, article: str = "billing-change-plan"
) -> None:
    send(
        client,
        session,
        visitor,
        at,
        "answer_shown",
        request_id=f"r-{session}",
        article_id=article,
        section="Steps",
    )


def seed(client: Client) -> None:
    """Six sessions whose outcomes are worked out by hand below."""
    # s-confirmed: answer, "Yes"                                  → deflected_confirmed
    asked(client, "s-confirmed", "v1", T0, "How do I change my plan?")
    answered(client, "s-confirmed", "v1", T0 + 1000)
    send(
        client,
        "s-confirmed",
        "v1",
        T0 + 2000,
        "feedback",
        request_id="r-s-confirmed",
        article_id="billing-change-plan",
        helpful=True,
    )
    # s-implied: answer, silence for more than 24 h               → deflected_implied
    asked(client, "s-implied", "v2", T0 + HOUR, "Where are my invoices?", status="answered")
    answered(client, "s-implied", "v2", T0 + HOUR + 1000, "billing-download-invoices")
    # s-ticket: answer, "No", a ticket in the same session        → ticket
    asked(
        client,
        "s-ticket",
        "v3",
        T0 + 2 * HOUR,
        "Why was I charged twice?",
        page="/settings/billing/invoices",
    )
    answered(client, "s-ticket", "v3", T0 + 2 * HOUR + 1000, "billing-refunds")
    send(
        client,
        "s-ticket",
        "v3",
        T0 + 2 * HOUR + 2000,
        "feedback",
        request_id="r-s-ticket",
        article_id=None,
        helpful=False,
    )
    # s-nothing: asked, got no answer, left                       → abandoned
    asked(
        client,
        "s-nothing",
        "v4",
        T0 + 3 * HOUR,
        "vegan cake recipe",
        status="no_answer",
        page="/dashboard",
    )
    send(
        client,
        "s-nothing",
        "v4",
        T0 + 3 * HOUR + 500,
        "no_answer_shown",
        page="/dashboard",
        request_id="r-s-nothing",
    )
    # s-before-ticket: answered, but the visitor filed a ticket next day in s-later → abandoned
    asked(client, "s-before-ticket", "v5", T0 + 4 * HOUR, "Export my timesheets", page="/time")
    answered(client, "s-before-ticket", "v5", T0 + 4 * HOUR + 1000, "data-export-timesheets")
    # s-browse: opened and closed the widget only                 → no row (no self-service)
    send(client, "s-browse", "v6", T0 + 5 * HOUR, "widget_opened", source="launcher")
    send(client, "s-browse", "v6", T0 + 5 * HOUR + 100, "widget_closed")
    # s-pending: answered an hour before "now"                    → no row yet
    asked(client, "s-pending", "v7", T0 + 2 * DAY - HOUR, "How do I add seats?")
    answered(client, "s-pending", "v7", T0 + 2 * DAY - HOUR + 100, "billing-seats-and-proration")


def file_ticket(client: Client, session: str, visitor: str, ticket_id: str) -> None:
    body = {
        "id": ticket_id,
        "site": "acme",
        "email": "user@example.com",
        "message": "I was charged twice this month",
        "session_id": session,
        "visitor_id": visitor,
    }
    assert client.post("/api/v1/tickets", json=body).status_code == 201


def set_ticket_time(client: Client, ticket_id: str, at: int) -> None:
    with client.app.state.engine.begin() as db:
        db.execute(events.update().where(events.c.id == f"ticket-{ticket_id}").values(ts=at))


def outcomes(client: Client) -> dict[str, str]:
    with client.app.state.engine.connect() as db:
        return {r.session_id: r.outcome for r in db.execute(select(deflections))}


EXPECTED = {
    "s-confirmed": "deflected_confirmed",
    "s-implied": "deflected_implied",
    "s-ticket": "ticket",
    "s-nothing": "abandoned",
    "s-before-ticket": "abandoned",
    "s-later": "ticket",
}


def seeded(client: Client) -> None:
    seed(client)
    file_ticket(client, "s-ticket", "v3", "ticket-a-000001")
    set_ticket_time(client, "ticket-a-000001", T0 + 2 * HOUR + 3000)
    send(
        client,
        "s-later",
        "v5",
        T0 + DAY,
        "question_asked",
        question="Export timesheets again",
        request_id="r-x",
        status="suggested",
    )
    file_ticket(client, "s-later", "v5", "ticket-b-000001")
    set_ticket_time(client, "ticket-b-000001", T0 + DAY + 1000)


def test_each_session_gets_the_outcome_worked_out_by_hand(client: Client) -> None:
    seeded(client)
    log_of(client).run_once("test", now=T0 + 2 * DAY)
    assert outcomes(client) == EXPECTED


def test_outcomes_wait_for_the_window_and_a_later_ticket_changes_them(client: Client) -> None:
    seed(client)
    log = log_of(client)
    log.run_once("test", now=T0 + HOUR + 2000)  # an hour in: only the confirmed one is final
    assert outcomes(client) == {"s-confirmed": "deflected_confirmed"}
    log.run_once("test", now=T0 + 2 * DAY)
    assert outcomes(client)["s-before-ticket"] == "deflected_implied"
    assert outcomes(client)["s-implied"] == "deflected_implied"
    assert "s-pending" not in outcomes(client) and "s-browse" not in outcomes(client)
    # a ticket arrives in a session that had said "Yes": the ticket wins
    file_ticket(client, "s-confirmed", "v1", "ticket-c-000001")
    log.run_once("test", now=T0 + 2 * DAY + 1000)
    assert outcomes(client)["s-confirmed"] == "ticket"


def test_incremental_runs_equal_a_rebuild_from_scratch(client: Client) -> None:
    seeded(client)
    log = log_of(client)
    for now in (T0 + HOUR, T0 + 6 * HOUR, T0 + DAY + HOUR, T0 + 2 * DAY):
        log.run_once("test", now=now)
    with client.app.state.engine.connect() as db:
        incremental = sorted(tuple(r) for r in db.execute(select(deflections)))
    log.rebuild(now=T0 + 2 * DAY)
    with client.app.state.engine.connect() as db:
        rebuilt = sorted(tuple(r) for r in db.execute(select(deflections)))
    assert rebuilt == incremental and len(rebuilt) == 6


def test_only_one_process_runs_the_job_at_a_time(client: Client) -> None:
    seed(client)
    log = log_of(client)
    assert take_lease(log.engine, "deflections", "process-a", T0, 60_000) is not None
    assert log.run_once("process-b", now=T0 + 1000) is None  # a holds the lease
    assert log.run_once("process-b", now=T0 + 61_000) is not None  # a's lease ran out


def test_export_as_json_and_csv_with_filters(client: Client) -> None:
    seeded(client)
    log_of(client).run_once("test", now=T0 + 2 * DAY)
    everything = client.get("/api/v1/admin/deflections", headers=ADMIN)
    assert everything.status_code == 200
    assert everything.json()["count"] == 6
    row = next(r for r in everything.json()["deflections"] if r["session_id"] == "s-confirmed")
    assert row["questions"] == ["How do I change my plan?"]
    assert row["answers"] == [{"article_id": "billing-change-plan", "section": "Steps"}]
    assert row["started_at"] == "2025-11-24T00:00:00Z" and row["visitor_id"] == "v1"
    billing = client.get(
        "/api/v1/admin/deflections", params={"page": "/settings/billing*"}, headers=ADMIN
    )
    assert {r["session_id"] for r in billing.json()["deflections"]} == {
        "s-confirmed",
        "s-implied",
        "s-ticket",
        "s-later",
    }
    next_day = client.get(
        "/api/v1/admin/deflections",
        params={"start": "2025-11-25", "end": "2025-11-25"},
        headers=ADMIN,
    )
    assert [r["session_id"] for r in next_day.json()["deflections"]] == ["s-later"]
    tickets_only = client.get(
        "/api/v1/admin/deflections", params={"outcome": "ticket", "format": "csv"}, headers=ADMIN
    )
    assert tickets_only.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(tickets_only.text)))
    assert {r["session_id"] for r in table} == {"s-ticket", "s-later"}
    assert table[0]["questions"].startswith('["')


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "yesterday"}, "start"),
        ({"start": "2025-11-25", "end": "2025-11-01"}, "end"),
        ({"outcome": "won"}, "outcome"),
        ({"page": "no-slash"}, "page"),
        ({"format": "xml"}, "format"),
    ],
)
def test_bad_export_filters_get_a_400(client: Client, params: dict[str, str], field: str) -> None:
    response = client.get("/api/v1/admin/deflections", params=params, headers=ADMIN)
    assert response.status_code == 400 and field in response.text


def test_admin_api_needs_the_token(client: Client, tmp_path: Path) -> None:
    assert client.get("/api/v1/admin/deflections").status_code == 401
    wrong = client.get("/api/v1/admin/deflections", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert client.delete("/api/v1/admin/visitors/v1").status_code == 401
    closed = Settings(data_dir=tmp_path / "closed")
    with TestClient(create_app(closed, embedder=FakeEmbedder())) as other:
        response = other.get("/api/v1/admin/deflections", headers=ADMIN)
        assert response.status_code == 403 and "FRONTDESK_ADMIN_TOKEN" in response.json()["detail"]


def test_erasing_a_visitor_removes_their_events_tickets_and_log_rows(client: Client) -> None:
    seeded(client)
    log_of(client).run_once("test", now=T0 + 2 * DAY)
    response = client.delete("/api/v1/admin/visitors/v5", headers=ADMIN)
    assert response.status_code == 200
    body = response.json()
    assert body["tickets"] == 1 and body["deflections"] == 2 and body["events"] > 0
    with client.app.state.engine.connect() as db:
        for table in (events, tickets, deflections):
            assert not db.execute(select(table).where(table.c.visitor_id == "v5")).first()
        assert not db.execute(select(outbox)).first()  # deliveries go with their tickets
        assert db.execute(select(events).where(events.c.visitor_id == "v1")).first()


def test_questions_are_stored_without_personal_data(client: Client) -> None:
    send(
        client,
        "s-pii",
        "v9",
        T0,
        "question_asked",
        question="I'm dana@example.com, card 4242 4242 4242 4242, "
        "call +1 (555) 123-4567, acct 12345678",
        request_id=None,
        status="no_answer",
    )
    with client.app.state.engine.connect() as db:
        stored = db.execute(
            select(events.c.data).where(events.c.session_id == "s-pii")
        ).scalar_one()
    assert stored["question"] == "I'm [email], card [card], call [phone], acct [account]"


@pytest.mark.parametrize(
    ("text", "kinds", "expected"),
    [
        ("mail me at a.b+c@mail.example.org", ["email"], "mail me at [email]"),
        ("card 4111-1111-1111-1111 please", ["card"], "card [card] please"),
        (
            "order 4111-1111-1111-1112 is not a card",
            ["card"],
            "order 4111-1111-1111-1112 is not a card",
        ),
        ("IBAN DE89 3704 0044 0532 0130 00", ["account"], "IBAN [account]"),
        ("phone 030 1234567", ["phone"], "phone [phone]"),
        (
            "on 12/05 I paid 49.99 for 3 seats in 2025",
            ["email", "phone", "card", "account"],
            "on 12/05 I paid 49.99 for 3 seats in 2025",
        ),
        ("my email a@b.io", ["phone"], "my email a@b.io"),
    ],
)
def test_redaction_rules(text: str, kinds: list[str], expected: str) -> None:
    assert Redactor.build(kinds, {})(text) == expected


def test_extra_redaction_patterns_from_the_settings() -> None:
    redact = Redactor.build([], Settings(redact_extra={"order": "ORD-[0-9]+"}).redact_extra)
    assert redact("where is ORD-5521?") == "where is [order]?"
    with pytest.raises(ValueError, match="not a regular expression"):
        Settings(redact_extra={"bad": "(unclosed"})


def test_migrations_create_exactly_the_tables_the_code_uses(client: Client) -> None:
    with client.app.state.engine.connect() as db:
        differences = compare_metadata(MigrationContext.configure(db), metadata)
    assert differences == []
