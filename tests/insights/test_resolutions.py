"""Learning from agents: a solved ticket whose session ended in a knowledge-base gap brings the
agent's reply (redacted, plain text) to the gap; the gap page and API show it, the draft
starts from it and is a valid `kb_articles/` file; a lead accepts or rejects it; an
unreviewed one expires; erasing the visitor removes it."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from ingest.articles import parse_article
from server.app import create_app
from server.helpdesk.schema import HelpdeskEvent
from server.services import services_of
from server.settings import Settings
from server.tables import gap_resolutions
from tests.fakes import FakeEmbedder

Client = TestClient[Any]
NOW = int(time.time() * 1000)
HOUR = 3_600_000
DAY = 24 * HOUR
PASSWORD = "correct horse battery staple"
TOKEN = {"Authorization": "Bearer admin-secret"}
REPLY = (
    "<p>Go to <b>Settings / Data / Export</b> and pick CSV.</p>"
    "<p>&lt;img src=x onerror=alert(1)&gt; Write to dana@example.com if it fails.</p>"
)


@pytest.fixture
def client(tmp_path: Path, database_url: str) -> Iterator[Client]:
    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        admin_token="admin-secret",
        redact=["email"],
        suggestion_max_age_days=30,
    )
    app = create_app(settings, embedder=FakeEmbedder())
    with TestClient(app, base_url="https://testserver.local") as client:
        services_of(client.app).statistics.stop()
        services_of(client.app).users.create("lead@example.com", PASSWORD, "admin")
        yield client


def gap_then_ticket(client: Client, number: int) -> str:
    """A visitor's question gets no answer; they file a ticket. Returns its id."""
    session, ticket = f"session-{number:04d}", f"fd-ticket-{number:04d}"
    event = {
        "type": "question_asked",
        "id": f"question-{number:04d}",
        "session_id": session,
        "visitor_id": f"v-{number}",
        "page_url": "https://app.example.com/settings/data",
        "ts": NOW - 5 * HOUR,
        "question": "How do I export my data to CSV?",
        "request_id": "r1",
        "status": "no_answer",
    }
    assert client.post("/api/v1/events", json={"site": "acme", "events": [event]}).is_success
    filed = client.post(
        "/api/v1/tickets",
        json={
            "id": ticket,
            "site": "acme",
            "email": "dana@example.com",
            "message": "Where is the export?",
            "session_id": session,
            "visitor_id": f"v-{number}",
        },
    )
    assert filed.status_code == 201, filed.text
    return ticket


def solve(client: Client, number: int, ticket: str, reply: str = REPLY) -> None:
    key = f"Z{number}"
    services_of(client.app).helpdesk.apply(
        "zendesk",
        [
            HelpdeskEvent(f"{key}-1", key, "created", NOW - 4 * HOUR, external_id=ticket),
            HelpdeskEvent(f"{key}-2", key, "agent_replied", NOW - 3 * HOUR, body=reply),
            HelpdeskEvent(f"{key}-3", key, "status_changed", NOW - 2 * HOUR, status="solved"),
        ],
    )


def log_in(client: Client) -> None:
    page = client.get("/admin/login")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token
    form = {"email": "lead@example.com", "password": PASSWORD, "_csrf_token": token.group(1)}
    client.post("/admin/login", data=form)


def csrf(client: Client, page: str) -> str:
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page)
    assert token
    return token.group(1)


def the_cluster(client: Client) -> dict[str, Any]:
    clusters = client.get("/api/v1/admin/gaps", headers=TOKEN).json()["clusters"]
    assert len(clusters) == 1, clusters
    return dict(clusters[0])


