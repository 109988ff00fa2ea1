"""`frontdesk ingest --watch`: a save is searchable in seconds; a broken save changes nothing."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
from pathlib import Path
from typing import Any

from ingest.live import LiveIndex
from ingest.versions import EmbeddedVersions
from tests.conftest import cli_env, frontdesk


def read_lines(process: subprocess.Popen[str], lines: queue.Queue[str]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        lines.put(line)


def next_report(lines: queue.Queue[str], timeout: float = 120) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(lines.get(timeout=timeout))
    return report


def test_watch_reingests_on_save_and_keeps_the_last_good_index(
    small_kb: Path, tmp_path: Path
) -> None:
    versions = EmbeddedVersions(tmp_path / "data", "frontdesk")
    process = subprocess.Popen(
        frontdesk("ingest", "--watch", "--json"),
        env=cli_env(tmp_path / "data", small_kb),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=read_lines, args=(process, lines), daemon=True).start()
    try:
        first = next_report(lines)
        assert first["ok"] and len(first["added"]) == 4
        live = LiveIndex(versions, "sentence-transformers/all-MiniLM-L6-v2")
        assert live.collection() is not None

        slack = small_kb / "integrations/slack.md"
        slack.write_text(
            slack.read_text(encoding="utf-8")
            + "\n## Quiet hours\n\nAlerts pause from 22:00 to 07:00.\n",
            encoding="utf-8",
        )
        changed = next_report(lines)
        assert changed["ok"] and changed["changed"] == ["integrations-slack"]
        index = live.collection()
        assert index is not None and live.version == changed["version"]
        texts = [
            s.chunk.text for s in index.iter_chunks(where={"article_id": "integrations-slack"})
        ]
        assert "Alerts pause from 22:00 to 07:00." in texts

        good = versions.read_pointer()
        slack.write_text("---\nid: integrations-slack\ntitle: [oops\n---\nBody\n", encoding="utf-8")
        broken = next_report(lines)
        assert broken["ok"] is False and len(broken["errors"]) == 1
        assert broken["errors"][0].startswith(f"{slack}:3: invalid YAML: ")
        assert versions.read_pointer() == good
        live.close()
    finally:
        process.terminate()
        process.wait(timeout=30)
        assert process.stdout is not None
        process.stdout.close()
