"""What operators and load balancers call: `/healthz`, `/readyz`, `/metrics`, and `/`."""

from __future__ import annotations

import contextlib
import logging
import os
from typing import Any

from litestar import Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import Redirect
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import Engine, text

from server.ask.answerer import Answerer
from server.handoff.outbox import OutboxWorker
from server.platform.locks import JobLocks
from server.platform.metrics import exposition
from server.platform.storage import ALARM, probe_data_dir, storage_cause
from server.prompts.live import LivePrompts
from server.settings import Settings

logger = logging.getLogger(__name__)


@get("/healthz", sync_to_thread=True, tags=["operations"])
def healthz(
    answerer: NamedDependency[Answerer], prompts: NamedDependency[LivePrompts]
) -> dict[str, Any]:
    """Alive, and which index version this process (`pid`) serves."""
    live = answerer.live
    current = prompts.current()
    prompt_status = {
        "file": str(prompts.path),
        "version": current.digest,
        "prompts": len(current.prompts),
        "error": str(prompts.error) if prompts.error else None,
    }
    try:
        collection = live.collection()
    except Exception as exc:  # the index is unreadable: still alive, say why
        logger.exception("index unreadable")
        return {
            "status": "ok",
            "pid": os.getpid(),
            "index": {"error": str(exc)},
            "prompts": prompt_status,
        }
    if collection is None:
        return {"status": "ok", "pid": os.getpid(), "index": None, "prompts": prompt_status}
    return {
        "status": "ok",
        "pid": os.getpid(),
        "index": {
            "version": live.version,
            "chunks": collection.count(),
            "embedding_model": collection.model_id,
        },
        "prompts": prompt_status,
    }


@get(
    "/readyz",
    sync_to_thread=True,
    tags=["operations"],
    responses={
        503: ResponseSpec(
            data_container=dict[str, Any],
            description="Not ready: `checks` says which of index, data dir, database and "
            "Redis is not, and why",
        )
    },
)
def readyz(
    answerer: NamedDependency[Answerer],
    engine: NamedDependency[Engine],
    settings: NamedDependency[Settings],
    locks: NamedDependency[JobLocks],
) -> Response[dict[str, Any]]:
    """Ready for traffic: the index is open, the data dir and the database can be written,
    Redis answers (503 says which not, and why)."""
    checks: dict[str, str] = {}
    if answerer.live.version is None:
        # no version open: try the pointer again, whatever the last attempt met (a version
        # that could not be opened while the data dir was read-only opens once it is not)
        with contextlib.suppress(Exception):
            answerer.live.refresh(force=True)
    try:
        answerer.current()
        checks["index"] = "ok"
    except Exception as exc:
        checks["index"] = str(exc) or type(exc).__name__
    checks["data_dir"] = probe_data_dir(settings.data_dir)
    if settings.embedded and checks["index"] != "ok" and checks["data_dir"] != "ok":
        # embedded Chroma cannot open an index it cannot write: say so, not "no index yet"
        checks["index"] = f"cannot open the index in the data dir: {checks['data_dir']}"
    try:
        with engine.connect() as db:
            db.execute(text("SELECT 1"))
            if engine.dialect.name == "sqlite":  # can it write? take the write lock, let go
                db.exec_driver_sql("BEGIN IMMEDIATE")
                db.exec_driver_sql("ROLLBACK")
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = storage_cause(exc) or (
            str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        )
    if checks["data_dir"] == "ok" and checks["database"] == "ok":
        ALARM.clear()
    if settings.redis_url:
        try:
            locks.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = str(exc) or type(exc).__name__
    ready = all(v == "ok" for v in checks.values())
    return Response(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
    )


@get("/metrics", sync_to_thread=True, include_in_schema=False)
def metrics(outbox: NamedDependency[OutboxWorker]) -> Response[bytes]:
    """Every process's counters, and the outbox depth as the database has it now."""
    body = exposition(
        {"frontdesk_outbox_depth": ("Ticket deliveries not yet done.", float(outbox.depth()))}
    )
    return Response(body, headers={"Content-Type": CONTENT_TYPE_LATEST})


@get("/", include_in_schema=False, sync_to_thread=False)
def home(settings: NamedDependency[Settings]) -> Redirect:
    return Redirect("/demo/" if settings.demo else "/schema")
