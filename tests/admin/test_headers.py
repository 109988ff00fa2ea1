"""The admin side's headers: a strict set on every dashboard response, nothing cached, and no
CORS at all on `/admin` and `/api/v1/admin` (the public API keeps its CORS)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from server.app import create_app
from server.services import services_of
from server.settings import Settings
from tests.fakes import FakeEmbedder

Client = TestClient[Any]
PASSWORD = "correct horse battery"
EVIL = {"Origin": "https://evil.example"}
TOKEN = {"Authorization": "Bearer admin-secret"}
PREFLIGHT = {**EVIL, "Access-Control-Request-Method": "GET"}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    settings = Settings(data_dir=tmp_path, admin_token="admin-secret")
    with TestClient(
        create_app(settings, embedder=FakeEmbedder()), base_url="https://testserver.local"
    ) as client:
        services_of(client.app).users.create("lead@example.com", PASSWORD, "admin")
        yield client


def log_in(client: Client) -> None:
    token = re.search(r'name="_csrf_token" value="([^"]+)"', client.get("/admin/login").text)
    assert token
    form = {"email": "lead@example.com", "password": PASSWORD, "_csrf_token": token.group(1)}
    assert client.post("/admin/login", data=form, follow_redirects=False).status_code == 303


def test_every_dashboard_response_carries_the_strict_header_set(client: Client) -> None:
    responses = [
        client.get("/admin/login"),
        client.get("/admin/", follow_redirects=False),
        client.get("/admin/static/admin.css"),
        client.get("/admin/nope"),
    ]
    log_in(client)
    responses += [client.get(path) for path in ("/admin/", "/admin/gaps", "/admin/report")]
    for response in responses:
        where = f"{response.request.url.path} ({response.status_code})"
        csp = response.headers.get("content-security-policy", "")
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp, where
        assert "script-src" not in csp, where  # the dashboard runs no script at all
        assert response.headers.get("x-frame-options") == "DENY", where
        assert response.headers.get("x-content-type-options") == "nosniff", where
        assert response.headers.get("cache-control") == "no-store", where
        assert response.headers.get("referrer-policy") == "same-origin", where


def test_admin_paths_answer_no_cors_and_the_public_api_keeps_it(client: Client) -> None:
    log_in(client)
    admin = [
        client.get("/admin/", headers=EVIL),
        client.options("/admin/login", headers=PREFLIGHT),
        client.get("/api/v1/admin/overview", headers={**TOKEN, **EVIL}),
        client.options("/api/v1/admin/overview", headers=PREFLIGHT),
        client.get("/api/v1/admin/nope", headers={**TOKEN, **EVIL}),
    ]
    for response in admin:
        cors = [h for h in response.headers if h.lower().startswith("access-control-")]
        assert cors == [], f"{response.request.method} {response.request.url.path}: {cors}"
    overview = client.get("/api/v1/admin/overview", headers=TOKEN)
    assert overview.status_code == 200
    assert overview.headers.get("cache-control") == "no-store"
    assert overview.headers.get("x-content-type-options") == "nosniff"
    public = client.options(
        "/api/v1/ask", headers={**EVIL, "Access-Control-Request-Method": "POST"}
    )
    assert public.headers.get("access-control-allow-origin") == "*"
