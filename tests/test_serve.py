"""`frontdesk serve`: a real server process that follows new ingests without a restart."""

from __future__ import annotations

import subprocess
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
    assert after["index"]["chunks"] == chunks + 1


def test_unknown_path_is_problem_json(served: tuple[str, EmbeddedVersions]) -> None:
    url, _ = served
    response = httpx.get(f"{url}/nope")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 404
