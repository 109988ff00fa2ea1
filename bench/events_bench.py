"""Event ingestion benchmark: sustained events/s (batches of 20) on SQLite and PostgreSQL.

Starts a real `frontdesk serve` (one process) per database, drives `POST /api/v1/events`
with wrk (bench/events.lua: every event id new, text/plain bodies like the widget's) at
concurrency 8 and 32, and checks afterwards that the database holds exactly the events
the server accepted. PostgreSQL comes from Debian's packages, started on loopback.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.serving import run_wrk, serve  # noqa: E402
from server.tables import events  # noqa: E402


def start_postgres(root: Path, port: int) -> str:
    pg = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))[-1].parent
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.STDOUT}
    subprocess.run(
        [
            *as_postgres,
            str(pg / "initdb"),
            "-D",
            str(root / "data"),
            "-A",
            "trust",
            "-U",
            "frontdesk",
        ],
        check=True,
        **quiet,
    )
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1"
    subprocess.run(
        [
            *as_postgres,
            str(pg / "pg_ctl"),
            "-D",
            str(root / "data"),
            "-o",
            options,
            "-l",
            str(root / "log"),
            "-w",
            "start",
        ],
        check=True,
        **quiet,
    )
    return f"postgresql://frontdesk@127.0.0.1:{port}/postgres"


def stop_postgres(root: Path) -> None:
    pg = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))[-1].parent
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run(
        [*as_postgres, str(pg / "pg_ctl"), "-D", str(root / "data"), "-m", "fast", "stop"],
        check=False,
        capture_output=True,
    )


def load(url: str, concurrency: int, seconds: float) -> dict[str, Any]:
    stats = run_wrk(url, ROOT / "bench/events.lua", concurrency, seconds)
    duration = stats["duration_us"] / 1e6
    return {
        "concurrency": concurrency,
        "batches": stats["requests"],
        "errors": stats["non_2xx"] + stats["socket_errors"],
        "non_2xx": stats["non_2xx"],
        "timeouts_over_2s": stats["timeouts"],
        "events_per_second": round(20 * stats["requests"] / duration, 1),
        "p50_ms": round(stats["p50_us"] / 1000, 2),
        "p99_ms": round(stats["p99_us"] / 1000, 2),
    }


def bench(name: str, data: Path, port: int, database_url: str, seconds: float) -> dict[str, Any]:
    process = serve(
        port,
        need_index=False,
        FRONTDESK_DATA_DIR=str(data),
        FRONTDESK_DATABASE_URL=database_url,
        FRONTDESK_PROMPTS_FILE=str(data / "none.yaml"),
        FRONTDESK_RATE_LIMITS_PER_VISITOR="{}",  # storage speed, not the limits
        FRONTDESK_RATE_LIMITS_PER_ADDRESS="{}",
        FRONTDESK_RATE_LIMITS_PER_SITE="{}",
    )
    try:
        url = f"http://127.0.0.1:{port}"
        runs = [load(url, c, seconds) for c in (8, 32)]
    finally:
        process.terminate()
        process.wait(timeout=30)
    engine_url = (
        database_url.replace("postgresql://", "postgresql+psycopg://")
        if database_url
        else f"sqlite:///{data / 'frontdesk.db'}"
    )
    engine = create_engine(engine_url)
    with engine.connect() as db:
        stored = db.execute(
            select(func.count()).select_from(events).where(events.c.site == "bench")
        ).scalar_one()
        if database_url:
            db.execute(text("SELECT 1"))
    engine.dispose()
    sent = sum(20 * r["batches"] for r in runs if r["errors"] == 0)
    result = {
        "database": name,
        "runs": runs,
        "stored_events": stored,
        "events_sent_in_2xx_batches": sent,
    }
    print(json.dumps(result), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/events.json")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="frontdesk-events-bench-") as tmp:
        results.append(bench("sqlite", Path(tmp) / "sqlite", args.port, "", args.seconds))
        pg_root = Path(tempfile.mkdtemp(prefix="frontdesk-events-bench-pg-"))
        try:
            url = start_postgres(pg_root, args.port + 1)
            results.append(bench("postgresql", Path(tmp) / "pg", args.port, url, args.seconds))
        finally:
            stop_postgres(pg_root)
            shutil.rmtree(pg_root, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
