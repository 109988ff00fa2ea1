"""How a chunk is stored in ChromaDB — the one place that knows.

A chunk is one Chroma record: its id (``article::s0003``), its embedding, and
flat metadata (lists are JSON strings, because Chroma metadata values are
scalars). The passage is the metadata key ``text``, not a Chroma document:
Frontdesk does its own lexical search, and a document would cost a full-text
index that doubles the write time of an ingest. The collection's own metadata records the
schema version, the embedding model that built it and the answer decision's calibration
(JSON), and :class:`IndexCollection` refuses to be read or written with another model.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ingest.chunking import Chunk
from ingest.errors import ModelMismatchError, SchemaMismatchError

SCHEMA_VERSION = 2  # 2: heading chunks
CALIBRATION_KEY = "frontdesk_calibration"  # the decision's calibration of this version
WRITE_BATCH = 500  # records per Chroma call
_SCALAR_FIELDS = (
    "article_id",
    "kind",
    "position",
    "title",
    "url",
    "section",
    "anchor",
    "locale",
    "updated",
    "article_hash",
    "text",
    "html",
)
_LIST_FIELDS = ("pages", "tags")


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as read back from the index, with its content hash and embedding."""

    chunk: Chunk
    content_hash: str
    embedding: tuple[float, ...] | None = None


def to_record(chunk: Chunk) -> tuple[str, dict[str, str | int]]:
    """(id, metadata) for one chunk."""
    metadata: dict[str, str | int] = {name: getattr(chunk, name) for name in _SCALAR_FIELDS}
    for name in _LIST_FIELDS:
        metadata[name] = json.dumps(list(getattr(chunk, name)))
    metadata["content_hash"] = chunk.content_hash
    return chunk.id, metadata


def from_record(metadata: dict[str, Any], embedding: Any = None) -> StoredChunk:
    fields = {name: metadata[name] for name in _SCALAR_FIELDS}
    for name in _LIST_FIELDS:
        fields[name] = tuple(json.loads(metadata[name]))
    chunk = Chunk(**fields)
    vector = tuple(float(x) for x in embedding) if embedding is not None else None
    return StoredChunk(chunk, str(metadata["content_hash"]), vector)


def collection_metadata(model_id: str, dimension: int) -> dict[str, str | int]:
    return {
        "frontdesk_schema": SCHEMA_VERSION,
        "embedding_model": model_id,
        "embedding_dimension": dimension,
    }


