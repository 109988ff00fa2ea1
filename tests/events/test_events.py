"""`POST /api/v1/events`: a batch is validated whole and each event is stored exactly once."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from server.app import create_app
from server.events.schema import EVENT_TYPES
from server.events.store import EventStore
from server.services import services_of
from server.settings import Settings
from server.tables import events
from tests.fakes import FakeEmbedder

Client = TestClient[Any]
DAY = 86_400_000
NOW = int(time.time() * 1000)


@pytest.fixture
def client(tmp_path: Path, database_url: str) -> Iterator[Client]:
    """The app on SQLite and on PostgreSQL: every test here runs on both."""
    settings = Settings(data_dir=tmp_path, database_url=database_url)
    with TestClient(create_app(settings, embedder=FakeEmbedder())) as client:
        yield client


def store(client: Client) -> EventStore:
    events_store: EventStore = services_of(client.app).event_store
    return events_store


def event(number: int = 0, **fields: Any) -> dict[str, Any]:
    return {
        "type": "feedback",
        "id": f"event-{number:04d}-abcdef",
        "session_id": "session-1",
        "visitor_id": "visitor-1",
        "page_url": "https://app.example.com/settings/billing",
        "ts": NOW - DAY + number,
        "helpful": True,
        **fields,
    }


def send(client: Client, *items: dict[str, Any], site: str = "acme") -> Any:
    body = json.dumps({"site": site, "events": list(items)})
    return client.post(
        "/api/v1/events", content=body, headers={"content-type": "text/plain;charset=UTF-8"}
    )


def test_text_plain_batch_is_stored_with_its_type_fields(client: Client) -> None:
    asked = event(1, type="question_asked", question="How do I cancel?", status="answered")
    del asked["helpful"]
    response = send(client, event(0), asked)
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 2, "duplicates": 0}
    with store(client).engine.connect() as db:
        rows = {row.id: row for row in db.execute(select(events))}
    assert rows["event-0001-abcdef"].type == "question_asked"
    assert rows["event-0001-abcdef"].data == {
        "question": "How do I cancel?",
        "request_id": None,
        "status": "answered",
    }
    assert rows["event-0000-abcdef"].data["helpful"] is True
    assert rows["event-0000-abcdef"].site == "acme"


def test_a_batch_sent_again_is_counted_once(client: Client) -> None:
    batch = [event(n) for n in range(5)]
    assert send(client, *batch[:3]).json() == {"accepted": 3, "duplicates": 0}
    # the retry of the whole batch after a half-finished send
    assert send(client, *batch).json() == {"accepted": 2, "duplicates": 3}
    assert send(client, *batch).json() == {"accepted": 0, "duplicates": 5}
    assert send(client, event(9), event(9)).json() == {"accepted": 1, "duplicates": 1}
    assert store(client).count() == 6


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"type": "rocket_launched"}, "events[1].type"),
        ({"helpful": 1}, "events[1].helpful"),
        ({"helpful": "yes"}, "events[1].helpful"),
        ({"id": "short"}, "events[1].id"),
        ({"page_url": "not a url"}, "events[1].page_url"),
        ({"page_url": "javascript:alert(1)"}, "events[1].page_url"),
        ({"page_url": "http://[::1/settings"}, "events[1].page_url"),
        ({"page_url": "/settings\u0000"}, "events[1].page_url"),
        ({"route": "/settings/:id\u0000"}, "events[1].route"),
        ({"route": "/a`<img src=x>` **b**"}, "events[1].route"),
        ({"route": "settings/billing"}, "events[1].route"),
        ({"ts": -1}, "events[1].ts"),
        ({"unexpected": "field"}, "events[1]"),
    ],
)
def test_one_bad_event_rejects_the_whole_batch_naming_the_field(
    client: Client, bad: dict[str, Any], field: str
) -> None:
    response = send(client, event(0), event(1, **bad))
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"].startswith(field)
    assert store(client).count() == 0


def test_malformed_and_oversized_batches_are_refused(client: Client) -> None:
    assert send(client).status_code == 400  # no events
    assert send(client, *[event(n) for n in range(101)]).status_code == 400
    assert send(client, event(0), site="no spaces allowed").status_code == 400
    broken = client.post(
        "/api/v1/events", content="{not json", headers={"content-type": "text/plain"}
    )
    assert broken.status_code == 400
    huge = event(0, type="question_asked", question="x" * 1000, status="answered")
    del huge["helpful"]
    too_big = json.dumps({"site": "acme", "events": [huge] * 70})  # > 64 KB
    response = client.post("/api/v1/events", content=too_big)
    assert response.status_code == 413
    assert store(client).count() == 0


def test_every_widget_event_type_has_a_schema(client: Client) -> None:
    assert set(EVENT_TYPES) >= {
        "widget_opened",
        "widget_closed",
        "question_asked",
        "answer_shown",
        "suggestion_shown",
        "article_opened",
        "feedback",
        "handoff_started",
        "page_changed",
    }
    schema = client.get("/schema/openapi.json").json()
    assert "/api/v1/events" in schema["paths"]


@pytest.mark.parametrize(
    "ts",
    [2**53, int(time.time() * 1000) + 2 * DAY, int(time.time() * 1000) - 732 * DAY],
    ids=["2^53", "two days ahead", "732 days old"],
)
def test_an_event_dated_far_from_the_server_clock_is_refused_naming_its_ts(
    client: Client, ts: int
) -> None:
    response = send(client, event(0), event(1, ts=ts))
    assert response.status_code == 400, response.text
    assert response.json()["detail"].startswith("events[1].ts")
    assert store(client).count() == 0


def test_an_event_a_little_ahead_of_the_server_clock_is_stored(client: Client) -> None:
    """A client clock a few hours fast is normal; its events count."""
    assert send(client, event(0, ts=int(time.time() * 1000) + 6 * 3_600_000)).status_code == 200
