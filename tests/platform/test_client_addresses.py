"""Whose address a request counts against, in a real `frontdesk serve` on loopback: the
connection's peer, unless that peer is a trusted proxy (`FRONTDESK_TRUSTED_PROXIES`); then
the client its `X-Forwarded-For` names."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.conftest import cli_env, free_port, frontdesk, wait_for_port

PASSWORD = "correct horse battery"


@contextmanager
def serving(tmp_path: Path, **settings: str) -> Iterator[str]:
    """`frontdesk serve` with one dashboard user and no index: its base URL."""
    env = cli_env(
        tmp_path / "data",
        tmp_path / "kb",
        FRONTDESK_SECURE_COOKIES="false",
        FRONTDESK_QUERY_MODEL_PROCESSES="0",
        **settings,
    )
    subprocess.run(
        frontdesk(
            "admin", "create-user", "lead@example.com", "--role", "admin", "--password-stdin"
        ),
        input=PASSWORD.encode(),
        env=env,
        check=True,
        capture_output=True,
    )
    port = free_port()
    with (tmp_path / "server.log").open("wb") as log:
        process = subprocess.Popen(
            frontdesk("serve", "--port", str(port)), env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def log_in(url: str, password: str, forwarded_for: str, email: str = "lead@example.com") -> int:
    """One login from a fresh browser that says (through `X-Forwarded-For`) who it is."""
    headers = {"X-Forwarded-For": forwarded_for}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as browser:
        page = browser.get("/admin/login")
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
        assert token, page.text
        form = {"email": email, "password": password, "_csrf_token": token.group(1)}
        return browser.post("/admin/login", data=form).status_code


def ticket(url: str, number: int, forwarded_for: str) -> int:
    body = {
        "site": "acme",
        "email": "dana@example.com",
        "message": "My invoice is wrong",
        "session_id": f"session-{number}",
        "visitor_id": f"visitor-{number}",  # a new visitor id every time
    }
    headers = {"X-Forwarded-For": forwarded_for}
    return httpx.post(f"{url}/api/v1/tickets", json=body, headers=headers, timeout=30).status_code


def test_without_trusted_proxies_a_forwarded_header_changes_no_address(tmp_path: Path) -> None:
    with serving(tmp_path, FRONTDESK_LOGIN_ATTEMPTS_PER_MINUTE="3") as url:
        logins = [
            log_in(url, "wrong password!!", f"203.0.113.{n}", f"nobody{n}@example.com")
            for n in range(4)
        ]
        assert logins == [401, 401, 401, 429]
        tickets = [ticket(url, n, f"198.51.100.{n}") for n in range(21)]
        assert tickets == [201] * 20 + [429]  # the address's ceiling, whatever the visitor id


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_limits(tmp_path: Path) -> None:
    with serving(
        tmp_path,
        FRONTDESK_TRUSTED_PROXIES='["127.0.0.0/8"]',
        FRONTDESK_LOGIN_ATTEMPTS_PER_MINUTE="3",
    ) as url:
        unknown = [log_in(url, "x" * 12, "203.0.113.7", f"n{n}@example.com") for n in range(4)]
        assert unknown == [401, 401, 401, 429]
        assert log_in(url, PASSWORD, "203.0.113.8") == 303  # another client: logged in
        # the proxy's own address in the header does not hide the client before it
        assert log_in(url, "x" * 12, "203.0.113.7, 127.0.0.1", "n9@example.com") == 429
