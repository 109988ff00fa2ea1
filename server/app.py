"""The Litestar application: ``create_app(settings)`` builds it, nothing is built at import."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Litestar, get
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig

from ingest.embedding import Embedder, SentenceTransformerEmbedder
from server.answering import Answerer
from server.api import AskController
from server.decision import Decider
from server.index import open_live_index
from server.problems import problem_details_plugin
from server.query_encoder import QueryEncoder
from server.retrieval import Retriever
from server.settings import Settings

logger = logging.getLogger(__name__)


@get("/healthz", sync_to_thread=True, tags=["operations"])
def healthz(state: State) -> dict[str, Any]:
    """Alive, and which index version this process serves."""
    live = state.answerer.live
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


def build_answerer(settings: Settings, embedder: Embedder | None = None) -> Answerer:
    """Everything `/ask` needs, from the settings (tests may pass their own embedder)."""
    embedder = embedder or SentenceTransformerEmbedder(settings.embedding_model)
    return Answerer(
        live=open_live_index(settings),
        encoder=QueryEncoder(embedder, settings.query_cache_size, settings.query_batch_size),
        retriever=Retriever(settings.default_locale, settings.page_boost),
        decider=Decider(settings.answer_threshold, settings.suggest_threshold),
    )


def create_app(settings: Settings, embedder: Embedder | None = None) -> Litestar:
    answerer = build_answerer(settings, embedder)

    def start() -> None:
        answerer.encoder.start()
        try:
            answerer.current()  # open the index and build the snapshot before traffic
            answerer.encoder.encode_now(["warm up"])
        except Exception as exc:
            logger.warning("not ready yet: %s", exc)

    def stop() -> None:
        answerer.encoder.close()
        answerer.live.close()

    return Litestar(
        route_handlers=[healthz, AskController],
        state=State({"settings": settings, "answerer": answerer}),
        plugins=[problem_details_plugin()],
        openapi_config=OpenAPIConfig(title="Frontdesk", version="0.1.0", path="/schema"),
        on_startup=[start],
        on_shutdown=[stop],
    )
