"""The server's view of the index: the live version, opened through ``ingest``."""

from __future__ import annotations

from ingest.embedding import resolve_model
from ingest.live import LiveIndex
from ingest.versions import index_versions
from server.settings import Settings


def open_live_index(settings: Settings) -> LiveIndex:
    """A live index for the configured store, refusing an index built by another model."""
    versions = index_versions(settings.data_dir, settings.collection, settings.chroma_url)
    return LiveIndex(versions, resolve_model(settings.embedding_model).model_id)
