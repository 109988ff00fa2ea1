"""Queue benchmark: the queue's pages and API on 90 days of a generated helpdesk history.

For each database (SQLite in a fresh data dir, and a throwaway PostgreSQL on loopback, as
bench/events_bench.py starts it):

1. generates `--tickets` helpdesk tickets over `--days` days ending now (a weekday rhythm;
   priorities, categories, first replies, assignments, solves and a few reopenings), a
   third of them handed off by Frontdesk from one of a few pages (their Frontdesk tickets
   are written first, and the pages made known to the dashboard's filter);
2. replays their events, oldest first, through the helpdesk store (`HelpdeskStore.apply`,
   what `POST /api/v1/helpdesk/events` runs after the signature check), 500 a batch;
3. creates a viewer, starts `frontdesk serve` and logs in to /admin/login like a browser;
4. times `--repeat` sequential GETs (after 2 warm-ups) of the queue page and every queue
   endpoint (and the pages that now read the queue: the overview's backlog projection,
   savings, the weekly report), each with the default range (28 days), the whole 90 days,
   and the default range with a page filter.

Prints a Markdown table of the median and p90 per URL and database (medians of 500 ms or
more are marked) and writes everything to bench/results/helpdesk.json.

    python bench/helpdesk_bench.py [--tickets 50000] [--days 90] \\
        [--databases sqlite,postgresql] [--repeat 15]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.dashboard_bench import (  # noqa: E402
    EMAIL,
    PASSWORD,
    SLOW_MS,
    TOKEN,
    checked,
    frontdesk_env,
    login,
    measure,
)
from bench.events_bench import start_postgres, stop_postgres  # noqa: E402
from bench.serving import serve  # noqa: E402
from server.helpdesk.schema import HelpdeskEvent  # noqa: E402
from server.helpdesk.store import HelpdeskStore  # noqa: E402
from server.platform.database import create_database_engine, migrate  # noqa: E402
from server.platform.days import DAY_MS, day_of  # noqa: E402
from server.settings import Settings  # noqa: E402
from server.tables import daily_counts, helpdesk_events, helpdesk_tickets, tickets  # noqa: E402

HOUR = 3_600_000
PAGES = ("/settings/billing", "/settings/billing/invoices", "/projects/:id", "/integrations")
CATEGORIES = ("billing", "account", "integrations", "data", "other")
PRIORITIES = (("critical", 0.03), ("high", 0.17), ("medium", 0.5), ("low", 0.3))
PAGE_FILTER = "/settings/billing*"
BATCH = 500
HTML_PATHS = ("/admin/queue", "/admin/", "/admin/report")
API_PATHS = (
    "/api/v1/admin/queue",
    "/api/v1/admin/queue?format=csv",
    "/api/v1/admin/queue/times",
    "/api/v1/admin/queue/sla",
    "/api/v1/admin/savings",
)


def _priority(rng: random.Random) -> str:
    roll, total = rng.random(), 0.0
    for name, share in PRIORITIES:
        total += share
        if roll < total:
            return name
    return "low"


def generate(
    engine: Engine, count: int, days: int, seed: int, end_ms: int
) -> tuple[list[HelpdeskEvent], dict[str, Any]]:
    """The tickets' events, oldest first; Frontdesk's own tickets are written here."""
    rng = random.Random(seed)
    start = end_ms - days * DAY_MS
    weights = [1.0 if (day_of(start) + d + 3) % 7 < 5 else 0.35 for d in range(days)]
    per_day = [int(count * w / sum(weights)) for w in weights]
    for day in range(count - sum(per_day)):  # exactly `count` tickets
        per_day[day % days] += 1
    found: list[HelpdeskEvent] = []
    handed_off: list[dict[str, Any]] = []
    number = 0
    for day, n in enumerate(per_day):
        for _ in range(n):
            number += 1
            key = f"Z{number}"
            created = start + day * DAY_MS + int(rng.random() * DAY_MS)
            priority, category = _priority(rng), rng.choice(CATEGORIES)
            external = None
            if rng.random() < 1 / 3:
                external = f"fd-{number:08d}"
                page = rng.choice(PAGES)
                handed_off.append(
                    {
                        "id": external,
                        "site": "acme",
                        "session_id": f"s-{number}",
                        "visitor_id": f"v-{number}",
                        "email": "user@example.com",
                        "name": None,
                        "message": "Help",
                        "page_url": f"https://app.example.com{page.replace(':id', '42')}",
                        "user_id": None,
                        "user_verified": False,
                        "category": category,
                        "priority": priority,
                        "context": {"page": {"route": page}},
                        "created_at": created - 60_000,
                    }
                )
            found.append(
                HelpdeskEvent(
                    f"{key}-created",
                    key,
                    "created",
                    created,
                    external_id=external,
                    status="new",
                    priority=priority,  # type: ignore[arg-type]
                    category=category,
                )
            )
            pace = {"critical": 0.5, "high": 2, "medium": 6, "low": 16}[priority]
            at = created + int(rng.expovariate(1 / pace) * HOUR)
            if rng.random() < 0.8:
                found.append(HelpdeskEvent(f"{key}-assigned", key, "assigned", at, assignee="kim"))
            if at < end_ms and rng.random() < 0.93:
                found.append(
                    HelpdeskEvent(f"{key}-reply", key, "agent_replied", at, body="Try this.")
                )
                solved = at + int(rng.expovariate(1 / (pace * 4)) * HOUR)
                if solved < end_ms and rng.random() < 0.9:
                    found.append(
                        HelpdeskEvent(
                            f"{key}-solved", key, "status_changed", solved, status="solved"
                        )
                    )
                    if rng.random() < 0.05 and solved + 2 * HOUR < end_ms:
                        found.append(
                            HelpdeskEvent(
                                f"{key}-reopened",
                                key,
                                "status_changed",
                                solved + HOUR,
                                status="open",
                            )
                        )
                        found.append(
                            HelpdeskEvent(
                                f"{key}-solved2",
                                key,
                                "status_changed",
                                solved + 2 * HOUR,
                                status="solved",
                            )
                        )
    with engine.begin() as db:
        for first in range(0, len(handed_off), 2000):
            db.execute(insert(tickets), handed_off[first : first + 2000])
        db.execute(
            insert(daily_counts),
            [
                {
                    "dimension": "all",
                    "day": day_of(end_ms),
                    "page": p,
                    "key": "",
                    "metric": "questions",
                    "value": 1,
                }
                for p in PAGES
            ],
        )
    found.sort(key=lambda e: e.at)
    return found, {"tickets": number, "handed_off": len(handed_off), "events": len(found)}


def replay(store: HelpdeskStore, found: list[HelpdeskEvent]) -> float:
    started = time.perf_counter()
    for first in range(0, len(found), BATCH):
        store.apply("zendesk", found[first : first + BATCH])
    return round(time.perf_counter() - started, 1)


def targets(end: datetime, days: int) -> list[tuple[str, str]]:
    first = (end - timedelta(days=days - 1)).date()
    queries = ("", f"start={first}&end={end.date()}", f"page={PAGE_FILTER}")
    out = []
    for kind, paths in (("html", HTML_PATHS), ("api", API_PATHS)):
        for path in paths:
            for query in queries:
                joiner = "&" if "?" in path else "?"
                out.append((kind, path + (joiner + query if query else "")))
    return out


def bench_database(
    name: str, data: Path, database_url: str, args: argparse.Namespace
) -> dict[str, Any]:
    end_ms = int(time.time() * 1000)
    env = frontdesk_env(data, database_url)
    settings = Settings(data_dir=data, database_url=database_url)
    engine = create_database_engine(settings)
    try:
        migrate(engine)
        print(f"{name}: generating {args.tickets:,} tickets over {args.days} days", flush=True)
        found, history = generate(engine, args.tickets, args.days, args.seed, end_ms)
        print(f"  {history}; replaying", flush=True)
        history["replay_seconds"] = replay(HelpdeskStore.from_settings(engine, settings), found)
        with engine.connect() as db:
            history["stored_tickets"] = db.execute(
                select(func.count()).select_from(helpdesk_tickets)
            ).scalar_one()
            history["stored_events"] = db.execute(
                select(func.count()).select_from(helpdesk_events)
            ).scalar_one()
        print(f"  replayed in {history['replay_seconds']} s: {history}", flush=True)
    finally:
        engine.dispose()
    checked(
        env,
        "admin",
        "create-user",
        EMAIL,
        "--role",
        "viewer",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    process = serve(args.port, need_index=False, **env)
    results: dict[str, Any] = {}
    try:
        base = f"http://127.0.0.1:{args.port}"
        session = login(base)
        import httpx

        bearer = httpx.Client(
            base_url=base, timeout=300, headers={"Authorization": f"Bearer {TOKEN}"}
        )
        end = datetime.fromtimestamp(end_ms / 1000, UTC)
        for kind, path in targets(end, args.days):
            result = measure(session if kind == "html" else bearer, path, args.repeat)
            results[path] = result
            print(f"  {path}: {result.get('median_ms', result['status'])}", flush=True)
        session.close()
        bearer.close()
    finally:
        process.terminate()
        process.wait(timeout=60)
    return {"database": name, "history": history, "timings": results}


def markdown(results: list[dict[str, Any]]) -> str:
    names = [r["database"] for r in results]
    lines = [
        "| URL | " + " | ".join(f"{n} median ms | {n} p90 ms" for n in names) + " |",
        "| --- | " + " | ".join("---: | ---:" for _ in names) + " |",
    ]
    for path in results[0]["timings"]:
        cells = []
        for r in results:
            t = r["timings"].get(path, {})
            if t.get("status") != "ok":
                cells += [str(t.get("status")), ""]
                continue
            mark = " (slow)" if t["median_ms"] >= SLOW_MS else ""
            cells += [f"{t['median_ms']}{mark}", str(t["p90_ms"])]
        lines.append(f"| `{path}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=50_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument("--port", type=int, default=8791)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop PostgreSQL on the way out
    results = []
    tmp = Path(tempfile.mkdtemp(prefix="frontdesk-helpdesk-bench-"))
    try:
        for name in args.databases.split(","):
            if name == "sqlite":
                results.append(bench_database("sqlite", tmp / "sqlite", "", args))
            elif name == "postgresql":
                pg_root = Path(tempfile.mkdtemp(prefix="frontdesk-helpdesk-bench-pg-"))
                try:
                    url = start_postgres(pg_root, args.port + 1)
                    results.append(bench_database("postgresql", tmp / "postgresql", url, args))
                finally:
                    stop_postgres(pg_root)
                    shutil.rmtree(pg_root, ignore_errors=True)
            else:
                raise SystemExit(f"unknown database {name!r}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    out = ROOT / "bench" / "results" / "helpdesk.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    print()
    print(markdown(results))


if __name__ == "__main__":
    main()
