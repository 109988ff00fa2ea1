"""The answering stack as the settings describe it: the live index, the question model (in
processes of its own, or in this one), the shared vector cache, retriever and decider."""

from __future__ import annotations

from ingest.embedding import Embedder, SentenceTransformerEmbedder, resolve_model
from ingest.live import LiveIndex
from ingest.versions import index_versions
from server.ask.answerer import Answerer
from server.ask.decision import Decider
from server.ask.model_process import ModelProcess
from server.ask.query_encoder import QueryEncoder
from server.ask.retrieval import Retriever
from server.ask.shared_cache import SharedVectors
from server.settings import Settings


def open_live_index(settings: Settings) -> LiveIndex:
    """A live index for the configured store, refusing an index built by another model."""
    versions = index_versions(settings.data_dir, settings.collection, settings.chroma_url)
    return LiveIndex(versions, resolve_model(settings.embedding_model).model_id)


def build_answerer(settings: Settings, embedder: Embedder | None = None) -> Answerer:
    """Everything `/ask` needs, from the settings (tests may pass their own embedder)."""
    replicas: list[ModelProcess] = []
    if embedder is None:
        name, int8 = settings.embedding_model, settings.query_model_int8
        runtime = settings.query_model_runtime
        if settings.query_model_processes:
            embedder, *replicas = [
                ModelProcess(name, int8=int8, runtime=runtime)
                for _ in range(settings.query_model_processes)
            ]
        else:
            embedder = SentenceTransformerEmbedder(name, int8=int8, runtime=runtime)
    shared = None
    if settings.redis_url:
        flavour = ":int8" if getattr(embedder, "int8", False) else ""
        shared = SharedVectors.connect(
            settings.redis_url, embedder.model_id + flavour, settings.query_cache_ttl_seconds
        )
    return Answerer(
        live=open_live_index(settings),
        encoder=QueryEncoder(
            embedder, settings.query_cache_size, settings.query_batch_size, shared, replicas
        ),
        retriever=Retriever(settings.default_locale, settings.page_boost),
        decider=Decider(settings.answer_threshold, settings.suggest_threshold),
    )
