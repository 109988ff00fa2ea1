"""A data dir that cannot be written, in a real `frontdesk serve`: read-only from the start
(a restart on a read-only volume) or full. Requests that must write answer 503 naming the
cause, it is logged once, `/readyz` says what is wrong, and the server recovers without a
restart once it can write again.

The data dir is a small tmpfs in a mount namespace of the server's own (`unshare -m`), so
that it can be made read-only, full and writable again under the running server.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Any

import httpx
import pytest

from ingest.embedding import SentenceTransformerEmbedder
from ingest.versions import EmbeddedVersions
from tests.conftest import cli_env, free_port, frontdesk, make_job, wait_for_port

PASSWORD = "correct horse battery"
numbers = count()


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    data: Path
    log: Path

    def inside(self, script: str) -> None:
        """A shell command in the server's mount namespace (where its data dir is)."""
        subprocess.run(
            ["nsenter", "-t", str(self.process.pid), "-m", "sh", "-c", script],
            check=True,
            capture_output=True,
        )

    def logged(self, pattern: str) -> list[str]:
        return re.findall(pattern, self.log.read_text(errors="replace"))


def start(tmp_path: Path, env: dict[str, str], data: Path, then: str) -> Server:
    """Serve with the data dir copied onto a 30 MB tmpfs of the server's own, after `then`."""
    seed = tmp_path / "seed"
    shutil.copytree(data, seed)
    port = free_port()
    script = (
        f"mount -t tmpfs -o size=30m tmpfs {data} && cp -a {seed}/. {data}/ && {then} && "
        f"exec {' '.join(frontdesk('serve', '--port', str(port)))}"
    )
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["unshare", "-m", "--propagation", "private", "sh", "-c", script],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    wait_for_port(port, process)
    return Server(f"http://127.0.0.1:{port}", process, data, log)


@pytest.fixture
def served(
    tmp_path: Path, small_kb: Path, real_embedder: SentenceTransformerEmbedder
) -> Iterator[Server]:
    """A server restarted on a read-only data dir that holds its index, database and user."""
    if shutil.which("unshare") is None or shutil.which("nsenter") is None:
        pytest.fail("util-linux's unshare and nsenter are missing")
    data = tmp_path / "data"
    make_job(small_kb, EmbeddedVersions(data, "frontdesk"), real_embedder).run()
    env = cli_env(data, small_kb, FRONTDESK_SECURE_COOKIES="false")
    create_user = ("admin", "create-user", "lead@example.com", "--role", "admin")
    subprocess.run(
        frontdesk(*create_user, "--password-stdin"),
        input=PASSWORD.encode(),
        env=env,
        check=True,
        capture_output=True,
    )
    port = free_port()  # the first run: it makes its secret key, migrates, opens the index
    first = subprocess.Popen(frontdesk("serve", "--port", str(port)), env=env)
    wait_for_port(port, first)
    assert httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=60).status_code == 200
    first.terminate()
    first.wait(timeout=30)
    server = start(tmp_path, env, data, f"mount -o remount,ro {data}")
    try:
        yield server
    finally:
        server.process.terminate()
        server.process.wait(timeout=30)


def events(server: Server) -> Any:
    number = next(numbers)
    item = {
        "type": "widget_opened",
        "id": f"storage-{number:06d}",
        "session_id": "s-storage",
        "visitor_id": "v-storage",
        "page_url": "/settings/billing",
        "ts": int(time.time() * 1000),
    }
    return httpx.post(f"{server.url}/api/v1/events", json={"site": "acme", "events": [item]})


def big_events(server: Server) -> Any:
    """A batch of 60 KB: questions of 900 characters."""
    common = {"session_id": "s-big", "visitor_id": "v-big", "page_url": "/settings/billing"}
    batch = [
        {"type": "question_asked", "id": f"big-{next(numbers):08d}", "ts": int(time.time() * 1000),
         "question": "x" * 900, "status": "no_answer", **common}
        for _ in range(60)
    ]  # fmt: skip
    return httpx.post(f"{server.url}/api/v1/events", json={"site": "acme", "events": batch})


def ticket(server: Server) -> Any:
    number = next(numbers)
    body = {
        "site": "acme",
        "email": "dana@example.com",
        "message": "Help",
        "session_id": f"s-{number}",
        "visitor_id": f"v-{number}",
    }
    return httpx.post(f"{server.url}/api/v1/tickets", json=body)


def log_in(server: Server) -> Any:
    with httpx.Client(base_url=server.url, timeout=30) as browser:
        page = browser.get("/admin/login")
        if page.status_code != 200:
            return page  # the login page reads the users: it may be the one that answers 503
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
        assert token
        form = {"email": "lead@example.com", "password": PASSWORD, "_csrf_token": token.group(1)}
        return browser.post("/admin/login", data=form)


def unavailable(response: Any, cause: str) -> bool:
    return (
        response.status_code == 503
        and response.headers["content-type"].startswith("application/problem+json")
        and cause in response.json()["detail"]
    )


def full(response: Any) -> bool:
    return unavailable(response, "full") or unavailable(response, "No space left on device")


def test_a_read_only_data_dir_answers_503_with_the_cause_and_recovers_without_a_restart(
    served: Server,
) -> None:
    ready = httpx.get(f"{served.url}/readyz")
    assert ready.status_code == 503
    checks = ready.json()["checks"]
    assert checks["data_dir"].startswith("Read-only file system"), checks
    assert "Read-only file system" in checks["database"], checks
    assert "Read-only file system" in checks["index"], checks  # not "no index yet"
    for _ in range(3):
        assert unavailable(events(served), "Read-only file system")
        assert unavailable(ticket(served), "Read-only file system")
        assert unavailable(log_in(served), "Read-only file system")
    causes = served.logged(r"storage unavailable: ([^;\n]+)")
    assert causes and len(causes) == len(set(causes)), causes  # each cause logged once
    assert not served.logged("unexpected error")

    served.inside(f"mount -o remount,rw {served.data}")  # write access is back
    assert events(served).json() == {"accepted": 1, "duplicates": 0}
    assert ticket(served).status_code == 201
    assert log_in(served).status_code == 303  # logged in
    ready = httpx.get(f"{served.url}/readyz")
    assert ready.status_code == 200, ready.text
    assert served.logged("storage writable again")


def test_a_full_data_dir_answers_503_with_the_cause_and_recovers_once_space_is_freed(
    served: Server,
) -> None:
    served.inside(f"mount -o remount,rw {served.data}")
    assert events(served).status_code == 200
    served.inside(f"dd if=/dev/zero of={served.data}/filler bs=1M count=40 2>/dev/null; true")
    answers = [big_events(served) for _ in range(40)]  # until the database outgrows its files
    refused = [a for a in answers if a.status_code != 200]
    assert refused, "the full disk took every write"
    assert all(full(a) for a in refused), refused[0].text
    assert full(ticket(served))
    checks = httpx.get(f"{served.url}/readyz").json()["checks"]
    assert checks["data_dir"].startswith("No space left on device"), checks
    assert not served.logged("unexpected error")

    served.inside(f"rm {served.data}/filler")
    assert events(served).json() == {"accepted": 1, "duplicates": 0}
    assert ticket(served).status_code == 201
    assert httpx.get(f"{served.url}/readyz").status_code == 200