def test_a_solved_ticket_brings_the_agents_reply_to_its_gap(client: Client, tmp_path: Path) -> None:
    statistics = services_of(client.app).statistics
    solve(client, 1, gap_then_ticket(client, 1))
    statistics.rebuild(NOW)  # the gap is clustered, then the reply attached
    cluster = the_cluster(client)
    expected = (
        "Go to Settings / Data / Export and pick CSV.\n"
        "<img src=x onerror=alert(1)> Write to [email] if it fails."
    )
    assert cluster["resolved_by_agents"] == 1
    assert cluster["agent_replies"] == [expected]
    draft = client.get(f"/api/v1/admin/gaps/{cluster['id']}/draft", headers=TOKEN)
    assert "Go to Settings / Data / Export and pick CSV." in draft.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in draft.text  # no HTML in the article
    target = tmp_path / "kb" / draft.headers["x-frontdesk-file"].removeprefix("kb_articles/")
    target.parent.mkdir(parents=True)
    target.write_text(draft.text, encoding="utf-8")
    article = parse_article(target)  # valid front matter: it raises otherwise
    assert article.meta.title == "How do i export my data to csv"  # lower-cased wordings
    assert statistics.resolutions.attach(NOW) == 0  # once per ticket

    log_in(client)
    page = client.get("/admin/gaps").text
    assert "Resolved by agents 1 time<" in page
    assert "&lt;img src=x onerror=alert(1)&gt; Write to [email]" in page
    assert "<img src=x" not in page


def test_a_lead_accepts_the_draft_as_a_file_or_rejects_it(client: Client) -> None:
    statistics = services_of(client.app).statistics
    solve(client, 1, gap_then_ticket(client, 1))
    statistics.rebuild(NOW)
    cluster_id = the_cluster(client)["id"]
    log_in(client)
    page = client.get("/admin/gaps").text
    accepted = client.post(
        f"/admin/gaps/{cluster_id}/review",
        data={"decision": "accept", "_csrf_token": csrf(client, page)},
    )
    assert accepted.status_code == 200
    assert accepted.headers["content-disposition"] == (
        'attachment; filename="how-do-i-export-my-data-to-csv.md"'
    )
    assert accepted.text.startswith("---\nid: how-do-i-export-my-data-to-csv\n")
    assert "Go to Settings" in accepted.text
    after = the_cluster(client)
    assert after["resolved_by_agents"] == 1 and after["agent_replies"] == []
    assert "Go to Settings" not in after["draft"]

    solve(client, 2, gap_then_ticket(client, 2), "Use the Export button on the Data page.")
    statistics.run_once(NOW)
    assert the_cluster(client)["agent_replies"] == ["Use the Export button on the Data page."]
    rejected = client.post(
        f"/api/v1/admin/gaps/{cluster_id}/review", json={"decision": "reject"}, headers=TOKEN
    )
    assert rejected.json() == {
        "cluster_id": cluster_id,
        "decision": "reject",
        "replies": 1,
        "draft": None,
        "file": None,
    }
    assert the_cluster(client)["resolved_by_agents"] == 1  # the rejected one counts no more
    statistics.rebuild(NOW)  # new cluster ids: the decisions follow their questions
    rebuilt = the_cluster(client)
    assert rebuilt["resolved_by_agents"] == 1 and rebuilt["agent_replies"] == []
    bad = client.post(
        f"/api/v1/admin/gaps/{cluster_id}/review", json={"decision": "maybe"}, headers=TOKEN
    )
    assert bad.status_code == 400
    missing = client.post(
        "/api/v1/admin/gaps/999/review", json={"decision": "accept"}, headers=TOKEN
    )
    assert missing.status_code == 404


def test_an_unreviewed_suggestion_expires(client: Client) -> None:
    statistics = services_of(client.app).statistics
    solve(client, 1, gap_then_ticket(client, 1))
    statistics.rebuild(NOW)
    assert statistics.resolutions.expire(NOW + 29 * DAY) == 0
    assert statistics.resolutions.expire(NOW + 31 * DAY) == 1
    with services_of(client.app).engine.connect() as db:
        row = db.execute(select(gap_resolutions.c.state, gap_resolutions.c.reply)).one()
    assert (row.state, row.reply) == ("expired", "")
    cluster = the_cluster(client)
    assert cluster["resolved_by_agents"] == 0 and cluster["agent_replies"] == []


def test_erasing_the_visitor_removes_the_attached_reply(client: Client) -> None:
    statistics = services_of(client.app).statistics
    solve(client, 1, gap_then_ticket(client, 1))
    statistics.rebuild(NOW)
    erased = client.delete("/api/v1/admin/visitors/v-1", headers=TOKEN).json()
    assert erased["gap_resolutions"] == 1 and erased["helpdesk_tickets"] == 1
    with services_of(client.app).engine.connect() as db:
        assert db.execute(select(gap_resolutions)).all() == []
