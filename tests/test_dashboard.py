"""The dashboard's door: login, sessions, CSRF on every form, and a login rate limit."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from server.app import create_app
from server.settings import Settings
from server.tables import deflections
from tests.fakes import FakeEmbedder

Client = TestClient[Any]
PASSWORD = "correct horse battery"


@pytest.fixture
def client(tmp_path: Path, database_url: str) -> Iterator[Client]:
    settings = Settings(data_dir=tmp_path, database_url=database_url, login_attempts_per_minute=5)
    app = create_app(settings, embedder=FakeEmbedder())
    with TestClient(app, base_url="https://testserver.local") as client:
        client.app.state.users.create("lead@example.com", PASSWORD, "admin")
        yield client


def csrf_token(client: Client) -> str:
    page = client.get("/admin/login")
    match = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


def log_in(client: Client, password: str = PASSWORD) -> Any:
    form = {"email": "lead@example.com", "password": password, "_csrf_token": csrf_token(client)}
    return client.post("/admin/login", data=form, follow_redirects=False)


def test_the_dashboard_needs_a_login(client: Client) -> None:
    response = client.get("/admin/", follow_redirects=False)
    assert response.status_code in (302, 303) and response.headers["location"] == "/admin/login"


def test_login_opens_the_dashboard_with_the_deflection_figures(client: Client) -> None:
    rows = [
        {
            "session_id": f"s{n}",
            "site": "acme",
            "visitor_id": "v",
            "outcome": outcome,
            "page_url": "/x",
            "questions": [],
            "answers": [],
            "prompt_id": None,
            "started_at": 0,
            "ended_at": 0,
        }
        for n, outcome in enumerate(
            ["deflected_confirmed", "deflected_implied", "deflected_implied", "ticket", "abandoned"]
        )
    ]
    with client.app.state.engine.begin() as db:
        db.execute(deflections.insert(), rows)
    response = log_in(client)
    assert response.status_code == 303 and response.headers["location"] == "/admin/"
    cookie = response.headers["set-cookie"]
    assert (
        "HttpOnly" in cookie
        and "Secure" in cookie
        and "SameSite=strict" in cookie.replace("Strict", "strict")
    )
    page = client.get("/admin/")
    assert page.status_code == 200
    # 3 deflected / (3 deflected + 1 ticket) = 75.0 %
    assert re.search(r'data-figure="deflection-rate">75\.0%', page.text)
    assert re.search(r'data-figure="tickets">1<', page.text)


def test_a_wrong_password_is_refused_and_the_form_keeps_no_password(client: Client) -> None:
    response = log_in(client, "wrong password!!")
    assert response.status_code == 401
    assert "Wrong email or password." in response.text and "wrong password!!" not in response.text


def test_forms_without_the_csrf_token_are_refused(client: Client) -> None:
    client.get("/admin/login")
    response = client.post(
        "/admin/login",
        data={"email": "lead@example.com", "password": PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 403


def test_logins_are_rate_limited(client: Client) -> None:
    codes = [log_in(client, "wrong password!!").status_code for _ in range(6)]
    assert codes[:5] == [401] * 5 and codes[5] == 429


def test_public_api_needs_no_csrf_token(client: Client) -> None:
    event = {
        "type": "widget_closed",
        "id": "abcdefgh1234",
        "session_id": "s",
        "visitor_id": "v",
        "page_url": "/x",
        "ts": 1,
    }
    assert (
        client.post("/api/v1/events", json={"site": "acme", "events": [event]}).status_code == 200
    )
