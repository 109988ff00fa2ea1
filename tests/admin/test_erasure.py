"""Erasing a visitor: no table keeps a trace of them, the figures stop counting them, and a
rebuild does not bring them back."""

from __future__ import annotations

import json
import time
from itertools import count
from pathlib import Path
from typing import Any

from litestar.testing import TestClient
from sqlalchemy import select

from server.app import create_app
from server.services import services_of
from server.settings import Settings
from server.tables import deflections, events, metadata, outbox, tickets
from tests.fakes import FakeEmbedder
from tests.sessions import ADMIN, DAY, T0, Client, log_of, seeded

PHRASE = "zorblax quantum teapot refund"  # asked by the erased visitor, nobody else
ids = count()


def test_erasing_a_visitor_removes_their_events_tickets_and_log_rows(client: Client) -> None:
    seeded(client)
    log_of(client).run_once("test", now=T0 + 2 * DAY)
    response = client.delete("/api/v1/admin/visitors/v5", headers=ADMIN)
    assert response.status_code == 200
    body = response.json()
    assert body["tickets"] == 1 and body["deflections"] == 2 and body["events"] > 0
    with services_of(client.app).engine.connect() as db:
        for table in (events, tickets, deflections):
            assert not db.execute(select(table).where(table.c.visitor_id == "v5")).first()
        assert not db.execute(select(outbox)).first()  # deliveries go with their tickets
        assert db.execute(select(events).where(events.c.visitor_id == "v1")).first()


def _visit(client: Client, visitor: str, session: str, question: str, now: int) -> None:
    """A visitor who saw, clicked and dismissed prompts, asked, gave feedback, filed a ticket."""
    page = "https://app.example.com/settings/billing?tab=plan"
    kinds: list[tuple[str, dict[str, Any]]] = [
        ("widget_opened", {"source": "prompt"}),
        ("prompt_eligible", {"prompt_id": "billing-help", "group": "shown"}),
        ("prompt_shown", {"prompt_id": "billing-help"}),
        ("prompt_clicked", {"prompt_id": "billing-help", "action": "question", "target": question}),
        ("question_asked", {"question": question, "status": "no_answer", "request_id": "r1"}),
        ("no_answer_shown", {"request_id": "r1"}),
        (
            "question_asked",
            {"question": "how do i change my plan", "status": "answered", "request_id": "r2"},
        ),
        ("answer_shown", {"request_id": "r2", "article_id": "billing-change-plan"}),
        ("feedback", {"request_id": "r2", "article_id": "billing-change-plan", "helpful": False}),
        ("prompt_eligible", {"prompt_id": "onboarding-tour", "group": "shown"}),
        ("prompt_shown", {"prompt_id": "onboarding-tour"}),
        ("prompt_dismissed", {"prompt_id": "onboarding-tour"}),
    ]
    batch = [
        {
            "type": kind,
            "id": f"erase-{next(ids):08d}",
            "session_id": session,
            "visitor_id": visitor,
            "page_url": page,
            "route": "/settings/billing",
            "ts": now - 60_000 + step * 1000,
            **data,
        }
        for step, (kind, data) in enumerate(kinds)
    ]
    assert client.post("/api/v1/events", json={"site": "acme", "events": batch}).status_code == 200
    ticket = {
        "site": "acme",
        "email": f"{visitor}@example.com",
        "message": f"Still stuck: {question}",
        "session_id": session,
        "visitor_id": visitor,
        "transcript": [{"role": "user", "text": question}],
    }
    assert client.post("/api/v1/tickets", json=ticket).status_code == 201


def _figures(client: Client) -> dict[str, Any]:
    """What the dashboard shows today, without ids the database numbers itself."""
    figures: dict[str, Any] = {}
    for name in ("overview", "pages", "questions", "prompts", "gaps"):
        response = client.get(f"/api/v1/admin/{name}", headers=ADMIN)
        assert response.status_code == 200, response.text
        figures[name] = response.json()
    figures["overview"] = figures["overview"]["overview"]
    for cluster in figures["gaps"]["clusters"]:
        cluster.pop("id")
    return figures


def _traces(client: Client, needles: list[str]) -> list[str]:
    """`table: needle` for every row of every table that holds one of the needles."""
    found = []
    with services_of(client.app).engine.connect() as db:
        for table in metadata.sorted_tables:
            for row in db.execute(select(table)):
                text = json.dumps(row._asdict(), default=str).lower()
                found += [f"{table.name}: {n}" for n in needles if n.lower() in text]
    return found


def test_an_erased_visitor_leaves_no_trace_and_no_count_even_after_a_rebuild(
    client: Client,
) -> None:
    statistics = services_of(client.app).statistics
    now = int(time.time() * 1000)
    _visit(client, "v-stays", "s-stays", "can i pay by bank transfer", now)
    statistics.run_once(now)
    without = _figures(client)

    _visit(client, "v-erased", "s-erased-1", PHRASE, now)
    _visit(client, "v-erased", "s-erased-2", PHRASE + " again", now)
    statistics.run_once(now)
    needles = ["v-erased", "s-erased-1", "s-erased-2", PHRASE]
    assert set(_traces(client, needles)) >= {
        f"{table}: {needle}"
        for table in ("events", "tickets", "deflections")
        for needle in ("v-erased", "s-erased-1")
    } | {"prompt_exposures: v-erased", "gap_questions: " + PHRASE, "daily_counts: " + PHRASE}
    assert _figures(client) != without

    response = client.delete("/api/v1/admin/visitors/v-erased", headers=ADMIN)
    assert response.status_code == 200, response.text
    erased = response.json()
    assert erased["tickets"] == 2 and erased["deflections"] == 2
    assert erased["prompt_exposures"] == 2 and erased["gap_questions"] >= 2

    assert _traces(client, needles) == []
    assert _figures(client) == without
    assert _traces(client, ["v-stays", "can i pay by bank transfer"])  # others are kept

    assert client.post("/api/v1/admin/deflections/rebuild", headers=ADMIN).status_code == 200
    assert _traces(client, needles) == []
    assert _figures(client) == without


def test_an_erased_visitor_leaves_no_trace_in_the_sqlite_files_of_the_data_dir(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path, admin_token="admin-secret")  # SQLite in the data dir
    with TestClient(create_app(settings, embedder=FakeEmbedder())) as client:
        now = int(time.time() * 1000)
        _visit(client, "v-stays", "s-stays", "can i pay by bank transfer", now)
        _visit(client, "v-erased", "s-erased-1", PHRASE, now)
        services_of(client.app).statistics.run_once(now)
        assert _files_holding(tmp_path, PHRASE) != []  # the database and its WAL hold it now
        response = client.delete("/api/v1/admin/visitors/v-erased", headers=ADMIN)
        assert response.status_code == 200, response.text
        assert _files_holding(tmp_path, PHRASE, "v-erased", "s-erased-1") == []
        assert _files_holding(tmp_path, "can i pay by bank transfer") != []  # others are kept


def _files_holding(folder: Path, *needles: str) -> list[str]:
    """`file: needle` for every file under the folder whose bytes hold one of the needles."""
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        content = path.read_bytes().lower()
        found += [f"{path.name}: {n}" for n in needles if n.lower().encode() in content]
    return found
