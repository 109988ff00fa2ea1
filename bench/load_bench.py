"""Widget traffic against one worker, two workers, and two workers on the scaled set-up.

The mix (`bench/widget_traffic.lua`): /ask with common and new questions, /prompts,
/events batches and a few /tickets. For each set-up, wrk runs at 8 and 32 connections
after a warm-up; the table gives requests per second (only runs with 0 errors count),
p50 and p99. The scaled set-up is PostgreSQL, Redis and a Chroma server on loopback.

    make bench-load          # = .venv/bin/python bench/load_bench.py
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.events_bench import start_postgres, stop_postgres  # noqa: E402
from bench.serving import BIN, run_wrk, serve  # noqa: E402

SCRIPT = ROOT / "bench/widget_traffic.lua"
GENEROUS = json.dumps(
    {"ask": "100000/minute", "events": "100000/minute", "tickets": "100000/minute"}
)


@contextmanager
def process(command: list[str], port: int, log: Path) -> Iterator[None]:
    with log.open("wb") as out:
        running = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.2)
    try:
        yield
    finally:
        running.terminate()
        running.wait(timeout=30)


@contextmanager
def scaled_stores(root: Path, port: int) -> Iterator[dict[str, str]]:
    """PostgreSQL, Redis and a Chroma server on loopback, and the sample KB ingested."""
    pg_root = Path(tempfile.mkdtemp(prefix="frontdesk-load-pg-"))
    try:
        database = start_postgres(pg_root, port)
        redis_port, chroma_port = port + 1, port + 2
        redis = [
            *("redis-server", "--bind", "127.0.0.1", "--port", str(redis_port)),
            *("--save", "", "--appendonly", "no"),
        ]
        chroma = [str(BIN / "chroma"), "run", "--path", str(root / "chroma")]
        chroma += ["--host", "127.0.0.1", "--port", str(chroma_port)]
        with (
            process(redis, redis_port, root / "redis.log"),
            process(chroma, chroma_port, root / "chroma.log"),
        ):
            env = {
                "FRONTDESK_DATABASE_URL": database,
                "FRONTDESK_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
                "FRONTDESK_CHROMA_URL": f"http://127.0.0.1:{chroma_port}",
            }
            ingest(root / "scaled-data", env)
            yield env
    finally:
        stop_postgres(pg_root)
        shutil.rmtree(pg_root, ignore_errors=True)


def ingest(data: Path, env: dict[str, str]) -> None:
    subprocess.run(
        [str(BIN / "frontdesk"), "ingest"],
        env={**os.environ, "FRONTDESK_DATA_DIR": str(data), **env},
        check=True,
        capture_output=True,
    )


def measure(name: str, port: int, workers: int, env: dict[str, str], seconds: float) -> Any:
    server = serve(
        port,
        workers=workers,
        FRONTDESK_RATE_LIMITS_PER_VISITOR=GENEROUS,
        FRONTDESK_RATE_LIMITS_PER_ADDRESS=GENEROUS,  # wrk is one address
        FRONTDESK_RATE_LIMITS_PER_SITE=GENEROUS,
        FRONTDESK_PROMPTS_FILE=str(ROOT / "prompts.yaml"),
        **env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        time.sleep(2 * workers)  # every worker loads the model before it answers
        run_wrk(url, SCRIPT, 8, 5)  # warm-up: caches, connections, the model's first calls
        runs = []
        for concurrency in (8, 32):
            stats = run_wrk(url, SCRIPT, concurrency, seconds)
            errors = stats["non_2xx"] + stats["socket_errors"]
            runs.append(
                {
                    "concurrency": concurrency,
                    "requests_per_s": round(stats["requests"] / (stats["duration_us"] / 1e6), 1),
                    "errors": errors,
                    "p50_ms": round(stats["p50_us"] / 1000, 1),
                    "p99_ms": round(stats["p99_us"] / 1000, 1),
                }
            )
    finally:
        server.terminate()
        server.wait(timeout=60)
    result = {"set_up": name, "workers": workers, "runs": runs}
    print(json.dumps(result), flush=True)
    return result


def table(results: list[Any]) -> str:
    lines = [
        "| set-up | connections | requests/s (0 errors) | p50 ms | p99 ms |",
        "| --- | --- | --- | --- | --- |",
    ]
    for result in results:
        for run in result["runs"]:
            rate = run["requests_per_s"] if run["errors"] == 0 else f"({run['errors']} errors)"
            lines.append(
                f"| {result['set_up']} | {run['concurrency']} | {rate} | "
                f"{run['p50_ms']} | {run['p99_ms']} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--port", type=int, default=8781)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/load.json")
    args = parser.parse_args()
    if shutil.which("wrk") is None or shutil.which("redis-server") is None:
        sys.exit("needs wrk and redis-server (apt-get install wrk redis-server)")
    results = []
    with tempfile.TemporaryDirectory(prefix="frontdesk-load-") as tmp:
        root = Path(tmp)
        local = {"FRONTDESK_DATA_DIR": str(root / "local")}
        ingest(root / "local", {})
        results.append(measure("1 worker, embedded", args.port, 1, local, args.seconds))
        results.append(measure("2 workers, embedded", args.port, 2, local, args.seconds))
        with scaled_stores(root, args.port + 10) as stores:
            scaled = {"FRONTDESK_DATA_DIR": str(root / "scaled-data"), **stores}
            results.append(
                measure(
                    "2 workers, PostgreSQL + Redis + Chroma server",
                    args.port,
                    2,
                    scaled,
                    args.seconds,
                )
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(table(results))


if __name__ == "__main__":
    main()
