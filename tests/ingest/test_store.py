"""How chunks are stored in Chroma, and the model guard on the collection."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.articles import parse_article
from ingest.chunking import ChunkingOptions, chunk_article
from ingest.errors import IndexStateError, ModelMismatchError
from ingest.links import LinkResolver
from ingest.store import IndexCollection, from_record, to_record
from ingest.versions import EmbeddedVersions
from tests.conftest import SAMPLE_KB


def test_chunk_survives_the_round_trip_through_a_record() -> None:
    article = parse_article(SAMPLE_KB / "billing/update-payment-card.md")
    for chunk in chunk_article(article, LinkResolver([article], SAMPLE_KB), ChunkingOptions()):
        identifier, metadata = to_record(chunk)
        assert identifier == chunk.id
        assert all(isinstance(v, str | int) for v in metadata.values())
        stored = from_record(metadata)
        assert stored.chunk == chunk and stored.content_hash == chunk.content_hash


def test_collection_refuses_another_model_and_an_unknown_schema(tmp_path: Path) -> None:
    versions = EmbeddedVersions(tmp_path, "frontdesk")
    version = versions.create(None)
    client = versions.connect(version)
    IndexCollection.create(client, "frontdesk", "model-a", 8)
    with pytest.raises(ModelMismatchError, match=r"'model-a'.*'model-b'.*--rebuild"):
        IndexCollection.open(client, "frontdesk", "model-b")
    client.create_collection("foreign", embedding_function=None)
    with pytest.raises(IndexStateError, match="schema None"):
        IndexCollection.open(client, "foreign")
    versions.release(client)
