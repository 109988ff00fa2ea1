"""`frontdesk serve`: a real server process that follows new ingests without a restart."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ingest.embedding import SentenceTransformerEmbedder
from ingest.versions import EmbeddedVersions
from tests.conftest import cli_env, free_port, frontdesk, make_job, wait_for_port, write_article


@pytest.fixture
def served(
    small_kb: Path, tmp_path: Path, real_embedder: SentenceTransformerEmbedder
) -> Iterator[tuple[str, EmbeddedVersions]]:
    versions = EmbeddedVersions(tmp_path / "data", "frontdesk")
    make_job(small_kb, versions, real_embedder).run()
    port = free_port()
    process = subprocess.Popen(
        frontdesk("serve", "--port", str(port)),
        env=cli_env(tmp_path / "data", small_kb),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}", versions
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_health_reports_the_live_index_and_follows_a_new_ingest(
    served: tuple[str, EmbeddedVersions],
    small_kb: Path,
    real_embedder: SentenceTransformerEmbedder,
) -> None:
    url, versions = served
    health = httpx.get(f"{url}/healthz").json()
    assert health["status"] == "ok"
    assert health["index"]["version"] == versions.read_pointer().current
    assert health["index"]["embedding_model"] == "sentence-transformers/all-MiniLM-L6-v2"
    chunks = health["index"]["chunks"]

    write_article(
        small_kb,
        "new.md",
        "id: dark-mode\ntitle: Dark mode\nurl: /help/dark-mode",
        "## Turn it on\n\nPick the dark theme in your profile.\n",
    )
    make_job(small_kb, versions, real_embedder).run()
    after = httpx.get(f"{url}/healthz").json()
    assert after["index"]["version"] == versions.read_pointer().current
    assert after["index"]["chunks"] == chunks + 2  # the section and its heading


def test_unknown_path_is_problem_json(served: tuple[str, EmbeddedVersions]) -> None:
    url, _ = served
    response = httpx.get(f"{url}/nope")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 404


def metric(text: str, name: str) -> float:
    """The value of one sample line of a Prometheus text page (0 when absent)."""
    for line in text.splitlines():
        if line.startswith(name + " ") or (line.startswith(name + "{") and "} " in line):
            sample, value = line.rsplit(" ", 1)
            if sample == name or sample.startswith(name + "{"):
                return float(value)
    return 0.0


def test_ready_and_metrics_follow_what_the_server_does(
    served: tuple[str, EmbeddedVersions],
    small_kb: Path,
    real_embedder: SentenceTransformerEmbedder,
) -> None:
    url, versions = served
    ready = httpx.get(f"{url}/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "checks": {"index": "ok", "data_dir": "ok", "database": "ok"},
    }

    answer = httpx.post(f"{url}/api/v1/ask", json={"question": "How do I reset my password?"})
    status = answer.json()["status"]
    event = {
        "type": "widget_opened",
        "id": "metrics-event-1",
        "session_id": "s",
        "visitor_id": "v",
        "page_url": "/x",
        "ts": int(time.time() * 1000),
    }
    for _ in range(2):  # the second time it is a duplicate
        httpx.post(f"{url}/api/v1/events", json={"site": "acme", "events": [event]})
    page = httpx.get(f"{url}/metrics")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/plain")
    text = page.text
    assert metric(text, f'frontdesk_answers_total{{status="{status}"}}') == 1
    assert metric(text, "frontdesk_events_ingested_total") == 1
    assert metric(text, "frontdesk_events_duplicate_total") == 1
    assert "\nfrontdesk_outbox_depth 0.0" in text
    ask_latency = [
        line
        for line in text.splitlines()
        if line.startswith("frontdesk_request_duration_seconds_bucket")
        and 'path="/api/v1/ask"' in line
    ]
    assert ask_latency, "no latency histogram for /api/v1/ask"

    switches = metric(text, "frontdesk_index_switches_total")
    write_article(
        small_kb, "metrics.md", "id: metrics\ntitle: Metrics\nurl: /help/metrics", "Text.\n"
    )
    make_job(small_kb, versions, real_embedder).run()
    httpx.get(f"{url}/healthz")  # the process notices the new version
    after = httpx.get(f"{url}/metrics").text
    assert metric(after, "frontdesk_index_switches_total") == switches + 1


def test_not_ready_without_an_index_and_says_why(tmp_path: Path) -> None:
    from litestar.testing import TestClient

    from server.app import create_app
    from server.settings import Settings
    from tests.fakes import FakeEmbedder

    app = create_app(Settings(data_dir=tmp_path), embedder=FakeEmbedder())
    with TestClient(app) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready" and body["checks"]["database"] == "ok"
    assert "frontdesk ingest" in body["checks"]["index"]
