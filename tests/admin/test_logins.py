"""Failed logins slow an account down (a backoff that doubles, at most a minute), on top of
the per-address limit; the right password always gets in once the wait is over."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from server.admin.logins import MAX_WAIT_SECONDS, FailedLogins
from server.app import create_app
from server.platform.database import create_database_engine, migrate
from server.services import services_of
from server.settings import Settings
from tests.fakes import FakeEmbedder

Client = TestClient[Any]
PASSWORD = "correct horse battery"
WRONG = "wrong password!!"


@pytest.fixture
def client(tmp_path: Path, database_url: str) -> Iterator[Client]:
    settings = Settings(data_dir=tmp_path, database_url=database_url, login_attempts_per_minute=100)
    with TestClient(
        create_app(settings, embedder=FakeEmbedder()), base_url="https://testserver.local"
    ) as client:
        services_of(client.app).users.create("lead@example.com", PASSWORD, "admin")
        yield client


def log_in(client: Client, password: str = PASSWORD, email: str = "Lead@Example.com ") -> Any:
    token = re.search(r'name="_csrf_token" value="([^"]+)"', client.get("/admin/login").text)
    assert token
    form = {"email": email, "password": password, "_csrf_token": token.group(1)}
    return client.post("/admin/login", data=form, follow_redirects=False)


def test_failed_logins_slow_the_account_down_and_the_right_password_still_gets_in(
    client: Client,
) -> None:
    assert [log_in(client, WRONG).status_code for _ in range(5)] == [401] * 5
    refused = log_in(client)  # the right password, but too soon after five failures
    assert refused.status_code == 429, refused.text
    assert refused.headers["retry-after"] == "1" and "try again in 1 s" in refused.text
    assert log_in(client, WRONG, "lead@example.com").status_code == 429  # waits, not counted
    time.sleep(1.1)
    assert log_in(client).status_code == 303
    assert log_in(client, WRONG).status_code == 401  # the count starts again


def test_the_wait_doubles_after_five_failures_and_never_exceeds_a_minute(
    tmp_path: Path, database_url: str
) -> None:
    engine = create_database_engine(Settings(data_dir=tmp_path, database_url=database_url))
    migrate(engine)
    failed = FailedLogins(engine)
    now = 1_800_000_000_000
    waits = []
    for _ in range(12):
        failed.record("lead@example.com", now)
        waits.append(failed.wait_seconds("lead@example.com", now))
    assert waits == [0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60]
    assert MAX_WAIT_SECONDS == 60
    assert failed.wait_seconds("lead@example.com", now + 30_500) == 30
    assert failed.wait_seconds("lead@example.com", now + 60_000) == 0  # never locked for good
    assert failed.wait_seconds("someone-else@example.com", now) == 0
    failed.clear("lead@example.com")
    assert failed.wait_seconds("lead@example.com", now) == 0
    engine.dispose()
