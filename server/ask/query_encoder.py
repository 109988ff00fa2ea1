"""Question embeddings for the API: cached, batched, and off the event loop.

Worker threads own the model, one per copy of it (a model process each, two by
default). Requests put their question in a queue and await a future. When no
copy is busy, the first takes the questions at once, and a lone question is
embedded with every core. Under load, a free copy waits until ``GATHER_SIZE``
questions are queued or the oldest has waited ``GATHER_SECONDS``, then embeds
them all (up to ``max_batch``) in one call on its share of the cores: a model
call costs far less per question in a batch than alone (bench/ask_bench.py
prints both). Repeated questions, the norm in support, are answered from an LRU
cache without touching the model, and, with Redis, from the cache all server
processes share.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from threadpoolctl import threadpool_limits

from ingest.embedding import SMALL_BATCH, Embedder, use_threads
from server.ask.model_process import ModelProcess
from server.ask.shared_cache import SharedVectors

logger = logging.getLogger(__name__)

Vector = tuple[float, ...]

# Under load, a free model copy waits for this many questions, or until the oldest
# has waited this long (measured with bench/ask_bench.py).
GATHER_SIZE = 8
GATHER_SECONDS = 0.005


def cache_key(text: str) -> str:
    """Questions that differ only in case or spacing share an embedding (the model is uncased)."""
    return " ".join(text.lower().split())


@dataclass
class _Pending:
    key: str
    future: asyncio.Future[Vector]
    loop: asyncio.AbstractEventLoop
    queued_at: float


class QueryEncoder:
    def __init__(
        self,
        embedder: Embedder,
        cache_size: int = 10_000,
        max_batch: int = 64,
        shared: SharedVectors | None = None,
        replicas: Sequence[ModelProcess] = (),
    ) -> None:
        """``replicas``: more processes of the same model, each with a worker of its own."""
        self._models: list[Embedder] = [embedder, *replicas]
        self._busy = [False] * len(self._models)
        self._shared = shared
        self._cache_size = cache_size
        self._max_batch = max_batch
        self._cache: OrderedDict[str, Vector] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._queue: list[_Pending] = []
        self._wakeup = threading.Condition()
        self._closed = False
        self._workers: list[threading.Thread] = []
        self.model_calls = 0
        self.cache_hits = 0
        self.shared_hits = 0
        self._cores = os.cpu_count() or 1

    @property
    def embedder(self) -> Embedder:
        return self._models[0]

    @property
    def models(self) -> tuple[Embedder, ...]:
        """Every copy of the model, the first one first."""
        return tuple(self._models)

    def start(self) -> None:
        if not self._workers:
            # A model in this process takes the GIL between its hundreds of small ops;
            # while request threads run Python it waits up to the switch interval each
            # time (5 ms by default). And BLAS threads in retrieval's small matrix
            # products only fight the model for the two cores. Measured under load
            # (bench/ask_bench.py): both make the model up to twice as slow.
            sys.setswitchinterval(0.001)
            threadpool_limits(1, user_api="blas")
            for index, model in enumerate(self._models):
                name = f"query-encoder-{index}"
                worker = threading.Thread(target=self._run, args=(index, model), name=name)
                worker.daemon = True
                worker.start()
                self._workers.append(worker)

    def warm_up(self) -> None:
        """Load every copy of the model now (in parallel), not on the first questions."""
        with ThreadPoolExecutor(len(self._models)) as pool:
            for done in [pool.submit(model.embed, ["warm up"]) for model in self._models]:
                done.result()

    def close(self) -> None:
        with self._wakeup:
            self._closed = True
            self._wakeup.notify_all()
        for worker in self._workers:
            worker.join(timeout=10)
        if self._shared is not None:
            self._shared.close()
        for model in self._models:
            close_model = getattr(model, "close", None)
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
        pending = _Pending(cache_key(text), loop.create_future(), loop, time.monotonic())
        with self._wakeup:
            if self._closed:
                raise RuntimeError("the query encoder is closed")
            self._queue.append(pending)
            self._wakeup.notify_all()
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

    def _embed(
        self, keys: list[str], model: Embedder | None = None, threads: int | None = None
    ) -> dict[str, Vector]:
        """Vectors for questions not in this process's cache: the shared cache, then the model."""
        vectors = self._shared.get_many(keys) if self._shared is not None else {}
        self.shared_hits += len(vectors)
        missing = [k for k in keys if k not in vectors]
        if missing:
            self.model_calls += 1
            model = model or self._models[0]
            if isinstance(model, ModelProcess):
                rows = model.embed(missing, threads)
            else:
                if threads is not None:
                    # a sentence-transformers model sets its runtime's threads; others, torch's
                    getattr(model, "use_threads", use_threads)(threads)
                embed = model.embed
                if len(missing) <= SMALL_BATCH:  # a few questions: the bare forward pass
                    embed = getattr(model, "embed_few", embed)
                rows = embed(missing)
            embedded = dict(zip(missing, map(tuple, rows), strict=True))
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

    def _take_batch(self, worker: int) -> tuple[list[_Pending], bool] | None:
        """The next batch for ``worker``, and whether another copy is embedding."""
        with self._wakeup:
            self._busy[worker] = False
            self._wakeup.notify_all()  # a free copy changes what the others wait for
            while True:
                if self._closed and not self._queue:
                    return None
                wait = self._wait_before_taking(worker)
                if wait == 0.0:
                    break
                self._wakeup.wait(wait)
            others_busy = any(self._busy)
            self._busy[worker] = True
            batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
            return batch, others_busy

    def _wait_before_taking(self, worker: int) -> float | None:
        """0 when ``worker`` should take the queue now; else how long to wait (None: until
        told). Called with the lock held."""
        if not self._queue:
            return None
        if self._closed or not any(self._busy):
            # nothing else is embedding: the first free copy takes the questions at once
            return 0.0 if worker == self._busy.index(False) else None
        if len(self._queue) >= GATHER_SIZE:
            return 0.0
        waited = time.monotonic() - self._queue[0].queued_at
        return max(0.0, GATHER_SECONDS - waited)

    def _threads(self, worker: int, questions: int, others_busy: bool) -> int:
        """CPU threads for a model call. In a model process: every core for a few questions
        while no other copy is busy, else its share of the cores (copies side by side
        waste nothing on waiting for each other's threads). In this process: one for a
        few questions (request threads hold the interpreter lock between operators)."""
        if not isinstance(self._models[worker], ModelProcess):
            return 1 if questions <= SMALL_BATCH else self._cores
        alone = questions <= SMALL_BATCH and not others_busy
        return self._cores if alone else max(1, self._cores // len(self._models))

    def _run(self, worker: int, model: Embedder) -> None:
        while (taken := self._take_batch(worker)) is not None:
            batch, others_busy = taken
            keys = list(dict.fromkeys(p.key for p in batch))
            threads = self._threads(worker, len(keys), others_busy)
            started = time.perf_counter()
            try:
                vectors = self._embed(keys, model, threads)
            except Exception as exc:
                logger.exception("embedding questions failed batch=%d", len(batch))
                for pending in batch:
                    pending.loop.call_soon_threadsafe(_fail, pending.future, exc)
                continue
            elapsed_ms = 1000 * (time.perf_counter() - started)
            logger.debug(
                "embedded %d questions in %.1f ms worker=%d threads=%d",
                len(keys),
                elapsed_ms,
                worker,
                threads,
            )
            for pending in batch:
                pending.loop.call_soon_threadsafe(_resolve, pending.future, vectors[pending.key])


def _resolve(future: asyncio.Future[Vector], vector: Vector) -> None:
    if not future.done():
        future.set_result(vector)


def _fail(future: asyncio.Future[Vector], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)
