"""Bugs to the tracker: against a real GitHub-shaped receiver, a topic's first ticket opens an
issue with its context, repeats in the window become comments, and retries after a 500
never open a second issue."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import select, update

from server.app import create_app
from server.handoff.outbox import OutboxWorker
from server.services import services_of
from server.settings import Settings
from server.tables import outbox, tickets, tracker_issues
from tests.fakes import FakeEmbedder
from tests.receivers import GitHubReceiver, github_receiver
from tests.sessions import ADMIN, DAY, send

Client = TestClient[Any]

ROUTES = """\
routes:
  - name: bugs
    categories: [bug]
    to: [tracker]
    assignee: octocat
    tags: [from-support]
"""
BUG = "The board crashes when I drag a card"


@pytest.fixture
def github() -> Iterator[GitHubReceiver]:
    with github_receiver() as receiver:
        yield receiver


def make_client(
    tmp_path: Path, database_url: str, github: GitHubReceiver, **extra: Any
) -> TestClient[Any]:
    routes = tmp_path / "routes.yaml"
    routes.write_text(ROUTES, encoding="utf-8")
    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        routes_file=routes,
        tracker_url=github.url,
        tracker_token=github.token,
        tracker_repo=github.repo,
        ticket_categories={"bug": ["crash", "broken", "bug"], "billing": ["invoice"]},
        admin_token="admin-secret",
        **extra,
    )
    return TestClient(create_app(settings, embedder=FakeEmbedder()))


@pytest.fixture
def client(tmp_path: Path, database_url: str, github: GitHubReceiver) -> Iterator[Client]:
    with make_client(tmp_path, database_url, github) as client:
        services_of(client.app).outbox.stop()  # the tests drive deliveries themselves
        yield client


def file(client: Client, number: int, message: str = BUG, page: str = "/projects/7/board") -> str:
    ticket_id = f"ticket-{number:04d}-tracker"
    body = {
        "id": ticket_id,
        "site": "acme",
        "email": f"user{number}@example.com",
        "name": f"User {number}",
        "message": message,
        "session_id": f"session-{number}",
        "visitor_id": f"visitor-{number}",
        "page_url": f"https://app.example.com{page}",
    }
    response = client.post("/api/v1/tickets", json=body)
    assert response.status_code == 201, response.text
    return ticket_id


def worker(client: Client) -> OutboxWorker:
    return services_of(client.app).outbox


def time_passes(client: Client) -> None:
    with services_of(client.app).engine.begin() as db:
        db.execute(update(outbox).values(next_attempt_at=0))


def test_the_first_ticket_opens_an_issue_and_repeats_become_comments(
    client: Client, github: GitHubReceiver
) -> None:
    first = file(client, 1)
    second = file(client, 2, "Dragging a card crashes the board again")
    other_page = file(client, 3, page="/projects/7/timeline")
    not_a_bug = file(client, 4, "Where is my invoice?")
    assert worker(client).run_once() == 3  # the billing ticket has no route to the tracker
    assert sorted(github.issues) == [1, 2]
    issue = github.issues[1]
    assert issue.title == f"[bug] /projects/7/board: {BUG}"
    assert issue.labels == ["frontdesk", "bug", "from-support"]
    assert issue.assignees == ["octocat"]
    assert f"Frontdesk ticket `{first}`" in issue.body and f"```text\n{BUG}\n```" in issue.body
    assert "user1@example.com" not in issue.body and "User 1" not in issue.body  # no contact
    (comment,) = issue.comments
    assert f"`{second}`" in comment and "again" in comment
    assert github.issues[2].title.startswith("[bug] /projects/7/timeline") and not (
        github.issues[2].comments
    )
    keys = [r.headers["Idempotency-Key"] for r in github.requests]
    assert keys == [f"{first}:tracker", f"{second}:tracker", f"{other_page}:tracker"]
    assert all(r.headers["Authorization"] == "Bearer gh-token" for r in github.requests)
    with services_of(client.app).engine.connect() as db:
        rows = db.execute(select(tracker_issues).order_by(tracker_issues.c.id)).all()
        routed = db.execute(select(outbox.c.ticket_id, outbox.c.destination)).all()
    assert [(r.topic, r.number, r.opened_by) for r in rows] == [
        ("page:bug:/projects/7/board", 1, None),
        ("page:bug:/projects/7/timeline", 2, None),
    ]
    assert (not_a_bug, "tracker") not in routed


def test_retries_after_a_receiver_500_open_one_issue(
    client: Client, github: GitHubReceiver
) -> None:
    first, second = file(client, 1), file(client, 2)
    github.fail_next = 1  # the tracker is down for the first request
    assert worker(client).run_once() == 0  # the first fails; the repeat waits for its issue
    assert github.issues == {} and len(github.requests) == 1
    time_passes(client)
    github.lose_next = 1  # this time it opens the issue, but the answer is lost
    assert worker(client).run_once() == 0
    assert len(github.issues) == 1
    time_passes(client)
    assert worker(client).run_once() == 2
    assert worker(client).depth() == 0
    assert len(github.issues) == 1 and len(github.issues[1].comments) == 1
    creating = [r for r in github.requests if r.path == "/repos/acme/app/issues"]
    assert {r.headers["Idempotency-Key"] for r in creating} == {f"{first}:tracker"}
    assert len(creating) == 3  # failed, lost, repeated: one issue
    commenting = [r for r in github.requests if r.path.endswith("/comments")]
    assert [r.headers["Idempotency-Key"] for r in commenting] == [f"{second}:tracker"]


def test_a_repeat_after_the_window_opens_a_new_issue(
    client: Client, github: GitHubReceiver
) -> None:
    file(client, 1)
    worker(client).run_once()
    later = file(client, 2)
    with services_of(client.app).engine.begin() as db:  # filed 7 days later: the next window
        db.execute(
            update(tickets)
            .where(tickets.c.id == later)
            .values(created_at=tickets.c.created_at + 7 * DAY)
        )
    worker(client).run_once()
    assert sorted(github.issues) == [1, 2] and github.issues[1].comments == []


def test_what_a_user_typed_is_never_rendered_as_markdown(
    client: Client, github: GitHubReceiver
) -> None:
    hostile = "crash ``` @octocat/team ![x](https://evil.example/x.png) ```` <b>bold</b>"
    file(client, 1, hostile)
    worker(client).run_once()
    body = github.issues[1].body
    assert f"`````text\n{hostile}\n`````" in body  # a fence longer than any run inside


def test_an_erased_visitors_ticket_leaves_no_trace_and_the_next_ticket_opens_the_issue(
    client: Client, github: GitHubReceiver
) -> None:
    first = file(client, 1)
    github.fail_next = 1
    worker(client).run_once()  # the first ticket holds the topic's issue, not yet created
    with services_of(client.app).engine.connect() as db:
        (row,) = db.execute(select(tracker_issues)).all()
    assert row.opened_by == first and row.number is None
    assert client.delete("/api/v1/admin/visitors/visitor-1", headers=ADMIN).status_code == 200
    with services_of(client.app).engine.connect() as db:
        (row,) = db.execute(select(tracker_issues)).all()
    assert row.opened_by is None
    second = file(client, 2)
    assert worker(client).run_once() == 1
    assert len(github.issues) == 1 and f"`{second}`" in github.issues[1].body
    assert github.issues[1].comments == []


def test_with_gap_clusters_tickets_of_one_gap_share_an_issue_across_pages(
    tmp_path: Path, database_url: str, github: GitHubReceiver
) -> None:
    with make_client(tmp_path, database_url, github, tracker_issue_per="gap_cluster") as client:
        services_of(client.app).outbox.stop()
        for number, page in ((1, "/projects/7/board"), (2, "/projects/9/list")):
            send(
                client,
                f"session-{number}",
                f"visitor-{number}",
                int(time.time() * 1000) - 60_000,
                "question_asked",
                page,
                question="why does the board crash when dragging cards",
                request_id="r1",
                status="no_answer",
            )
            file(client, number, page=page)
        assert worker(client).run_once() == 0  # the gap questions are not clustered yet
        assert github.requests == []
        with services_of(client.app).engine.connect() as db:
            errors = db.execute(select(outbox.c.last_error)).scalars().all()
        assert (
            errors == ["IssuePendingError: the session's gap questions are not clustered yet"] * 2
        )
        services_of(client.app).statistics.run_once()
        time_passes(client)
        assert worker(client).run_once() == 2
        (issue,) = github.issues.values()
        assert issue.title.startswith("Knowledge gap #")
        assert "why does the board crash" in issue.title and len(issue.comments) == 1
        with services_of(client.app).engine.connect() as db:
            (row,) = db.execute(select(tracker_issues)).all()
        assert row.topic.startswith("gap:")
