"""Dashboard benchmark: page and API latency on a generated 1M-event history, per database.

For each database (SQLite in a fresh data dir, and a throwaway PostgreSQL on loopback, as
bench/events_bench.py starts it):

1. writes a realistic event history with bench/history.py (`--events` over `--days`);
2. indexes the sample knowledge base (`frontdesk ingest`), unless `--no-ingest`;
3. times `frontdesk admin rebuild` (recomputes the deflection log and every dashboard
   statistic from the events); while that command does not exist, only the deflection log
   is rebuilt, in process, and the report says so;
4. creates a viewer (`frontdesk admin create-user --password-stdin`), starts `frontdesk serve`
   and logs in to /admin/login like a browser (CSRF cookie and form field);
5. times `--repeat` sequential GETs (after 2 warm-ups) of every dashboard page (session
   cookie) and admin API endpoint (bearer token), each plain, with the last 30 days
   (`?start=&end=`) and with a page filter (`?page=/settings/billing*`).

Prints a Markdown table of the median and p90 per URL and database (medians of 500 ms or
more are marked) and writes everything to bench/results/dashboard.json. An endpoint that
answers 404 is reported as "missing".

    python bench/dashboard_bench.py [--events 1000000] [--days 120] \\
        [--databases sqlite,postgresql] [--repeat 15]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, func, select

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.events_bench import start_postgres, stop_postgres  # noqa: E402
from bench.history import generate  # noqa: E402
from bench.serving import BIN, serve  # noqa: E402
from server.platform.database import create_database_engine  # noqa: E402
from server.settings import Settings  # noqa: E402
from server.tables import events, job_state, metadata  # noqa: E402

TOKEN = "bench-token"
EMAIL = "bench@example.com"
PASSWORD = "bench-password-1234"
SLOW_MS = 500
WARMUPS = 2
HTML_PATHS = ("/admin/", "/admin/content", "/admin/gaps", "/admin/report")
API_PATHS = tuple(
    f"/api/v1/admin/{name}"
    for name in (
        "overview",
        "pages",
        "articles",
        "prompts",
        "questions",
        "gaps",
        "spikes",
        "savings",
        "alerts",
        "report",
    )
)
PAGE_FILTER = "/settings/billing*"
DERIVED_TABLES = (
    "deflections",
    "daily_counts",
    "gap_questions",
    "gap_clusters",
    "prompt_exposures",
    "alerts",
)


# -- running frontdesk ----------------------------------------------------------------------


def frontdesk_env(data: Path, database_url: str) -> dict[str, str]:
    """The FRONTDESK_* variables every command and the server get."""
    return {
        "FRONTDESK_DATA_DIR": str(data),
        "FRONTDESK_DATABASE_URL": database_url,
        "FRONTDESK_KB_DIR": str(ROOT / "kb_articles"),
        "FRONTDESK_ADMIN_TOKEN": TOKEN,
        "FRONTDESK_SECURE_COOKIES": "false",
        "FRONTDESK_DEMO": "false",
        "FRONTDESK_PROMPTS_FILE": str(ROOT / "prompts.yaml"),
    }


def frontdesk(
    env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `frontdesk ARGS`; the completed process (output captured, never raises)."""
    return subprocess.run(
        [str(BIN / "frontdesk"), *args],
        env={**os.environ, "FRONTDESK_LOG_LEVEL": "WARNING", **env},
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )


