"""Question embeddings shared by every server process through Redis.

Each process keeps its own LRU cache in front; this one lets a question embedded by one
process be answered by all the others without the model. Keys name the model, so a
change of model never serves old vectors; values are float32 bytes with a time to live.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence

import numpy as np
import redis

logger = logging.getLogger(__name__)

Vector = tuple[float, ...]


class SharedVectors:
    def __init__(self, client: redis.Redis, model_id: str, ttl_seconds: int) -> None:
        self._client = client
        self._prefix = "frontdesk:qvec:" + hashlib.sha1(model_id.encode()).hexdigest()[:12] + ":"
        self._ttl = ttl_seconds

    @classmethod
    def connect(cls, redis_url: str, model_id: str, ttl_seconds: int) -> SharedVectors:
        client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        return cls(client, model_id, ttl_seconds)

    def _key(self, text: str) -> str:
        return self._prefix + hashlib.sha256(text.encode()).hexdigest()

    def get_many(self, texts: Sequence[str]) -> dict[str, Vector]:
        """The vectors Redis has; a Redis outage reads as a miss (the model still answers)."""
        if not texts:
            return {}
        try:
            values = self._client.mget([self._key(t) for t in texts])
        except redis.RedisError as exc:
            logger.warning("query-embedding cache unavailable: %s", exc)
            return {}
        return {
            text: tuple(np.frombuffer(value, dtype=np.float32).tolist())
            for text, value in zip(texts, values, strict=True)
            if isinstance(value, bytes)
        }

    def put_many(self, vectors: dict[str, Vector]) -> None:
        if not vectors:
            return
        try:
            with self._client.pipeline(transaction=False) as pipe:
                for text, vector in vectors.items():
                    pipe.set(
                        self._key(text),
                        np.asarray(vector, dtype=np.float32).tobytes(),
                        ex=self._ttl,
                    )
                pipe.execute()
        except redis.RedisError as exc:
            logger.warning("query-embedding cache unavailable: %s", exc)

    def close(self) -> None:
        self._client.close()
