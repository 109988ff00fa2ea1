"""The Litestar application: ``create_app(settings)`` builds it, nothing is built at import."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Litestar, get
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.plugins.problem_details import ProblemDetailsConfig, ProblemDetailsPlugin

from server.index import open_live_index
from server.settings import Settings

logger = logging.getLogger(__name__)


@get("/healthz", sync_to_thread=True)
def healthz(state: State) -> dict[str, Any]:
    """Alive, and which index version this process serves."""
    live = state.live_index
    try:
        collection = live.collection()
    except Exception as exc:  # the index is unreadable: still alive, say why
        logger.exception("index unreadable")
        return {"status": "ok", "index": {"error": str(exc)}}
    if collection is None:
        return {"status": "ok", "index": None}
    return {
        "status": "ok",
        "index": {
            "version": live.version,
            "chunks": collection.count(),
            "embedding_model": collection.model_id,
        },
    }


def create_app(settings: Settings) -> Litestar:
    live = open_live_index(settings)

    def close_index() -> None:
        live.close()

    return Litestar(
        route_handlers=[healthz],
        state=State({"settings": settings, "live_index": live}),
        plugins=[ProblemDetailsPlugin(ProblemDetailsConfig(enable_for_all_http_exceptions=True))],
        openapi_config=OpenAPIConfig(title="Frontdesk", version="0.1.0", path="/schema"),
        on_shutdown=[close_index],
    )
