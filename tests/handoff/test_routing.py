"""Routing: each ticket goes only to its route's destinations, with the route's helpdesk
fields, and says which rule routed it; a routes file with errors names its lines."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from server.app import create_app
from server.handoff.routing import RoutesError, parse_routes, read_routing
from server.services import services_of
from server.settings import Settings
from server.tables import outbox, tickets
from tests.conftest import cli_env, frontdesk
from tests.fakes import FakeEmbedder
from tests.handoff.test_tickets import history, ticket
from tests.receivers import HttpReceiver, http_receiver

Client = TestClient[Any]

ROUTES = """\
routes:
  - name: billing-urgent
    categories: [billing]
    priorities: [critical, high]
    pages: ["/settings/billing*"]
    to: [helpdesk]
    group: 360001234567
    assignee: lead@acme.example
    tags: [billing, urgent]
  - name: data-team
    categories: [data]
    to: [webhook]
    group: Data
    assignee: "9001"
    tags: [data]
"""


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with http_receiver() as receiver:
        yield receiver


@pytest.fixture
def client(tmp_path: Path, database_url: str, receiver: HttpReceiver) -> Iterator[Client]:
    """A webhook and a Zendesk-shaped helpdesk, both real receivers, and the routes above."""
    routes = tmp_path / "routes.yaml"
    routes.write_text(ROUTES, encoding="utf-8")
    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        webhook_url=f"{receiver.url}/hooks/frontdesk",
        webhook_secret="hook-secret",
        helpdesk_url=f"{receiver.url}/zendesk",
        helpdesk_token="zd-token",
        routes_file=routes,
    )
    with TestClient(create_app(settings, embedder=FakeEmbedder())) as client:
        services_of(client.app).outbox.stop()  # the tests drive deliveries themselves
        yield client


def stored(client: Client) -> tuple[Any, list[str]]:
    with services_of(client.app).engine.connect() as db:
        (row,) = db.execute(select(tickets)).all()
        destinations = sorted(db.execute(select(outbox.c.destination)).scalars())
    return row, destinations


def test_a_ticket_goes_only_to_its_routes_helpdesk_with_the_routes_fields(
    client: Client, receiver: HttpReceiver
) -> None:
    history(client)
    created = client.post("/api/v1/tickets", json=ticket())
    assert created.json()["category"] == "billing" and created.json()["priority"] == "high"
    row, destinations = stored(client)
    assert destinations == ["helpdesk"]
    assert row.context["route"] == {
        "rule": "billing-urgent",
        "destinations": ["helpdesk"],
        "group": "360001234567",
        "assignee": "lead@acme.example",
        "tags": ["billing", "urgent"],
    }
    assert services_of(client.app).outbox.run_once() == 1
    (call,) = receiver.requests
    assert call.path == "/zendesk/api/v2/tickets.json"
    body = call.json()["ticket"]
    assert body["group_id"] == 360001234567
    assert body["assignee_email"] == "lead@acme.example"
    assert body["tags"] == ["frontdesk", "billing", "urgent"]
    assert body["metadata"]["frontdesk"]["route"]["rule"] == "billing-urgent"


def test_another_category_takes_its_own_route_to_the_webhook(
    client: Client, receiver: HttpReceiver
) -> None:
    message = "The CSV import stops at row 3"
    client.post("/api/v1/tickets", json=ticket(message=message, session_id="fresh"))
    row, destinations = stored(client)
    assert (row.category, destinations) == ("data", ["webhook"])
    services_of(client.app).outbox.run_once()
    (call,) = receiver.requests
    assert call.path == "/hooks/frontdesk"
    route = call.json()["ticket"]["route"]
    assert (route["rule"], route["group"], route["assignee"], route["tags"]) == (
        "data-team",
        "Data",
        "9001",
        ["data"],
    )


def test_a_page_outside_the_routes_pattern_is_not_taken_by_it(client: Client) -> None:
    history(client)
    client.post("/api/v1/tickets", json=ticket(page_url="https://app.example.com/projects/7"))
    row, destinations = stored(client)
    assert row.category == "billing" and row.priority == "high"
    assert row.context["route"]["rule"] is None  # no route: every destination but a tracker
    assert destinations == ["helpdesk", "webhook"]


def test_the_hosts_route_decides_over_the_url(client: Client) -> None:
    history(client)
    page = {"url": "https://app.example.com/s/b?tab=2", "route": "/settings/billing/cards"}
    client.post("/api/v1/tickets", json=ticket(page_url="https://app.example.com/s/b", page=page))
    row, destinations = stored(client)
    assert (row.context["route"]["rule"], destinations) == ("billing-urgent", ["helpdesk"])


def test_a_retried_ticket_is_routed_and_queued_once(client: Client) -> None:
    history(client)
    client.post("/api/v1/tickets", json=ticket())
    client.post("/api/v1/tickets", json=ticket())
    _, destinations = stored(client)
    assert destinations == ["helpdesk"]


BROKEN = """\
routes:
  - name: one
    priorities: [urgent]
    to: [helpdesk]
  - name: two
    pages: ["settings/billing"]
    to: [helpdesk, tracker]
  - name: one
    to: [pager]
    colour: red
