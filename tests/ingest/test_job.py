"""The ingest job, in both Chroma modes (embedded and a real Chroma server)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest import store
from ingest.errors import (
    IngestLockedError,
    KnowledgeBaseError,
    ModelMismatchError,
    SchemaMismatchError,
)
from ingest.job import Progress
from ingest.live import LiveIndex
from ingest.versions import EmbeddedVersions, IndexVersions
from tests.conftest import make_job, write_article
from tests.fakes import FakeEmbedder


def index_texts(versions: IndexVersions, article_id: str) -> list[str]:
    pointer = versions.read_pointer()
    assert pointer.current is not None
    client, index = versions.open(pointer.current)
    try:
        return [s.chunk.text for s in index.iter_chunks(where={"article_id": article_id})]
    finally:
        versions.release(client)


def test_first_ingest_indexes_every_article(
    small_kb: Path, versions: IndexVersions, fake_embedder: FakeEmbedder
) -> None:
    report = make_job(small_kb, versions, fake_embedder).run()
    assert sorted(report.added) == [
        "account-reset-password",
        "billing-download-invoices",
        "billing-update-payment-card",
        "integrations-slack",
    ]
    assert report.published and report.chunks == report.embedded > 4
    card = " ".join(index_texts(versions, "billing-update-payment-card"))
    assert "Payment method" in card


def test_unchanged_knowledge_base_is_not_reembedded(
    small_kb: Path, versions: IndexVersions, fake_embedder: FakeEmbedder
) -> None:
    make_job(small_kb, versions, fake_embedder).run()
    before = versions.read_pointer()
    rerun = FakeEmbedder()
    report = make_job(small_kb, versions, rerun).run()
    assert rerun.calls == []
    assert report.unchanged == 4 and not report.published
    assert versions.read_pointer() == before


def test_changed_article_is_replaced_and_only_changed_text_is_embedded(
    small_kb: Path, versions: IndexVersions, fake_embedder: FakeEmbedder
) -> None:
    make_job(small_kb, versions, fake_embedder).run()
    path = small_kb / "integrations/slack.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text + "\n## Quiet hours\n\nSlack alerts pause between 22:00 and 07:00.\n", encoding="utf-8"
    )
    rerun = FakeEmbedder()
    report = make_job(small_kb, versions, rerun).run()
    assert report.changed == ["integrations-slack"] and report.unchanged == 3
    assert rerun.embedded_texts == [
        "Connect Tasklane to Slack > Quiet hours\nSlack alerts pause between 22:00 and 07:00.",
        "Connect Tasklane to Slack. Quiet hours",  # the new section's heading
    ]
    assert any("22:00" in t for t in index_texts(versions, "integrations-slack"))


def test_removed_article_is_deleted(
    small_kb: Path, versions: IndexVersions, fake_embedder: FakeEmbedder
) -> None:
    make_job(small_kb, versions, fake_embedder).run()
    (small_kb / "integrations/slack.md").unlink()
    report = make_job(small_kb, versions, fake_embedder).run()
    assert report.removed == ["integrations-slack"]
    assert index_texts(versions, "integrations-slack") == []


def test_broken_file_writes_nothing_and_previous_index_keeps_serving(
    small_kb: Path, versions: IndexVersions, fake_embedder: FakeEmbedder
) -> None:
    make_job(small_kb, versions, fake_embedder).run()
    before = versions.read_pointer()
    listed = versions.list_versions()
    write_article(small_kb, "broken.md", "id: broken\ntitle: [unclosed", "Body.")
    (small_kb / "integrations/slack.md").write_text("no front matter", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError) as caught:
        make_job(small_kb, versions, fake_embedder).run()
    messages = [str(f) for f in caught.value.findings]
    assert len(messages) == 2  # every error, not only the first
    assert messages[0].startswith(f"{small_kb / 'broken.md'}:3: invalid YAML")
    assert messages[1].startswith(f"{small_kb / 'integrations/slack.md'}:1: missing front matter")
    assert versions.read_pointer() == before and versions.list_versions() == listed
    assert index_texts(versions, "integrations-slack")


def test_index_built_with_another_model_is_refused(
    small_kb: Path, versions: IndexVersions, fake_embedder: FakeEmbedder
) -> None:
    make_job(small_kb, versions, fake_embedder).run()
    other = FakeEmbedder(model_id="fake/other-model")
    with pytest.raises(ModelMismatchError, match="--rebuild"):
        make_job(small_kb, versions, other).run()
    live = LiveIndex(versions, "fake/other-model")
    with pytest.raises(ModelMismatchError):
        live.collection()
    report = make_job(small_kb, versions, other).run(rebuild=True)
    assert report.published and len(report.added) == 4
    assert LiveIndex(versions, "fake/other-model").collection() is not None


def test_index_of_an_older_chunk_layout_is_rebuilt_whole(
    small_kb: Path,
    versions: IndexVersions,
    fake_embedder: FakeEmbedder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(store, "SCHEMA_VERSION", store.SCHEMA_VERSION - 1)
    make_job(small_kb, versions, fake_embedder).run()
    monkeypatch.undo()
    with pytest.raises(SchemaMismatchError, match="--rebuild"):
        LiveIndex(versions, fake_embedder.model_id).collection()
    report = make_job(small_kb, versions, FakeEmbedder()).run()
    assert report.published and len(report.added) == 4
    assert LiveIndex(versions, fake_embedder.model_id).collection() is not None


def test_unpublished_version_of_a_killed_run_is_cleaned_up(
    small_kb: Path, versions: IndexVersions, fake_embedder: FakeEmbedder
) -> None:
    make_job(small_kb, versions, fake_embedder).run()
    current = versions.read_pointer().current
    orphan = versions.create(current)  # what a run killed before publishing leaves
    (small_kb / "account/reset-password.md").unlink()
    make_job(small_kb, versions, fake_embedder).run()
    assert orphan not in versions.list_versions()
    pointer = versions.read_pointer()
    assert set(versions.list_versions()) == {pointer.current, pointer.previous}


def test_second_ingest_at_the_same_time_fails_clearly(
    small_kb: Path, tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    from ingest.versions import index_versions

    versions = index_versions(tmp_path / "data", "frontdesk")
    with versions.lock(), pytest.raises(IngestLockedError, match="another ingest is running"):
        make_job(small_kb, versions, fake_embedder).run()


def test_reader_switches_to_a_new_version_while_it_has_the_old_one_open(
    small_kb: Path, versions: IndexVersions, fake_embedder: FakeEmbedder
) -> None:
    make_job(small_kb, versions, fake_embedder).run()
    live = LiveIndex(versions, fake_embedder.model_id, min_check_interval=0)
    first = live.collection()
    assert first is not None and live.version == versions.read_pointer().current
    write_article(
        small_kb,
        "new.md",
        "id: new-article\ntitle: Dark mode\nurl: /help/dark-mode",
        "## Turn it on\n\nOpen **Settings → Profile** and pick the dark theme.\n",
    )
    make_job(small_kb, versions, fake_embedder).run()
    second = live.collection()
    assert second is not None and live.version == versions.read_pointer().current
    query = fake_embedder.embed(["Dark mode Turn it on dark theme"])[0]
    best, _score = second.query(query, limit=1)[0]
    assert best.chunk.article_id == "new-article"
    live.close()


class RecordingProgress(Progress):
    def __init__(self) -> None:
        self.events: list[tuple[str, int]] = []

    def start(self, total: int) -> None:
        self.events.append(("start", total))

    def advance(self, count: int) -> None:
        self.events.append(("advance", count))

    def finish(self) -> None:
        self.events.append(("finish", 0))


def test_progress_is_told_about_every_embedded_chunk(
    small_kb: Path, tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    progress = RecordingProgress()
    job = make_job(small_kb, EmbeddedVersions(tmp_path / "data", "frontdesk"), fake_embedder)
    job.progress = progress
    report = job.run()
    assert progress.events[0] == ("start", report.embedded)
    assert sum(n for kind, n in progress.events if kind == "advance") == report.embedded
    assert progress.events[-1] == ("finish", 0)
