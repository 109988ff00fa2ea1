"""Durable deflection: a deflected session whose visitor files a ticket on the same topic (gap
cluster or cited article) within the durable days stops counting as deflected; counted once
under retries, the same after a rebuild, gone with an erased visitor. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from server.app import create_app
from server.services import services_of
from server.settings import Settings
from server.tables import daily_counts, deflection_reversals
from tests.admin.test_dashboard import log_in
from tests.fakes import FakeEmbedder
from tests.sessions import ADMIN, DAY, HOUR, T0, answered, asked, file_ticket, send, set_ticket_time

Client = TestClient[Any]
NOW = T0 + 30 * DAY
WEEKS = {"start": "2025-11-24", "end": "2025-12-07"}  # two weeks


@pytest.fixture
def client(tmp_path: Path, database_url: str) -> Iterator[Client]:
    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        admin_token="admin-secret",
        event_max_age_days=36_500,
        durable_days=7,
    )
    app = create_app(settings, embedder=FakeEmbedder())
    with TestClient(app, base_url="https://testserver.local") as client:
        services_of(client.app).statistics.stop()  # the tests run the passes themselves
        services_of(client.app).outbox.stop()
        yield client


def later_ticket(
    client: Client, visitor: str, session: str, at: int, question: str, status: str, article: str
) -> None:
    """A later session of the visitor: a question (answered with `article`, or a gap), then
    a ticket at `at`."""
    asked(client, session, visitor, at - 2000, question, status=status)
    if article:
        answered(client, session, visitor, at - 1000, article)
    file_ticket(client, session, visitor, f"ticket-{session}")
    set_ticket_time(client, f"ticket-{session}", at)


def history(client: Client) -> None:
    """Four deflected sessions on the first day, and each visitor's later ticket:

    - v1: a ticket 3 days later citing the same article        → reversed (article)
    - v2: a ticket 3 days later about another article           → durable
    - v3: a ticket 9 days later citing the same article        → durable (after 7 days)
    - v4: a gap ("zorblax coins"), an article opened; 2 days later the same gap
      unanswered, then a ticket                                 → reversed (gap)
    """
    for visitor, article in (
        ("v1", "billing-change-plan"),
        ("v2", "billing-download-invoices"),
        ("v3", "billing-seats-and-proration"),
    ):
        asked(client, f"s-{visitor}", visitor, T0 + HOUR, f"question of {visitor}")
        answered(client, f"s-{visitor}", visitor, T0 + HOUR + 1000, article)
    asked(client, "s-v4", "v4", T0 + HOUR, "can i pay with zorblax coins", status="no_answer")
    send(
        client,
        "s-v4",
        "v4",
        T0 + HOUR + 1000,
        "article_opened",
        article_id="billing-payments",
        source="suggestion",
    )
    later_ticket(
        client, "v1", "s-v1-b", T0 + 3 * DAY, "plan change", "answered", "billing-change-plan"
    )
    later_ticket(
        client, "v2", "s-v2-b", T0 + 3 * DAY, "refund please", "answered", "billing-refunds"
    )
    later_ticket(
        client,
        "v3",
        "s-v3-b",
        T0 + 9 * DAY,
        "seats again",
        "answered",
        "billing-seats-and-proration",
    )
    later_ticket(client, "v4", "s-v4-b", T0 + 2 * DAY, "pay with zorblax coins", "no_answer", "")


def reversals(client: Client) -> dict[str, tuple[str, str, str]]:
    with services_of(client.app).engine.connect() as db:
        return {
            r.session_id: (r.reason, r.topic, r.ticket_session_id)
            for r in db.execute(select(deflection_reversals))
        }


def overview(client: Client) -> dict[str, Any]:
    response = client.get("/api/v1/admin/overview", params=WEEKS, headers=ADMIN)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def reversed_count(client: Client) -> int:
    with services_of(client.app).engine.connect() as db:
        values = db.execute(
            select(daily_counts.c.value).where(daily_counts.c.metric == "deflected_reversed")
        ).scalars()
        return sum(values)


def test_a_later_ticket_on_the_same_topic_undoes_a_deflection(client: Client) -> None:
    history(client)
    statistics = services_of(client.app).statistics
    assert statistics.run_once(NOW)
    found = reversals(client)
    assert found.keys() == {"s-v1", "s-v4"}
    assert found["s-v1"] == ("article", "billing-change-plan", "s-v1-b")
    assert found["s-v4"][0] == "gap" and found["s-v4"][2] == "s-v4-b"
    figures = overview(client)["overview"]
    # 4 deflected, 4 later tickets: 24 hours 4/8, durable 2/8
    assert figures["deflected"] == 4 and figures["totals"]["tickets"] == 4
    assert figures["deflection_rate"] == pytest.approx(0.5)
    assert figures["durably_deflected"] == 2
    assert figures["durable_rate"] == pytest.approx(0.25)
    # the first week: 4 deflected, 3 tickets (v3's came in the second week)
    assert figures["weekly"][0]["deflection_rate"] == pytest.approx(4 / 7)
    assert figures["weekly"][0]["durable_rate"] == pytest.approx(2 / 7)


def test_passes_and_retried_tickets_count_a_reversal_once(client: Client) -> None:
    history(client)
    statistics = services_of(client.app).statistics
    statistics.run_once(NOW)
    file_ticket_again = client.post(
        "/api/v1/tickets",
        json={"id": "ticket-s-v1-b", "site": "acme", "email": "user@example.com",
              "message": "I was charged twice this month", "session_id": "s-v1-b",
              "visitor_id": "v1"},
    )  # fmt: skip
    assert file_ticket_again.status_code == 200  # a retry: nothing new
    for later in (NOW + 60_000, NOW + 120_000):
        statistics.run_once(later)
    assert reversals(client).keys() == {"s-v1", "s-v4"}
    assert reversed_count(client) == 2
    assert overview(client)["overview"]["durable_rate"] == pytest.approx(0.25)


def test_a_ticket_arriving_after_the_window_reverses_in_the_next_pass(client: Client) -> None:
    asked(client, "s-v1", "v1", T0 + HOUR, "question of v1")
    answered(client, "s-v1", "v1", T0 + HOUR + 1000, "billing-change-plan")
    statistics = services_of(client.app).statistics
    statistics.run_once(T0 + 2 * DAY)  # deflected, durable so far
    assert overview(client)["overview"]["durable_rate"] == pytest.approx(1.0)
    later_ticket(client, "v1", "s-v1-b", T0 + 4 * DAY, "plan change", "answered",
                 "billing-change-plan")  # fmt: skip
    statistics.run_once(T0 + 4 * DAY + HOUR)
    assert reversals(client).keys() == {"s-v1"}
    assert reversed_count(client) == 1  # its day, four days back, was counted again


def test_a_rebuild_gives_the_same_reversals_and_figures(client: Client) -> None:
    history(client)
    statistics = services_of(client.app).statistics
    statistics.run_once(NOW)
    before, figures = reversals(client), overview(client)
    assert client.post("/api/v1/admin/deflections/rebuild", headers=ADMIN).status_code == 200
    after = reversals(client)
    assert after["s-v1"] == before["s-v1"]
    # the gap clusters are made again (PostgreSQL numbers them anew): the same reversal
    assert (after["s-v4"][0], after["s-v4"][2]) == (before["s-v4"][0], before["s-v4"][2])
    assert after.keys() == before.keys()
    assert overview(client) == figures


def test_erasing_a_visitor_removes_their_reversals_and_their_count(client: Client) -> None:
    history(client)
    services_of(client.app).statistics.run_once(NOW)
    response = client.delete("/api/v1/admin/visitors/v1", headers=ADMIN)
    assert response.status_code == 200 and response.json()["deflection_reversals"] == 1
    assert reversals(client).keys() == {"s-v4"}
    assert reversed_count(client) == 1
    figures = overview(client)["overview"]
    assert figures["deflected"] == 3 and figures["durable_rate"] == pytest.approx(2 / 6)
    assert client.post("/api/v1/admin/deflections/rebuild", headers=ADMIN).status_code == 200
    assert reversals(client).keys() == {"s-v4"}


def test_the_dashboard_shows_the_durable_rate_beside_the_24_hour_one(client: Client) -> None:
    history(client)
    services_of(client.app).statistics.run_once(NOW)
    services_of(client.app).users.create("lead@example.com", "correct horse battery", "admin")
    assert log_in(client).status_code == 303
    page = client.get("/admin/", params=WEEKS)
    assert re.search(r'data-figure="deflection-rate">50\.0%', page.text)
    assert re.search(
        r'Durable deflection rate \(7 days\)</dt><dd data-figure="durable-rate"', page.text
    )
    assert re.search(r'data-figure="durable-rate"[^>]*>25\.0%', page.text)
