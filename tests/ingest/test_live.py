"""LiveIndex: a reader that follows the pointer, and tries again when opening a version fails."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from ingest.live import LiveIndex
from ingest.store import IndexCollection
from ingest.versions import EmbeddedVersions
from tests.conftest import make_job
from tests.fakes import FakeEmbedder


class FailingOnce(EmbeddedVersions):
    """Versions whose first open fails, as on a data dir that is read-only for a moment."""

    failures = 1

    def open(self, version: str, model_id: str | None = None) -> tuple[Any, IndexCollection]:
        if self.failures:
            self.failures -= 1
            raise OSError("attempt to write a readonly database")
        return super().open(version, model_id)


def test_a_version_that_failed_to_open_is_opened_on_the_next_refresh(
    small_kb: Path, tmp_path: Path
) -> None:
    embedder = FakeEmbedder()
    make_job(small_kb, EmbeddedVersions(tmp_path / "data", "frontdesk"), embedder).run()
    live = LiveIndex(FailingOnce(tmp_path / "data", "frontdesk"), embedder.model_id)
    with contextlib.suppress(OSError):
        live.refresh(force=True)
    assert live.version is None
    assert live.refresh(force=True) and live.collection() is not None
    live.close()


def test_without_force_a_failed_open_is_retried_once_the_interval_passed(
    small_kb: Path, tmp_path: Path
) -> None:
    embedder = FakeEmbedder()
    make_job(small_kb, EmbeddedVersions(tmp_path / "data", "frontdesk"), embedder).run()
    live = LiveIndex(FailingOnce(tmp_path / "data", "frontdesk"), embedder.model_id, 0.0)
    with contextlib.suppress(OSError):
        live.collection()
    assert live.collection() is not None  # the pointer was not taken as seen
    live.close()
