"""The dashboard's door: login, sessions, CSRF on every form, and a login rate limit."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from server.app import create_app
from server.services import services_of
from server.settings import Settings
from tests.fakes import FakeEmbedder
from tests.seeded_history import WEEK_A as MONDAY_A
from tests.seeded_history import ms, seed

Client = TestClient[Any]
PASSWORD = "correct horse battery"
WEEK_A = {"start": MONDAY_A.isoformat(), "end": "2026-10-11"}
NOW = ms(date(2026, 11, 20))


@pytest.fixture
def client(tmp_path: Path, database_url: str) -> Iterator[Client]:
    settings = Settings(data_dir=tmp_path, database_url=database_url, login_attempts_per_minute=5)
    app = create_app(settings, embedder=FakeEmbedder())
    with TestClient(app, base_url="https://testserver.local") as client:
        services_of(client.app).users.create("lead@example.com", PASSWORD, "admin")
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
    seed(services_of(client.app).engine)
    services_of(client.app).statistics.rebuild(NOW)
    response = log_in(client)
    assert response.status_code == 303 and response.headers["location"] == "/admin/"
    cookie = response.headers["set-cookie"]
    assert (
        "HttpOnly" in cookie
        and "Secure" in cookie
        and "SameSite=strict" in cookie.replace("Strict", "strict")
    )
    page = client.get("/admin/", params=WEEK_A)
    assert page.status_code == 200
    # 3 deflected / (3 deflected + 2 tickets) = 60.0 % (tests/seeded_history.py)
    assert re.search(r'data-figure="deflection-rate">60\.0%', page.text)
    assert re.search(r'data-figure="tickets">2<', page.text)
    assert re.search(r'data-figure="resolution-rate">42\.9%', page.text)
    assert page.text.count("<rect ") == 7 * 4  # a stacked bar per day and series
    assert "<title>Oct 06: Tickets 2</title>" in page.text


def test_every_page_renders_with_filters_and_escapes_what_users_typed(client: Client) -> None:
    seed(services_of(client.app).engine)
    services_of(client.app).statistics.rebuild(NOW)
    log_in(client)
    week_b = {"start": "2026-10-12", "end": "2026-10-18"}
    for path in ("/admin/", "/admin/content", "/admin/gaps", "/admin/report"):
        page = client.get(path, params=week_b)
        assert page.status_code == 200, path
        assert "<img src=x" not in page.text, path
    gaps = client.get("/admin/gaps", params=week_b).text
    assert "&lt;img src=x onerror=alert(1)&gt;" in gaps
    content = client.get("/admin/content", params=week_b).text
    assert 'data-verdict="billing-holdout">reduces tickets<' in content
    bad = client.get("/admin/", params={"page": "no slash"})
    assert bad.status_code == 200 and 'data-fd-admin="filter-error"' in bad.text
    download = client.get("/admin/report.md", params={"week": "2026-W41"})
    assert download.headers["content-disposition"] == (
        'attachment; filename="frontdesk-2026-W41.md"'
    )
    assert "| Questions asked | 6 | 0 |" in download.text


def test_a_viewer_reads_everything_and_changes_nothing(client: Client) -> None:
    services_of(client.app).users.create("viewer@example.com", PASSWORD, "viewer")
    token = csrf_token(client)
    form = {"email": "viewer@example.com", "password": PASSWORD, "_csrf_token": token}
    assert client.post("/admin/login", data=form, follow_redirects=False).status_code == 303
    page = client.get("/admin/")
    assert page.status_code == 200 and "Recompute statistics" not in page.text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token
    for action in ("/admin/rebuild", "/admin/report/send"):
        response = client.post(action, data={"_csrf_token": token.group(1), "week": "2026-W41"})
        assert response.status_code == 403, action
        assert "viewers cannot change anything" in response.text


def test_an_admin_can_recompute_the_statistics_and_only_with_the_csrf_token(
    client: Client,
) -> None:
    seed(services_of(client.app).engine)
    log_in(client)
    page = client.get("/admin/", params=WEEK_A)
    assert 'data-figure="tickets">0<' in page.text  # nothing computed yet
    assert client.post("/admin/rebuild", follow_redirects=False).status_code == 403
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token
    response = client.post(
        "/admin/rebuild", data={"_csrf_token": token.group(1)}, follow_redirects=False
    )
    assert response.status_code == 303
    assert 'data-figure="tickets">2<' in client.get("/admin/", params=WEEK_A).text


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
        "ts": int(time.time() * 1000),
    }
    assert (
        client.post("/api/v1/events", json={"site": "acme", "events": [event]}).status_code == 200
    )


def test_the_login_page_says_how_to_create_the_first_user(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path), embedder=FakeEmbedder())
    with TestClient(app, base_url="https://testserver.local") as fresh:
        assert "frontdesk admin create-user" in fresh.get("/admin/login").text
        services_of(fresh.app).users.create("lead@example.com", PASSWORD, "admin")
        assert "frontdesk admin create-user" not in fresh.get("/admin/login").text
