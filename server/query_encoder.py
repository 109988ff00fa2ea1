"""Question embeddings for the API: cached, batched, and off the event loop.

One worker thread owns the model. Requests put their question in a queue and
await a future; whenever the worker is free it takes everything waiting (up to
``max_batch``) and embeds it in one model call. A lone request is embedded at
once; under load, concurrent requests share model calls. Repeated questions,
the norm in support, are answered from an LRU cache without touching the model, and,
with Redis, from the cache all server processes share.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from threadpoolctl import threadpool_limits

from ingest.embedding import SMALL_BATCH, Embedder, use_threads
from server.shared_cache import SharedVectors

logger = logging.getLogger(__name__)

Vector = tuple[float, ...]


def cache_key(text: str) -> str:
    """Questions that differ only in case or spacing share an embedding (the model is uncased)."""
    return " ".join(text.lower().split())


@dataclass
class _Pending:
    key: str
    future: asyncio.Future[Vector]
    loop: asyncio.AbstractEventLoop


class QueryEncoder:
    def __init__(
        self,
        embedder: Embedder,
        cache_size: int = 10_000,
        max_batch: int = 64,
        shared: SharedVectors | None = None,
    ) -> None:
        self._embedder = embedder
        self._shared = shared
        self._cache_size = cache_size
        self._max_batch = max_batch
        self._cache: OrderedDict[str, Vector] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._queue: list[_Pending] = []
        self._wakeup = threading.Condition()
        self._closed = False
        self._worker: threading.Thread | None = None
        self.model_calls = 0
        self.cache_hits = 0
        self.shared_hits = 0
        self._cores = os.cpu_count() or 1

    @property
    def embedder(self) -> Embedder:
        return self._embedder

    def start(self) -> None:
        if self._worker is None:
            # The model's forward pass takes the GIL between its hundreds of small ops;
            # while request threads run Python it waits up to the switch interval each
            # time (5 ms by default). And BLAS threads in retrieval's small matrix
            # products only fight the model for the two cores. Measured under load
            # (bench/ask_bench.py): both make the model up to twice as slow.
            sys.setswitchinterval(0.001)
            threadpool_limits(1, user_api="blas")
            self._worker = threading.Thread(target=self._run, name="query-encoder", daemon=True)
            self._worker.start()

    def close(self) -> None:
        with self._wakeup:
            self._closed = True
            self._wakeup.notify_all()
        if self._worker is not None:
            self._worker.join(timeout=10)
        if self._shared is not None:
            self._shared.close()
        close_model = getattr(self._embedder, "close", None)
        if close_model is not None:  # a model in a process of its own
            close_model()

    def cached(self, text: str) -> Vector | None:
        key = cache_key(text)
        with self._cache_lock:
            vector = self._cache.get(key)
            if vector is not None:
                self._cache.move_to_end(key)
                self.cache_hits += 1
        return vector

    async def encode(self, text: str) -> Vector:
        vector = self.cached(text)
        if vector is not None:
            return vector
        self.start()
        loop = asyncio.get_running_loop()
        pending = _Pending(cache_key(text), loop.create_future(), loop)
        with self._wakeup:
            if self._closed:
                raise RuntimeError("the query encoder is closed")
            self._queue.append(pending)
            self._wakeup.notify()
        return await pending.future

    def encode_now(self, texts: list[str]) -> list[Vector]:
        """Embed in the calling thread (CLI and evaluation), through the same cache."""
        keys = [cache_key(t) for t in texts]
        with self._cache_lock:
            found = {k: self._cache[k] for k in keys if k in self._cache}
        missing = sorted(set(keys) - set(found))
        if missing:
            found.update(self._embed(missing))
        return [found[k] for k in keys]

    def _embed(self, keys: list[str]) -> dict[str, Vector]:
        """Vectors for questions not in this process's cache: the shared cache, then the model."""
        vectors = self._shared.get_many(keys) if self._shared is not None else {}
        self.shared_hits += len(vectors)
        missing = [k for k in keys if k not in vectors]
        if missing:
            self.model_calls += 1
            embed = self._embedder.embed
            if len(missing) <= SMALL_BATCH:  # a few questions: the bare forward pass, if offered
                embed = getattr(self._embedder, "embed_few", embed)
            embedded = dict(zip(missing, map(tuple, embed(missing)), strict=True))
            if self._shared is not None:
                self._shared.put_many(embedded)
            vectors.update(embedded)
        self._store(keys, [vectors[k] for k in keys])
        return vectors

    def _store(self, keys: list[str], vectors: list[Vector]) -> None:
        if self._cache_size == 0:
            return
        with self._cache_lock:
            for key, vector in zip(keys, vectors, strict=True):
                self._cache[key] = vector
                self._cache.move_to_end(key)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def _take_batch(self) -> list[_Pending] | None:
        with self._wakeup:
            while not self._queue and not self._closed:
                self._wakeup.wait()
            if self._closed and not self._queue:
                return None
            batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
            return batch

    def _run(self) -> None:
        while (batch := self._take_batch()) is not None:
            keys = list(dict.fromkeys(p.key for p in batch))
            # in this process, one CPU thread answers a few questions faster than several
            use_threads(1 if len(keys) <= SMALL_BATCH else self._cores)
            started = time.perf_counter()
            try:
                vectors = self._embed(keys)
            except Exception as exc:
                logger.exception("embedding questions failed batch=%d", len(batch))
                for pending in batch:
                    pending.loop.call_soon_threadsafe(_fail, pending.future, exc)
                continue
            elapsed_ms = 1000 * (time.perf_counter() - started)
            logger.debug("embedded %d questions in %.1f ms", len(keys), elapsed_ms)
            for pending in batch:
                pending.loop.call_soon_threadsafe(_resolve, pending.future, vectors[pending.key])


def _resolve(future: asyncio.Future[Vector], vector: Vector) -> None:
    if not future.done():
        future.set_result(vector)


def _fail(future: asyncio.Future[Vector], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)
