"""The scaled set-up for real: `frontdesk serve --workers 2` sharing PostgreSQL, Redis and
a Chroma server, all on loopback.

The tests run in order against one set-up: an ingest reaches both workers, a rate limit
holds across them, killing a worker under load loses nothing it accepted, and in all that
time no two processes ran a pass of the same scheduled job at once.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import SAMPLE_KB, cli_env, free_port, frontdesk, wait_for_port, write_article
from tests.receivers import HttpReceiver, http_receiver

ASK_LIMIT = 10


@dataclass
class Cluster:
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    kb: Path
    env: dict[str, str]
    database: str
    receiver: HttpReceiver

    def log_lines(self) -> list[dict[str, Any]]:
        lines = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def health(self) -> dict[str, Any]:
        # a new connection each time, so that either worker may accept it
        body: dict[str, Any] = httpx.get(f"{self.url}/healthz", timeout=10).json()
        return body

    def workers(self, attempts: int = 400) -> dict[int, dict[str, Any]]:
        """The health of each worker process, by pid, until two have answered."""
        seen: dict[int, dict[str, Any]] = {}
        for _ in range(attempts):
            health = self.health()
            seen[health["pid"]] = health
            if len(seen) >= 2:
                break
        return seen


def _until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory,
    postgres_server: str,
    redis_server: str,
    chroma_server: str,
) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("scaled")
    kb = root / "kb"
    for name in ("billing/update-payment-card.md", "account/reset-password.md"):
        (kb / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(SAMPLE_KB / name, kb / name)
    database = f"scaled_{os.getpid()}"
    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {database}")
    with http_receiver() as receiver:
        env = cli_env(
            root / "data",
            kb,
            FRONTDESK_DATABASE_URL=f"{postgres_server}/{database}",
            FRONTDESK_REDIS_URL=redis_server,
            FRONTDESK_CHROMA_URL=chroma_server,
            FRONTDESK_COLLECTION=f"scaled{os.getpid()}",
            FRONTDESK_WEBHOOK_URL=f"{receiver.url}/hooks",
            FRONTDESK_RATE_LIMITS_PER_VISITOR=json.dumps({"ask": f"{ASK_LIMIT}/minute"}),
            # every test client is this one address; the limits tested here are per visitor
            FRONTDESK_RATE_LIMITS_PER_ADDRESS="{}",
            FRONTDESK_RATE_LIMITS_PER_SITE="{}",
            FRONTDESK_LOG_FORMAT="json",
            FRONTDESK_LOG_LEVEL="DEBUG",
            FRONTDESK_DEMO="false",
        )
        subprocess.run(frontdesk("ingest"), env=env, check=True, capture_output=True)
        port = free_port()
        log = root / "serve.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                frontdesk("serve", "--workers", "2", "--port", str(port)),
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        found = Cluster(
            f"http://127.0.0.1:{port}",
            process,
            log,
            kb,
            env,
            f"{postgres_server}/{database}",
            receiver,
        )
        try:
            wait_for_port(port, process, timeout=120)
            _until(lambda: len(found.workers(50)) == 2, 120, "both workers answer")
            yield found
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)


def test_both_workers_share_one_index_and_follow_a_new_ingest(cluster: Cluster) -> None:
    before = cluster.workers()
    assert len(before) == 2
    assert len({h["index"]["version"] for h in before.values()}) == 1

    write_article(
        cluster.kb,
        "account/dark-mode.md",
        "id: dark-mode\ntitle: Use dark mode\nurl: /help/dark-mode",
        "## Turn on dark mode\n\nOpen your profile, choose Appearance and pick the dark theme.\n",
    )
    subprocess.run(frontdesk("ingest"), env=cluster.env, check=True, capture_output=True)
    published = cluster.health()["index"]["version"]

    def both_switched() -> bool:
        now = cluster.workers()
        return len(now) == 2 and all(h["index"]["version"] != before_version for h in now.values())

    before_version = next(iter(before.values()))["index"]["version"]
    _until(both_switched, 20, "both workers serve the new index version")
    assert {h["index"]["version"] for h in cluster.workers().values()} == {published}
    answer = httpx.post(
        f"{cluster.url}/api/v1/ask",
        json={"question": "How do I turn on dark mode?", "visitor_id": "dark-mode-reader"},
        timeout=30,
    ).json()
    assert answer["sources"][0]["article_id"] == "dark-mode"


def test_a_visitors_rate_limit_holds_across_workers(cluster: Cluster) -> None:
    ids = [f"limit-{n:03d}-{uuid.uuid4().hex[:8]}" for n in range(3 * ASK_LIMIT)]

    def ask(request_id: str) -> int:
        return httpx.post(
            f"{cluster.url}/api/v1/ask",
            json={"question": "How do I reset my password?", "visitor_id": "one-visitor"},
            headers={"X-Request-ID": request_id},
            timeout=30,
        ).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = Counter(pool.map(ask, ids))
    assert statuses == {200: ASK_LIMIT, 429: 2 * ASK_LIMIT}

    time.sleep(0.5)  # the access lines of the last responses
    served_by = {
        line["request_id"]: line["pid"]
        for line in cluster.log_lines()
        if line.get("logger") == "frontdesk.access" and line.get("request_id") in set(ids)
    }
    assert len(served_by) == len(ids)
    assert len(set(served_by.values())) == 2, "both workers took part"


def test_metrics_from_any_worker_sum_every_worker(cluster: Cluster) -> None:
    scraped = httpx.get(f"{cluster.url}/metrics", timeout=10).text
    refused = answered = 0.0
    for family in text_string_to_metric_families(scraped):
        for sample in family.samples:
            labels = sample.labels
            if sample.name == "frontdesk_requests_total" and labels.get("path") == "/api/v1/ask":
                refused += sample.value if labels.get("status_code") == "429" else 0
            if sample.name == "frontdesk_answers_total":
                answered += sample.value
    # the previous test's 429s and answers were spread over both workers
    assert refused == 2 * ASK_LIMIT
    assert answered >= ASK_LIMIT + 1
    assert "frontdesk_outbox_depth" in scraped


def test_killing_a_worker_under_load_loses_no_accepted_event_or_ticket(cluster: Cluster) -> None:
    accepted_events: list[str] = []
    accepted_tickets: list[str] = []
    stop = threading.Event()
    lock = threading.Lock()

    def post_until_accepted(path: str, body: dict[str, Any]) -> bool:
        # what the widget does: the same ids again until the server says it has them
        for _ in range(100):
            try:
                status = httpx.post(f"{cluster.url}{path}", json=body, timeout=10).status_code
            except httpx.HTTPError:
                status = 0
            if 200 <= status < 300:
                return True
            if 400 <= status < 500:
                raise AssertionError(f"{path} refused {body}: {status}")
            time.sleep(0.1)
        return False

    def visitor(number: int) -> None:
        sent = 0
        while not stop.is_set():
            batch_ids = [f"ev-{number}-{sent}-{k}-{uuid.uuid4().hex[:6]}" for k in range(5)]
            batch = {
                "site": "acme",
                "events": [
                    {
                        "type": "widget_opened",
                        "id": event_id,
                        "session_id": f"session-{number}",
                        "visitor_id": f"visitor-{number}",
                        "page_url": "/settings/billing",
                        "ts": int(time.time() * 1000),
                    }
                    for event_id in batch_ids
                ],
            }
            if post_until_accepted("/api/v1/events", batch):
                with lock:
                    accepted_events.extend(batch_ids)
            if sent % 5 == 0:
                ticket_id = f"tk-{number}-{sent}-{uuid.uuid4().hex[:8]}"
                ticket = {
                    "id": ticket_id,
                    "site": "acme",
                    "email": "dana@example.com",
                    "message": "My card was declined twice.",
                    "session_id": f"session-{number}",
                    "visitor_id": f"visitor-{number}",
                }
                if post_until_accepted("/api/v1/tickets", ticket):
                    with lock:
                        accepted_tickets.append(ticket_id)
            sent += 1

    victims = list(cluster.workers())
    with ThreadPoolExecutor(6) as pool:
        running = [pool.submit(visitor, n) for n in range(6)]
        time.sleep(2)
        os.kill(victims[0], signal.SIGKILL)
        time.sleep(4)
        stop.set()
        for future in running:
            future.result()

    assert len(accepted_events) > 100 and len(accepted_tickets) > 5
    with psycopg.connect(cluster.database) as db:
        stored_events = {row[0] for row in db.execute("SELECT id FROM events")}
        stored_tickets = {row[0] for row in db.execute("SELECT id FROM tickets")}
    assert set(accepted_events) <= stored_events
    assert set(accepted_tickets) <= stored_tickets

    def delivered() -> Counter[str]:
        return Counter(r.json()["ticket"]["id"] for r in cluster.receiver.requests)

    # a row claimed by the killed worker is taken over when its claim runs out (60 s)
    _until(lambda: set(accepted_tickets) <= set(delivered()), 90, "every ticket is delivered")
    repeated = [t for t, n in delivered().items() if n > 1]
    assert len(repeated) <= 1, "only a delivery in flight at the kill may be repeated"
    keys = {r.headers["Idempotency-Key"] for r in cluster.receiver.requests}
    assert len(keys) == len(delivered()), "a repeat carries the same Idempotency-Key"

    # the supervisor replaced the killed worker
    _until(
        lambda: (pids := set(cluster.workers())) and victims[0] not in pids and len(pids) == 2,
        120,
        "a new worker replaced the killed one",
    )


def test_no_two_processes_ran_a_pass_of_the_same_job_at_once(cluster: Cluster) -> None:
    passes = [line for line in cluster.log_lines() if line.get("message") == "job pass"]
    by_job: dict[str, list[dict[str, Any]]] = {}
    for line in passes:
        by_job.setdefault(line["job"], []).append(line)
    outbox = sorted(by_job.get("outbox", []), key=lambda p: p["started"])
    assert len(outbox) > 20
    assert len({p["pid"] for p in outbox}) >= 2, "the job moved on when its runner died"
    for runs in by_job.values():
        runs.sort(key=lambda p: p["started"])
        for before, after in itertools.pairwise(runs):
            assert after["started"] >= before["finished"], (before, after)


def test_sigterm_finishes_requests_in_flight_and_flushes_the_outbox(cluster: Cluster) -> None:
    """Last: it stops the set-up. Every ticket the server stored was answered 201 and
    delivered before the process exited; a request it dropped while closing was never
    stored, so the widget's retry files it elsewhere."""
    outcomes: dict[str, str] = {}
    stop = threading.Event()

    def client(number: int) -> None:
        sent = 0
        while not stop.is_set():
            ticket_id = f"bye-{number}-{sent}-{uuid.uuid4().hex[:8]}"
            sent += 1
            try:
                response = httpx.post(
                    f"{cluster.url}/api/v1/tickets",
                    json={
                        "id": ticket_id,
                        "site": "acme",
                        "email": "dana@example.com",
                        "message": "Please call me back.",
                        "session_id": f"session-bye-{number}",
                        "visitor_id": f"visitor-bye-{number}",
                    },
                    timeout=30,
                )
                outcomes[ticket_id] = str(response.status_code)
            except httpx.HTTPError as exc:
                outcomes[ticket_id] = type(exc).__name__

    with ThreadPoolExecutor(8) as pool:
        running = [pool.submit(client, n) for n in range(8)]
        time.sleep(1.5)
        cluster.process.send_signal(signal.SIGTERM)
        assert cluster.process.wait(timeout=60) == 0
        stop.set()
        for future in running:
            future.result()

    answered = {t for t, outcome in outcomes.items() if outcome == "201"}
    assert answered
    assert not [o for o in outcomes.values() if o.isdigit() and o != "201"], Counter(
        outcomes.values()
    )
    with psycopg.connect(cluster.database) as db:
        stored = {row[0] for row in db.execute("SELECT id FROM tickets WHERE id LIKE 'bye-%'")}
    assert stored == answered, Counter(outcomes[t] for t in stored ^ answered)
    delivered = {r.json()["ticket"]["id"] for r in cluster.receiver.requests}
    assert answered <= delivered
