"""What the benchmarks share: a real `frontdesk serve` process and a wrk run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

BIN = Path(sys.executable).parent


def serve(
    port: int, *, need_index: bool = True, workers: int = 1, **env: str
) -> subprocess.Popen[bytes]:
    """`frontdesk serve` on loopback with these FRONTDESK_* variables, once it answers."""
    process = subprocess.Popen(
        [str(BIN / "frontdesk"), "serve", "--port", str(port), "--workers", str(workers)],
        env={**os.environ, "FRONTDESK_LOG_LEVEL": "WARNING", **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            health = httpx.get(f"http://127.0.0.1:{port}/healthz").json()
            if health["index"] or not need_index:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise TimeoutError("the server did not start")


def run_wrk(url: str, script: Path, concurrency: int, seconds: float) -> dict[str, Any]:
    """wrk (C, up to two threads) with a Lua script whose `done` prints one JSON line."""
    command = [
        "wrk",
        f"-t{min(2, concurrency)}",
        f"-c{concurrency}",
        f"-d{int(seconds)}s",
        "-s",
        str(script),
        url,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    stats: dict[str, Any] = json.loads(
        next(line for line in output.splitlines() if line.startswith("{"))
    )
    return stats
