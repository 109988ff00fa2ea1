"""All or nothing: a real ingest process killed with SIGKILL leaves the previous version."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from ingest.embedding import SentenceTransformerEmbedder
from ingest.live import LiveIndex
from ingest.versions import EmbeddedVersions
from tests.conftest import SAMPLE_KB, cli_env, frontdesk, make_job


def wait_for(condition: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.02)
    raise TimeoutError("condition not met")


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


@pytest.mark.parametrize("moment", ["version-created", "chunks-written"])
def test_killed_ingest_leaves_the_previous_complete_version(
    small_kb: Path,
    tmp_path: Path,
    real_embedder: SentenceTransformerEmbedder,
    moment: str,
) -> None:
    versions = EmbeddedVersions(tmp_path / "data", "frontdesk")
    make_job(small_kb, versions, real_embedder).run()
    before = versions.read_pointer()
    live = LiveIndex(versions, real_embedder.model_id)
    old = live.collection()
    assert old is not None
    old_hashes = old.article_hashes()
    live.close()
    shutil.copytree(small_kb, tmp_path / "kb-before")

    # The whole sample knowledge base: ~500 chunks, tens of seconds of embedding.
    shutil.rmtree(small_kb)
    shutil.copytree(SAMPLE_KB, small_kb)
    process = subprocess.Popen(
        frontdesk("ingest"),
        env=cli_env(tmp_path / "data", small_kb),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: len(versions.list_versions()) > 1, timeout=120)
        if moment == "chunks-written":  # the new version grows as embedded chunks land in it
            new = versions.root / max(versions.list_versions())
            wait_for(
                lambda: folder_size(new) > folder_size(versions.root / before.current) + 200_000,
                timeout=120,
            )
        assert process.poll() is None, "the ingest finished before it could be killed"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()

    assert versions.read_pointer() == before
    orphans = set(versions.list_versions()) - {before.current}
    assert len(orphans) == 1
    live = LiveIndex(versions, real_embedder.model_id)
    index = live.collection()
    assert index is not None and index.article_hashes() == old_hashes
    live.close()

    # The next run (here with nothing else to do) removes the unpublished version.
    shutil.rmtree(small_kb)
    shutil.copytree(tmp_path / "kb-before", small_kb)
    report = make_job(small_kb, versions, real_embedder).run()
    assert not report.published
    assert versions.list_versions() == [before.current]
