"""Dashboard sessions: one is made at login only, with a new id, and old ones expire."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.stores.file import FileStore
from litestar.testing import TestClient

from server.app import create_app
from server.services import services_of
from server.settings import Settings
from tests.fakes import FakeEmbedder

Client = TestClient[Any]
PASSWORD = "correct horse battery"
CHOSEN = "a" * 64  # a session id an attacker planted in the victim's browser


def start(data_dir: Path) -> Client:
    return TestClient(
        create_app(Settings(data_dir=data_dir), embedder=FakeEmbedder()),
        base_url="https://testserver.local",
    )


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    with start(tmp_path) as client:
        services_of(client.app).users.create("lead@example.com", PASSWORD, "admin")
        yield client


def log_in(client: Client) -> Any:
    page = client.get("/admin/login")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token, page.text
    form = {"email": "lead@example.com", "password": PASSWORD, "_csrf_token": token.group(1)}
    response = client.post("/admin/login", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    return response


def opens_the_dashboard(client: Client, session_id: str) -> bool:
    client.cookies.clear()
    client.cookies.set("session", session_id)
    return client.get("/admin/", follow_redirects=False).status_code == 200


def session_files(data_dir: Path) -> list[str]:
    folder = data_dir / "sessions"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_login_issues_a_new_session_id_and_never_adopts_one_the_client_chose(
    client: Client,
) -> None:
    client.cookies.set("session", CHOSEN)
    issued = log_in(client).cookies["session"]
    assert issued != CHOSEN
    assert opens_the_dashboard(client, issued)
    assert not opens_the_dashboard(client, CHOSEN)


def test_a_second_login_rotates_the_session_id_and_the_old_one_stops_working(
    client: Client,
) -> None:
    first = log_in(client).cookies["session"]
    second = log_in(client).cookies["session"]
    assert second != first
    assert opens_the_dashboard(client, second)
    assert not opens_the_dashboard(client, first)


def test_requests_that_need_no_session_write_no_session_file(tmp_path: Path) -> None:
    with start(tmp_path) as client:
        for path in ("/healthz", "/readyz", "/metrics", "/demo/", "/admin/login", "/schema"):
            client.get(path)
            client.cookies.clear()
        for path in ("/admin/", "/admin/gaps"):  # cookieless or with an unknown id
            client.get(path, follow_redirects=False)
            client.cookies.set("session", CHOSEN)
            client.get(path, follow_redirects=False)
            client.cookies.clear()
        assert session_files(tmp_path) == []


def test_expired_sessions_are_removed_and_a_live_one_is_kept(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "sessions", create_directories=True)

    def stored(*session_ids: str) -> list[bool]:
        return [asyncio.run(store.exists(session_id)) for session_id in session_ids]

    asyncio.run(store.set("expired", b'{"user_id": 1}', expires_in=-1))
    asyncio.run(store.set("live", b'{"user_id": 1}', expires_in=3600))
    with start(tmp_path) as client:
        assert stored("expired", "live") == [False, True]  # cleaned up at start
        services_of(client.app).users.create("lead@example.com", PASSWORD, "admin")
        asyncio.run(store.set("expired-later", b'{"user_id": 1}', expires_in=-1))
        issued = log_in(client).cookies["session"]
        assert stored("expired-later", "live", issued) == [False, True, True]  # and at login
        assert len(session_files(tmp_path)) == 2
