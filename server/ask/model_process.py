"""The question model in a process of its own.

A server process runs many things in Python at once: the event loop, routing,
retrieval, JSON. The model's forward pass runs Python between its operators, so
in the same process it waits for the interpreter lock whenever requests hold it,
and under load a batch takes about twice as long as alone. In a process of its
own the model has its own interpreter and keeps pace.

:class:`ModelProcess` starts
``python -m server.ask.model_process MODEL [--int8] [--runtime R]``,
writes batches of questions to its stdin and reads float32 vectors from its
stdout. Each call says how many CPU threads the model may use: the query encoder
gives a lone question every core when nothing else is embedding, and one core to
each of its model processes under load. If the process dies, the next call
starts a new one and retries once.

Frames, all lengths 4-byte big-endian:
  request:  length, then ``{"texts": [questions], "threads": n}`` as JSON (UTF-8)
  reply:    rows, dimension, then rows x dimension float32 (little-endian);
            rows 0xFFFFFFFF: length, then an error message (UTF-8)
  on start: the dimension, once the model is loaded
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import struct
import subprocess
import sys
import threading
from collections.abc import Sequence
from typing import IO, get_args

import numpy as np

from ingest.embedding import (
    SMALL_BATCH,
    Runtime,
    SentenceTransformerEmbedder,
    resolve_model,
    runtime_for,
)

logger = logging.getLogger(__name__)

FAILED = 0xFFFFFFFF
START_TIMEOUT_SECONDS = 120.0


class ModelProcessError(RuntimeError):
    """The model process failed or ended; the message says how."""


def _read_exact(stream: IO[bytes], size: int) -> bytes:
    data = stream.read(size)
    if data is None or len(data) < size:
        raise EOFError("the stream ended")
    return data


def _read_u32(stream: IO[bytes]) -> int:
    value: int = struct.unpack(">I", _read_exact(stream, 4))[0]
    return value


class ModelProcess:
    """An :class:`~ingest.embedding.Embedder` whose model runs in a child process."""

    def __init__(self, name: str, *, int8: bool = False, runtime: Runtime = "torch") -> None:
        self._name = name
        self.int8 = int8
        self.runtime = runtime_for(runtime, int8)
        self._model_id = resolve_model(name).model_id
        self._dimension: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dimension(self) -> int:
        with self._lock:
            self._ensure_started()
        assert self._dimension is not None
        return self._dimension

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        """Start the process and wait until its model is loaded."""
        with self._lock:
            self._ensure_started()

    def embed(self, texts: Sequence[str], threads: int | None = None) -> list[list[float]]:
        """Vectors for ``texts``; the model uses ``threads`` CPU threads (default: every core)."""
        if not texts:
            return []
        request = {"texts": list(texts), "threads": threads or os.cpu_count() or 1}
        with self._lock:
            try:
                return self._ask(request)
            except (EOFError, BrokenPipeError, OSError) as exc:
                logger.warning("the model process ended (%s); starting a new one", exc)
                self._stop()
                return self._ask(request)

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _ensure_started(self) -> subprocess.Popen[bytes]:
        if self._process is not None and self._process.poll() is None:
            return self._process
        self._stop()
        command = [sys.executable, "-m", "server.ask.model_process", self._name]
        if self.int8:
            command.append("--int8")
        command += ["--runtime", self.runtime]
        # After each parallel operator PyTorch's OpenMP threads spin (300,000 times by
        # default) before they sleep, burning a core another model process or the server
        # needs. 10,000 spins still bridge the gaps between the operators of one call.
        env = {"GOMP_SPINCOUNT": "10000", **os.environ}
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        assert process.stdout is not None
        try:
            self._dimension = _read_u32(process.stdout)
        except EOFError:
            code = process.wait(timeout=START_TIMEOUT_SECONDS)
            _close_pipes(process)
            raise ModelProcessError(
                f"the model process for {self._name!r} exited with code {code} before it "
                "loaded the model (its error is in the server's log)"
            ) from None
        self._process = process
        logger.info(
            "model process started pid=%d model=%s int8=%s runtime=%s",
            process.pid,
            self._name,
            self.int8,
            self.runtime,
        )
        return process

    def _ask(self, request: dict[str, object]) -> list[list[float]]:
        process = self._ensure_started()
        assert process.stdin is not None and process.stdout is not None
        payload = json.dumps(request).encode("utf-8")
        process.stdin.write(struct.pack(">I", len(payload)) + payload)
        process.stdin.flush()
        rows = _read_u32(process.stdout)
        if rows == FAILED:
            message = _read_exact(process.stdout, _read_u32(process.stdout)).decode("utf-8")
            raise ModelProcessError(f"the model process failed: {message}")
        dimension = _read_u32(process.stdout)
        data = _read_exact(process.stdout, rows * dimension * 4)
        vectors = np.frombuffer(data, dtype="<f4").reshape(rows, dimension)
        result: list[list[float]] = vectors.tolist()
        return result

    def _stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        try:
            if process.stdin is not None:
                process.stdin.close()  # the child's loop ends at the end of its input
            process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()
        _close_pipes(process)


def _close_pipes(process: subprocess.Popen[bytes]) -> None:
    for pipe in (process.stdin, process.stdout):
        if pipe is not None:
            with contextlib.suppress(OSError):  # a broken pipe has nothing left to flush
                pipe.close()


def serve(name: str, int8: bool, runtime: Runtime, requests: IO[bytes], replies: IO[bytes]) -> None:
    """The child's loop: read batches of questions until stdin closes."""
    embedder = SentenceTransformerEmbedder(name, int8=int8, runtime=runtime)
    dimension = embedder.dimension  # loads the model
    replies.write(struct.pack(">I", dimension))
    replies.flush()
    while True:
        try:
            size = _read_u32(requests)
        except EOFError:
            return
        request = json.loads(_read_exact(requests, size).decode("utf-8"))
        texts = request["texts"]
        try:
            # alone in its process, the model does not wait for request threads: on PyTorch
            # a lone question is faster on two threads than one, unlike in the server process
            embedder.use_threads(request["threads"])
            few = len(texts) <= SMALL_BATCH
            rows = embedder.embed_few(texts) if few else embedder.embed(texts)
            vectors = np.asarray(rows, dtype="<f4").reshape(len(texts), -1)
        except Exception as exc:  # the parent raises it as ModelProcessError
            message = f"{type(exc).__name__}: {exc}".encode()
            replies.write(struct.pack(">II", FAILED, len(message)) + message)
        else:
            replies.write(struct.pack(">II", *vectors.shape) + vectors.tobytes())
        replies.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description="Frontdesk's question model process")
    parser.add_argument("model")
    parser.add_argument("--int8", action="store_true")
    parser.add_argument("--runtime", choices=get_args(Runtime), default="torch")
    args = parser.parse_args()
    # Frames go to the original stdout; anything a library prints goes to stderr.
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    serve(args.model, args.int8, args.runtime, sys.stdin.buffer, replies)


if __name__ == "__main__":
    main()
