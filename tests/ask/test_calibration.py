"""The decision calibrated on the KB it serves: measured at ingest, kept with the version,
reported, and a conservative default where there is too little to measure."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from ingest.chunking import ChunkingOptions
from ingest.job import IngestJob
from ingest.store import IndexCollection
from ingest.versions import EmbeddedVersions
from server.ask.calibration import (
    MIN_ARTICLES,
    Calibration,
    calibrate,
    calibration_step,
    default_calibration,
    off_topic_questions,
)
from server.ask.knowledge import KnowledgeSnapshot
from server.ask.retrieval import Retriever
from tests.conftest import cli_env, frontdesk, write_article
from tests.fakes import FakeEmbedder


def test_confidence_is_the_share_of_unanswerable_leads_below() -> None:
    calibration = Calibration(tuple(np.linspace(0.0, 10.0, 101)), True)
    assert calibration.confidence(0.0) == 0.0
    assert calibration.confidence(5.0) == pytest.approx(0.5)
    assert calibration.confidence(9.0) == pytest.approx(0.9)
    assert calibration.confidence(99.0) == 1.0
    assert calibration.lead_for(0.9) == pytest.approx(9.0)


def test_a_calibration_survives_its_trip_through_the_index_metadata() -> None:
    calibration = Calibration(tuple(np.linspace(0.0, 3.0, 101)), True, 200, 30, 0.9, 0.8, 0.5, 1)
    assert Calibration.from_json(calibration.to_json()) == calibration
    assert Calibration.from_json(None) == default_calibration()


def test_a_kb_with_too_little_material_says_so_and_uses_the_conservative_default(
    tmp_path: Path,
) -> None:
    kb = tmp_path / "kb"
    for number in range(MIN_ARTICLES - 1):
        front = f"id: a{number}\ntitle: Topic {number}\nurl: /help/a{number}"
        write_article(kb, f"a{number}.md", front, "Some text.")
    embedder = FakeEmbedder()
    versions = EmbeddedVersions(tmp_path / "data", "frontdesk")
    IngestJob(kb, versions, embedder, ChunkingOptions()).run()
    client, index = versions.open(versions.read_pointer().current or "")
    snapshot = KnowledgeSnapshot.from_collection(index, None)
    versions.release(client)
    off_topic = np.asarray(embedder.embed(list(off_topic_questions())), dtype=np.float32)
    result = calibrate(snapshot, off_topic, Retriever(), 0.9)
    assert not result.calibrated and result.leads == default_calibration().leads
    assert "too little to measure" in result.report()


def test_a_new_version_is_calibrated_before_it_is_published_and_an_unchanged_one_is_not(
    small_kb: Path, tmp_path: Path
) -> None:
    calls: list[str] = []

    def count(index: IndexCollection) -> tuple[dict[str, object], str]:
        calls.append(index.name)
        return {"leads": [0.0, 1.0], "calibrated": True}, "measured"

    versions = EmbeddedVersions(tmp_path / "data", "frontdesk")
    job = IngestJob(small_kb, versions, FakeEmbedder(), ChunkingOptions(), calibrate=count)
    first = job.run()
    assert first.calibration == "measured" and len(calls) == 1
    again = job.run()
    assert not again.published and len(calls) == 1  # an unchanged re-ingest: nothing new
    client, index = versions.open(versions.read_pointer().current or "")
    assert index.calibration == {"leads": [0.0, 1.0], "calibrated": True}
    versions.release(client)


def test_ingest_and_check_report_the_calibration(tmp_path: Path) -> None:
    from tests.conftest import SAMPLE_KB

    env = cli_env(tmp_path / "data", SAMPLE_KB)
    ingest = subprocess.run(
        frontdesk("ingest"), env=env, capture_output=True, text=True, timeout=600
    )
    assert ingest.returncode == 0, ingest.stderr
    assert "answer threshold 0.90 (a lead of" in ingest.stdout
    assert "self-test precision" in ingest.stdout and "off-topic questions lead" in ingest.stdout
    check = subprocess.run(frontdesk("check"), env=env, capture_output=True, text=True, timeout=300)
    assert check.returncode == 0, check.stderr
    assert "current index: answer threshold 0.90" in check.stdout


def test_the_step_the_ingest_command_runs_embeds_only_the_off_topic_questions(
    small_kb: Path, tmp_path: Path
) -> None:
    embedder = FakeEmbedder()
    versions = EmbeddedVersions(tmp_path / "data", "frontdesk")
    step = calibration_step(embedder, Retriever(), 0.9)
    IngestJob(small_kb, versions, embedder, ChunkingOptions(), calibrate=step).run()
    assert embedder.calls[-1] == list(off_topic_questions())  # headings reuse stored vectors