def checked(env: dict[str, str], *args: str, stdin: str | None = None) -> float:
    """Run a frontdesk command that must succeed; its duration in seconds."""
    started = time.perf_counter()
    done = frontdesk(env, *args, stdin=stdin)
    if done.returncode != 0:
        raise RuntimeError(f"frontdesk {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return round(time.perf_counter() - started, 1)


def has_rebuild_command(env: dict[str, str]) -> bool:
    usage = frontdesk(env, "admin", "--help").stdout
    return re.search(r"^\W*rebuild\b", usage, re.MULTILINE) is not None


def rebuild(env: dict[str, str], engine: Engine) -> dict[str, Any]:
    """`frontdesk admin rebuild`, timed; or, until it exists, the deflection log alone."""
    if has_rebuild_command(env):
        started = time.perf_counter()
        done = frontdesk(env, "admin", "rebuild")
        seconds = round(time.perf_counter() - started, 1)
        status = "ok" if done.returncode == 0 else f"failed (exit {done.returncode})"
        print(f"  frontdesk admin rebuild: {status} in {seconds} s", flush=True)
        output = (done.stdout + done.stderr).strip()
        return {
            "command": "frontdesk admin rebuild",
            "status": status,
            "seconds": seconds,
            "output": output[-2000:],
        }
    print(
        "  `frontdesk admin rebuild` does not exist yet: only the deflection log is rebuilt "
        "(in process); the dashboard statistics stay empty, so their timings mean little",
        flush=True,
    )
    return rebuild_deflections_only(engine)


def rebuild_deflections_only(engine: Engine) -> dict[str, Any]:
    """The stand-in: DeflectionLog.rebuild, then the job's watermark moved past every event
    so the server's first pass does not recompute the whole log while we measure."""
    from server.insights.deflection_log import JOB, DeflectionLog
    from server.platform.locks import release_lease, take_lease

    window_ms = int(Settings().deflection_window_hours * 3_600_000)
    started = time.perf_counter()
    rows = DeflectionLog(engine, window_ms).rebuild()
    seconds = round(time.perf_counter() - started, 1)
    with engine.connect() as db:
        newest = db.execute(select(func.max(events.c.received_at))).scalar_one() or 0
    now = int(time.time() * 1000)
    if take_lease(engine, JOB, "bench", now, 60_000) is not None:
        release_lease(engine, JOB, "bench", newest)
    print(f"  deflection log rebuilt: {rows} rows in {seconds} s", flush=True)
    return {
        "command": "DeflectionLog.rebuild (stand-in: frontdesk admin rebuild is missing)",
        "status": "missing",
        "seconds": seconds,
        "rows": rows,
    }


def derived_counts(engine: Engine) -> dict[str, Any]:
    """Rows in each statistics table, and the scheduled jobs' watermarks."""
    counts: dict[str, Any] = {}
    with engine.connect() as db:
        for name in DERIVED_TABLES:
            if name in metadata.tables:
                table = metadata.tables[name]
                counts[name] = db.execute(select(func.count()).select_from(table)).scalar_one()
        counts["job_state"] = {
            row.name: row.watermark for row in db.execute(select(job_state)).all()
        }
    return counts


# -- timing requests ------------------------------------------------------------------------


def login(base: str) -> httpx.Client:
    """A client with the dashboard's session cookie (the CSRF cookie comes with the form)."""
    client = httpx.Client(base_url=base, timeout=300, follow_redirects=False)
    form = client.get("/admin/login")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', form.text)
    data = {"email": EMAIL, "password": PASSWORD, "_csrf_token": token.group(1) if token else ""}
    answer = client.post("/admin/login", data=data)
    if answer.status_code != 303:
        print(f"  login failed: HTTP {answer.status_code}", flush=True)
    return client


def targets(end_day: str) -> list[tuple[str, str]]:
    """(html|api, path with query) for every endpoint, plain, last 30 days and page filter."""
    end = datetime.fromisoformat(end_day).date()
    start = end - timedelta(days=29)
    queries = ("", f"?start={start}&end={end}", f"?page={PAGE_FILTER}")
    return [
        (kind, path + query)
        for kind, paths in (("html", HTML_PATHS), ("api", API_PATHS))
        for path in paths
        for query in queries
    ]


def measure(client: httpx.Client, path: str, repeat: int) -> dict[str, Any]:
    """Warm-ups, then `repeat` timed GETs: the median and p90 in ms, or what went wrong."""
    try:
        return timed(client, path, repeat)
    except httpx.HTTPError as exc:
        return {"status": f"error: {type(exc).__name__}"}


def timed(client: httpx.Client, path: str, repeat: int) -> dict[str, Any]:
    for _ in range(WARMUPS):
        first = client.get(path)
        if first.status_code == 404:
            return {"status": "missing"}
        if first.status_code != 200:
            return {"status": f"HTTP {first.status_code}", "body": first.text[:300]}
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200:
            return {"status": f"HTTP {answer.status_code}", "body": answer.text[:300]}
    ordered = sorted(times)
    return {
        "status": "ok",
        "median_ms": round(statistics.median(ordered), 1),
        "p90_ms": round(ordered[math.ceil(0.9 * len(ordered)) - 1], 1),
        "bytes": len(answer.content),
    }


def measure_all(port: int, end_day: str, repeat: int) -> dict[str, dict[str, Any]]:
    base = f"http://127.0.0.1:{port}"
    session = login(base)
    bearer = httpx.Client(base_url=base, timeout=300, headers={"Authorization": f"Bearer {TOKEN}"})
    results = {}
    try:
        for kind, path in targets(end_day):
            result = measure(session if kind == "html" else bearer, path, repeat)
            results[path] = result
            shown = result.get("median_ms", result["status"])
            print(f"  {path}: {shown}", flush=True)
    finally:
        session.close()
        bearer.close()
    return results


# -- one database -------------------------------------------------------------------------


def bench_database(
    name: str, data: Path, database_url: str, args: argparse.Namespace, end_ms: int
) -> dict[str, Any]:
    print(f"{name}: generating {args.events:,} events over {args.days} days", flush=True)
    env = frontdesk_env(data, database_url)
    engine = create_database_engine(Settings(data_dir=data, database_url=database_url))
    try:
        history = generate(engine, args.events, args.days, args.seed, end_ms)
        print(f"  generated in {history['seconds']} s", flush=True)
        ingest_s = None if args.no_ingest else checked(env, "ingest")
        if ingest_s is not None:
            print(f"  frontdesk ingest (the sample KB): {ingest_s} s", flush=True)
        rebuilt = rebuild(env, engine)
        derived = derived_counts(engine)
    finally:
        engine.dispose()
    user = ("admin", "create-user", EMAIL, "--role", "viewer", "--password-stdin")
    checked(env, *user, stdin=PASSWORD + "\n")
    started = time.perf_counter()
    process = serve(args.port, need_index=not args.no_ingest, **env)
    startup_s = round(time.perf_counter() - started, 1)
    try:
        timings = measure_all(args.port, history["to"][:10], args.repeat)
    finally:
        process.terminate()
        process.wait(timeout=60)
    return {
        "database": name,
        "history": history,
        "ingest_seconds": ingest_s,
        "rebuild": rebuilt,
        "derived_rows": derived,
        "server_start_seconds": startup_s,
        "timings": timings,
    }


def bench_sqlite(tmp: Path, args: argparse.Namespace, end_ms: int) -> dict[str, Any]:
    return bench_database("sqlite", tmp / "sqlite", "", args, end_ms)


def bench_postgresql(tmp: Path, args: argparse.Namespace, end_ms: int) -> dict[str, Any]:
    pg_root = Path(tempfile.mkdtemp(prefix="frontdesk-dashboard-bench-pg-"))
    try:
        url = start_postgres(pg_root, args.port + 1)
        return bench_database("postgresql", tmp / "postgresql", url, args, end_ms)
    finally:
        stop_postgres(pg_root)
        shutil.rmtree(pg_root, ignore_errors=True)


# -- the report -----------------------------------------------------------------------------


def cell(result: dict[str, Any] | None, key: str) -> str:
    if result is None:
        return ""
    if result["status"] != "ok":
        return str(result["status"])
    value = result[key]
    return f"**{value:.0f}** ⚠" if key == "median_ms" and value >= SLOW_MS else f"{value:.0f}"


def markdown(results: list[dict[str, Any]]) -> str:
    header = ["URL"]
    for r in results:
        header += [f"{r['database']} median ms", f"{r['database']} p90 ms"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for path in results[0]["timings"]:
        row = [f"`{path}`"]
        for r in results:
            row += [
                cell(r["timings"].get(path), "median_ms"),
                cell(r["timings"].get(path), "p90_ms"),
            ]
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    for r in results:
        rebuilt = r["rebuild"]
        lines.append(
            f"- {r['database']}: {r['history']['events']:,} events generated in "
            f"{r['history']['seconds']} s; {rebuilt['command']}: {rebuilt['status']} in "
            f"{rebuilt['seconds']} s; server up in {r['server_start_seconds']} s"
        )
    lines.append(f'- ⚠: median of {SLOW_MS} ms or more; "missing": the endpoint answered 404')
    return "\n".join(lines)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--port", type=int, default=8771)
    parser.add_argument("--no-ingest", action="store_true", help="serve without a KB index")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/dashboard.json")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat: at least 1")
    unknown = set(args.databases.split(",")) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"--databases: unknown {', '.join(sorted(unknown))}")
    return args


def main() -> None:
    args = parse_args()
    end_ms = int(time.time() * 1000)  # the same history for every database
    runners = {"sqlite": bench_sqlite, "postgresql": bench_postgresql}
    results = []
    with tempfile.TemporaryDirectory(prefix="frontdesk-dashboard-bench-") as tmp:
        for name in args.databases.split(","):
            results.append(runners[name](Path(tmp), args, end_ms))
    table = markdown(results)
    print()
    print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "cpus": os.cpu_count(),
                "arguments": {k: str(v) for k, v in vars(args).items()},
                "results": results,
                "table": table,
            },
            indent=2,
        )
    )
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