class IndexCollection:
    """A Chroma collection holding Frontdesk chunks, bound to one embedding model."""

    def __init__(self, collection: Any) -> None:
        self._collection = collection
        metadata = collection.metadata or {}
        schema = metadata.get("frontdesk_schema")
        if schema != SCHEMA_VERSION:
            raise SchemaMismatchError(collection.name, schema, SCHEMA_VERSION)
        self.model_id = str(metadata["embedding_model"])
        self.dimension = int(metadata["embedding_dimension"])
        self.calibration: dict[str, Any] | None = (
            json.loads(str(metadata[CALIBRATION_KEY])) if CALIBRATION_KEY in metadata else None
        )

    def set_calibration(self, calibration: dict[str, Any] | None) -> None:
        """Keep what the answer decision learned from this version (JSON), or forget it."""
        metadata = dict(self._collection.metadata or {})
        metadata.pop(CALIBRATION_KEY, None)
        if calibration is not None:
            metadata[CALIBRATION_KEY] = json.dumps(calibration)
        self._collection.modify(metadata=metadata)
        self.calibration = calibration

    @classmethod
    def create(cls, client: Any, name: str, model_id: str, dimension: int) -> IndexCollection:
        collection = client.create_collection(
            name,
            metadata=collection_metadata(model_id, dimension),
            configuration={"hnsw": {"space": "cosine"}},
            embedding_function=None,
        )
        return cls(collection)

    @classmethod
    def open(cls, client: Any, name: str, model_id: str | None = None) -> IndexCollection:
        """Open an existing collection; with ``model_id``, refuse another model's index."""
        index = cls(client.get_collection(name, embedding_function=None))
        if model_id is not None:
            index.require_model(model_id)
        return index

    def require_model(self, model_id: str) -> None:
        if self.model_id != model_id:
            raise ModelMismatchError(self.model_id, model_id)

    @property
    def name(self) -> str:
        return str(self._collection.name)

    def count(self) -> int:
        return int(self._collection.count())

    def article_hashes(self, article_ids: Iterable[str] | None = None) -> dict[str, str]:
        """article id -> article hash, for every article in the index (or the ones named)."""
        # Every article has a first section; its metadata carries the article hash.
        conditions: list[dict[str, Any]] = [{"kind": "section"}, {"position": 0}]
        if article_ids is not None:
            wanted = sorted(set(article_ids))
            if not wanted:
                return {}
            conditions.append({"article_id": {"$in": wanted}})
        page = self._collection.get(where={"$and": conditions}, include=["metadatas"])
        return {str(m["article_id"]): str(m["article_hash"]) for m in page["metadatas"]}

    def count_articles_chunks(self, article_ids: Iterable[str]) -> int:
        """How many chunks the named articles have."""
        ids = sorted(set(article_ids))
        total = 0
        for start in range(0, len(ids), WRITE_BATCH):
            where = {"article_id": {"$in": ids[start : start + WRITE_BATCH]}}
            total += len(self._collection.get(where=where, include=[])["ids"])
        return total

    def iter_chunks(
        self, *, include_embeddings: bool = False, where: dict[str, Any] | None = None
    ) -> Iterator[StoredChunk]:
        include = ["metadatas"] + (["embeddings"] if include_embeddings else [])
        offset = 0
        while True:
            page = self._collection.get(
                where=where, include=include, limit=WRITE_BATCH * 4, offset=offset
            )
            ids = page["ids"]
            if not ids:
                return
            embeddings = page.get("embeddings") if include_embeddings else None
            for i in range(len(ids)):
                vector = embeddings[i] if embeddings is not None else None
                yield from_record(page["metadatas"][i], vector)
            offset += len(ids)

    def embeddings_by_hash(self, content_hashes: Iterable[str]) -> dict[str, tuple[float, ...]]:
        """Stored embeddings for the given content hashes (those that exist)."""
        wanted = sorted(set(content_hashes))
        found: dict[str, tuple[float, ...]] = {}
        for start in range(0, len(wanted), WRITE_BATCH):
            where = {"content_hash": {"$in": wanted[start : start + WRITE_BATCH]}}
            for stored in self.iter_chunks(include_embeddings=True, where=where):
                if stored.embedding is not None:
                    found[stored.content_hash] = stored.embedding
        return found

    def delete_articles(self, article_ids: Iterable[str]) -> None:
        ids = sorted(set(article_ids))
        for start in range(0, len(ids), WRITE_BATCH):
            self._collection.delete(where={"article_id": {"$in": ids[start : start + WRITE_BATCH]}})

    def upsert(self, chunks: Sequence[Chunk], embeddings: Sequence[Sequence[float]]) -> None:
        if len(chunks) != len(embeddings):
            raise ValueError(f"{len(chunks)} chunks but {len(embeddings)} embeddings")
        for start in range(0, len(chunks), WRITE_BATCH):
            records = [to_record(c) for c in chunks[start : start + WRITE_BATCH]]
            self._collection.upsert(
                ids=[r[0] for r in records],
                metadatas=[r[1] for r in records],
                embeddings=[list(e) for e in embeddings[start : start + WRITE_BATCH]],
            )

    def nearest_ids(
        self, embedding: Sequence[float], limit: int, where: dict[str, Any] | None = None
    ) -> list[tuple[str, float]]:
        """Ids of the ``limit`` nearest chunks with their cosine similarity, best first.

        The cheap form of :meth:`query` for readers that hold the chunks in memory.
        """
        result = self._collection.query(
            query_embeddings=[list(embedding)], n_results=limit, where=where, include=["distances"]
        )
        return [
            (identifier, 1.0 - float(distance))
            for identifier, distance in zip(result["ids"][0], result["distances"][0], strict=True)
        ]

    def query(
        self, embedding: Sequence[float], limit: int, where: dict[str, Any] | None = None
    ) -> list[tuple[StoredChunk, float]]:
        """The ``limit`` nearest chunks with their cosine similarity, best first."""
        if self.count() == 0:
            return []
        result = self._collection.query(
            query_embeddings=[list(embedding)],
            n_results=limit,
            where=where,
            include=["metadatas", "distances"],
        )
        return [
            (from_record(meta), 1.0 - float(distance))
            for meta, distance in zip(result["metadatas"][0], result["distances"][0], strict=True)
        ]
