"""The `frontdesk` command as a docs writer runs it: real processes, the real model."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.conftest import SAMPLE_KB, cli_env, frontdesk, write_article


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)


def test_ingest_prints_a_summary_and_an_unchanged_rerun_embeds_nothing(
    small_kb: Path, tmp_path: Path
) -> None:
    env = cli_env(tmp_path / "data", small_kb)
    first = run(frontdesk("ingest"), env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith(
        f"ingested {small_kb}: 4 added, 0 changed, 0 removed, 0 unchanged, "
    )
    second = run(frontdesk("ingest", "--json"), env)
    report = json.loads(second.stdout)
    assert report["ok"] and report["unchanged"] == 4 and report["embedded"] == 0
    assert report["published"] is False and report["chunks"] > 4


def test_broken_knowledge_base_fails_with_every_path_and_line(
    small_kb: Path, tmp_path: Path
) -> None:
    write_article(small_kb, "x.md", "id: x\ntitle: X\nurl: /help/x\nsummary: no", "Body")
    write_article(small_kb, "y.md", "id: y\nurl: /help/y", "Body")
    result = run(frontdesk("ingest"), cli_env(tmp_path / "data", small_kb))
    assert result.returncode == 1
    assert f"{small_kb / 'x.md'}:5: unknown key 'summary'" in result.stderr
    assert f"{small_kb / 'y.md'}:1: missing required key 'title'" in result.stderr
    assert "nothing was written" in result.stderr
    assert not (tmp_path / "data" / "index" / "CURRENT").exists()


def test_check_exit_code_says_whether_the_knowledge_base_passed(
    small_kb: Path, tmp_path: Path
) -> None:
    env = cli_env(tmp_path / "data", small_kb)
    passed = run(frontdesk("check", "--kb", str(SAMPLE_KB)), env)
    assert passed.returncode == 0 and "check passed: 0 error(s)" in passed.stdout
    strict = run(frontdesk("check", "--kb", str(SAMPLE_KB), "--strict"), env)
    assert strict.returncode == 1  # the sample has articles without pages (warnings)
    kb = tmp_path / "kb2"
    write_article(kb, "z.md", "id: z\ntitle: Z\nurl: /help/z\npages: [/z]", "[x](/help/missing)")
    failed = run(frontdesk("check", "--json", "--kb", str(kb)), env)
    assert failed.returncode == 1
    assert json.loads(failed.stdout)["findings"] == [
        {
            "path": str(kb / "z.md"),
            "line": 7,
            "severity": "error",
            "message": "link to '/help/missing' points to no article",
        }
    ]
    assert not (tmp_path / "data").exists()


def test_bad_setting_names_the_variable(small_kb: Path, tmp_path: Path) -> None:
    env = cli_env(tmp_path / "data", small_kb, FRONTDESK_CHROMA_URL="localhost:8000")
    result = run(frontdesk("ingest"), env)
    assert result.returncode == 2
    assert (
        "FRONTDESK_CHROMA_URL='localhost:8000': Value error, must be empty or look like"
        in result.stderr
    )
