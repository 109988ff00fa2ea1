"""The helpdesk queue, worked out by hand: created against resolved, the open queue's depth,
first-response and resolution times, SLA breaches; its alerts, its part of the weekly
report, the backlog projection at the measured pace, the dashboard page and the API."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from server.app import create_app
from server.helpdesk.schema import HelpdeskEvent
from server.insights.alerts import AlertChecker, Thresholds
from server.insights.notify import Notifier
from server.insights.queue import SlaTargets, queue
from server.insights.report import weekly_report
from server.insights.scope import Scope
from server.platform.days import day_number, start_ms
from server.services import services_of
from server.settings import Settings
from tests.fakes import FakeEmbedder
from tests.receivers import http_receiver

Client = TestClient[Any]
HOUR = 3_600_000
PASSWORD = "correct horse battery staple"
TOKEN = {"Authorization": "Bearer admin-secret"}


def at(day: str, hour: float) -> int:
    return start_ms(date.fromisoformat(day)) + int(hour * HOUR)


def ticket(
    key: str,
    priority: str,
    category: str,
    created: int,
    replied: int | None = None,
    solved: int | None = None,
) -> list[HelpdeskEvent]:
    events = [
        HelpdeskEvent(
            f"{key}-c",
            key,
            "created",
            created,
            priority=priority,
            category=category,  # type: ignore[arg-type]
        )
    ]
    if replied is not None:
        events.append(HelpdeskEvent(f"{key}-r", key, "agent_replied", replied, body="Fixed."))
    if solved is not None:
        events.append(HelpdeskEvent(f"{key}-s", key, "status_changed", solved, status="solved"))
    return events


# Scope 2026-11-02 (a Monday) to 11-04. A is open when it starts (created 11-01).
HISTORY = [
    *ticket(
        "A", "high", "billing", at("2026-11-01", 10), at("2026-11-01", 12), at("2026-11-02", 10)
    ),
    *ticket(
        "B", "high", "billing", at("2026-11-02", 9), at("2026-11-02", 9.5), at("2026-11-02", 13)
    ),
    *ticket("C", "low", "account", at("2026-11-02", 10)),
    *ticket(
        "D", "medium", "account", at("2026-11-03", 8), at("2026-11-03", 18), at("2026-11-04", 8)
    ),
    *ticket("E", "critical", "billing", at("2026-11-04", 12), at("2026-11-04", 13)),
]
SCOPE = Scope(day_number(date(2026, 11, 2)), day_number(date(2026, 11, 4)))


@pytest.fixture
def client(tmp_path: Path, database_url: str) -> Iterator[Client]:
    settings = Settings(data_dir=tmp_path, database_url=database_url, admin_token="admin-secret")
    with TestClient(
        create_app(settings, embedder=FakeEmbedder()), base_url="https://testserver.local"
    ) as client:
        services = services_of(client.app)
        services.statistics.stop()
        services.helpdesk.apply("ops", HISTORY)
        services.users.create("lead@example.com", PASSWORD, "viewer")
        yield client


def test_the_queue_figures_match_the_hand_worked_history(client: Client) -> None:
    services = services_of(client.app)
    figures = queue(services.engine, SCOPE, SlaTargets.from_settings(services.settings))
    assert (figures.open_start, figures.created, figures.resolved, figures.open_end) == (1, 4, 3, 2)
    assert [(d.created, d.resolved, d.open) for d in figures.days] == [
        (2, 2, 1),
        (1, 0, 2),
        (1, 1, 2),
    ]
    assert figures.created_per_resolved == pytest.approx(4 / 3)
    # first responses of B, D, E: 0.5 h, 10 h, 1 h; resolutions of B, D: 4 h, 24 h
    overall = figures.overall
    assert (overall.tickets, overall.responded, overall.resolved) == (4, 3, 2)
    assert overall.first_response_median_h == pytest.approx(1.0)
    assert overall.first_response_p90_h == pytest.approx(8.2)
    assert overall.resolution_median_h == pytest.approx(14.0)
    assert overall.resolution_p90_h == pytest.approx(22.0)
    assert [(t.group, t.tickets) for t in figures.by_category] == [("account", 2), ("billing", 2)]
    assert [t.group for t in figures.by_priority] == ["critical", "high", "medium", "low"]
    # C waits 62 h for a reply (low: 24 h), D's took 10 h (medium: 8 h); E is open 12 h
    # at the range's end (critical: resolved within 8 h)
    sla = {r.priority: (r.first_response_breaches, r.resolution_breaches) for r in figures.sla}
    assert sla == {"critical": (0, 1), "high": (0, 0), "medium": (1, 0), "low": (1, 0)}
    assert (figures.first_response_breaches, figures.resolution_breaches) == (2, 1)


def test_the_api_serves_the_queue_as_json_and_csv(client: Client) -> None:
    range_ = {"start": "2026-11-02", "end": "2026-11-04"}
    body = client.get("/api/v1/admin/queue", params=range_, headers=TOKEN).json()
    assert body["queue"]["open_end"] == 2 and len(body["queue"]["days"]) == 3
    days = client.get("/api/v1/admin/queue", params={**range_, "format": "csv"}, headers=TOKEN)
    rows = list(csv.DictReader(io.StringIO(days.text)))
    assert (rows[0]["day"], rows[0]["created"], rows[0]["resolved"], rows[0]["open"]) == (
        "2026-11-02",
        "2",
        "2",
        "1",
    )
    times = client.get(
        "/api/v1/admin/queue/times", params={**range_, "format": "csv"}, headers=TOKEN
    )
    groups = {(r["dimension"], r["group"]) for r in csv.DictReader(io.StringIO(times.text))}
    assert ("priority", "critical") in groups and ("category", "account") in groups
    sla = client.get("/api/v1/admin/queue/sla", params=range_, headers=TOKEN).json()
    assert [r["priority"] for r in sla["sla"]] == ["critical", "high", "medium", "low"]
    filtered = client.get(
        "/api/v1/admin/queue", params={**range_, "page": "/settings*"}, headers=TOKEN
    ).json()
    assert filtered["queue"]["created"] == 0  # only tickets handed off from those pages
    bad = client.get(
        "/api/v1/admin/queue", params={"start": "2026-11-05", "end": "2026-11-01"}, headers=TOKEN
    )
    assert bad.status_code == 400 and "end" in bad.json()["detail"]
    assert client.get("/api/v1/admin/queue").status_code == 401


def test_the_dashboard_page_shows_the_queue(client: Client) -> None:
    page = client.get("/admin/login")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token
    form = {"email": "lead@example.com", "password": PASSWORD, "_csrf_token": token.group(1)}
    client.post("/admin/login", data=form)
    html = client.get("/admin/queue", params={"start": "2026-11-02", "end": "2026-11-04"}).text
    assert 'data-figure="open">2<' in html
    assert 'data-figure="created-resolved">4 / 3<' in html
    assert 'data-figure="breaches">2 / 1<' in html
    assert 'data-chart="flow"' in html and 'data-chart="depth"' in html
    assert 'data-table="sla"' in html and 'data-table="times-category"' in html


def test_the_backlog_projection_uses_the_measured_pace(client: Client) -> None:
    services = services_of(client.app)
    saved = services.views.savings(SCOPE)
    assert saved.capacity_source == "measured"
    assert saved.capacity == pytest.approx(1.0)  # 3 resolved in 3 days
    assert saved.backlog_start == 2
    assert saved.backlog_with[0] == pytest.approx(2 + 4 / 3 - 1)
    empty = services.views.savings(Scope(SCOPE.first_day - 30, SCOPE.first_day - 20))
    assert empty.capacity_source == "setting" and empty.capacity == 40


def test_the_weekly_report_gains_the_queue(client: Client) -> None:
    services = services_of(client.app)
    text = weekly_report(services.engine, date(2026, 11, 2), sla=services.views.sla)
    assert "## Support queue" in text
    assert "| Tickets created | 4 | 1 |" in text
    assert "| Tickets resolved | 3 | 0 |" in text
    # to the week's end, C (low) has also waited past its 120 h to be resolved
    assert "| SLA breaches, first response / resolution | 2 / 2 | 0 / 0 |" in text


def test_queue_alerts_fire_once_and_reach_the_notify_webhook(client: Client) -> None:
    services = services_of(client.app)
    slow = [
        e
        for n in range(6)
        for e in ticket(
            f"S{n}",
            "medium",
            "data",
            at(f"2026-11-0{5 + n % 2}", 8),
            at(f"2026-11-0{5 + n % 2}", 18),
        )
    ]
    services.helpdesk.apply(
        "ops", slow
    )  # 3 a day on 11-05 and 11-06, answered after 10 h, none solved
    thresholds = Thresholds(0, 1, 0, 5, {"medium": 8.0}, 2)
    with http_receiver() as receiver:
        notifier = Notifier(f"{receiver.url}/alerts", "hook-secret", "", "", "")
        checker = AlertChecker(services.engine, thresholds, notifier)
        now = at("2026-11-07", 9)
        assert checker.check(now) == 3
        assert checker.check(now) == 0  # once per kind and day
        kinds = sorted(r.json()["alert"]["kind"] for r in receiver.requests)
    assert kinds == ["first_response_over_sla", "queue_depth_high", "queue_growing"]