"""


def test_every_problem_of_a_routes_file_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "routes.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    with pytest.raises(RoutesError) as raised:
        parse_routes(path, ("helpdesk", "webhook"))
    found = [(f.line, f.message) for f in raised.value.findings]
    assert [line for line, _ in found] == [3, 6, 10]
    assert "routes[0].priorities[0]" in found[0][1]
    assert "must start with '/'" in found[1][1]
    assert "colour" in found[2][1]
    # once the shape is right, destinations and names are checked
    path.write_text(BROKEN.replace("urgent", "high").replace('"settings', '"/settings')
                    .replace("    colour: red\n", ""), encoding="utf-8")  # fmt: skip
    with pytest.raises(RoutesError) as raised:
        parse_routes(path, ("helpdesk", "webhook"))
    found = [(f.line, f.message) for f in raised.value.findings]
    assert found == [
        (7, "routes[1] (two).to: 'tracker' is not a configured destination "
            "(set FRONTDESK_TRACKER_REPO)"),
        (8, "duplicate route name 'one'"),
        (9, "routes[2] (one).to: 'pager' is not a configured destination "
            "(one of webhook, email, helpdesk, tracker)"),
    ]  # fmt: skip
    assert str(path) in str(raised.value)


def test_a_broken_routes_file_stops_the_app_from_being_built(tmp_path: Path) -> None:
    path = tmp_path / "routes.yaml"
    path.write_text("routes:\n  - name: x\n    to: []\n", encoding="utf-8")
    settings = Settings(data_dir=tmp_path, routes_file=path)
    with pytest.raises(RoutesError, match=r"routes.yaml:3: routes\[0\].to"):
        create_app(settings, embedder=FakeEmbedder())


def test_a_missing_routes_file_is_an_error_only_when_named(tmp_path: Path) -> None:
    assert read_routing(tmp_path / "routes.yaml", ("webhook",)).routes == ()
    with pytest.raises(RoutesError, match="cannot read the file"):
        read_routing(tmp_path / "routes.yaml", ("webhook",), explicit=True)


def test_serve_refuses_to_start_with_a_broken_routes_file(tmp_path: Path, small_kb: Path) -> None:
    path = tmp_path / "routes.yaml"
    path.write_text("routes:\n  - name: x\n    to: [tracker]\n", encoding="utf-8")
    env = cli_env(tmp_path, small_kb, FRONTDESK_ROUTES_FILE=str(path))
    result = subprocess.run(
        frontdesk("serve"), env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert f"{path}:3: routes[0] (x).to: 'tracker' is not a configured destination" in (
        result.stderr
    )


def test_frontdesk_check_reports_the_routes_files_lines(tmp_path: Path, small_kb: Path) -> None:
    path = tmp_path / "routes.yaml"
    path.write_text("routes:\n  - name: x\n    priorities: [urgent]\n    to: [email]\n", "utf-8")
    env = cli_env(tmp_path, small_kb, FRONTDESK_ROUTES_FILE=str(path))
    result = subprocess.run(
        frontdesk("check"), env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    assert f"{path}:3: routes[0].priorities[0]: Input should be" in result.stderr
