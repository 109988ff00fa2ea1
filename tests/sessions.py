"""A history of widget sessions sent through the real API, with each session's outcome
worked out by hand; shared by the deflection log, export and erasure tests."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient
from sqlalchemy import select

from server.handoff.store import ticket_event_id
from server.insights.deflection_log import DeflectionLog
from server.services import services_of
from server.tables import deflections, events

Client = TestClient[Any]
DAY = 86_400_000
HOUR = 3_600_000
T0 = 1_763_942_400_000  # 2025-11-24 00:00 UTC
ADMIN = {"Authorization": "Bearer admin-secret"}


def log_of(client: Client) -> DeflectionLog:
    return services_of(client.app).statistics.deflection_log


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
    with services_of(client.app).engine.begin() as db:
        db.execute(events.update().where(events.c.id == ticket_event_id(ticket_id)).values(ts=at))


def outcomes(client: Client) -> dict[str, str]:
    with services_of(client.app).engine.connect() as db:
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
