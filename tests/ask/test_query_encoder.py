"""Question embeddings: cached, batched under load, never on the event loop."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from ingest.embedding import SentenceTransformerEmbedder
from server.ask import query_encoder
from server.ask.assembly import build_answerer
from server.ask.model_process import ModelProcess
from server.ask.query_encoder import QueryEncoder, cache_key
from server.settings import Settings
from tests.fakes import FakeEmbedder


class SlowEmbedder(FakeEmbedder):
    """Takes 50 ms per call, and records which thread called it."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: set[str] = set()

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.threads.add(threading.current_thread().name)
        time.sleep(0.05)
        return super().embed(texts)


def test_repeated_question_is_served_from_the_cache() -> None:
    embedder = FakeEmbedder()
    encoder = QueryEncoder(embedder)

    async def main() -> None:
        first = await encoder.encode("How do I reset my password?")
        again = await encoder.encode("  how do I RESET my   password? ")
        assert first == again

    asyncio.run(main())
    encoder.close()
    assert len(embedder.calls) == 1 and encoder.cache_hits == 1


def test_concurrent_questions_share_model_calls_off_the_event_loop() -> None:
    embedder = SlowEmbedder()
    encoder = QueryEncoder(embedder, max_batch=64)

    async def main() -> list[tuple[float, ...]]:
        return await asyncio.gather(*(encoder.encode(f"question {i}") for i in range(40)))

    vectors = asyncio.run(main())
    encoder.close()
    expected = FakeEmbedder().embed([f"question {i}" for i in range(40)])
    assert vectors == [tuple(v) for v in expected]  # each request got its own vector
    assert len(embedder.calls) <= 3  # the first alone, the rest batched while it ran
    assert embedder.threads == {"query-encoder-0"}


class FakeModelProcess(ModelProcess):
    """A model process without the process: ``seconds`` per call (50 ms by default),
    recording each call's questions and CPU threads."""

    def __init__(self, seconds: float = 0.05) -> None:
        super().__init__("fake/bag-of-words")
        self.seconds = seconds
        self.calls: list[tuple[list[str], int | None]] = []
        self.closed = False

    def embed(self, texts: Sequence[str], threads: int | None = None) -> list[list[float]]:
        self.calls.append((list(texts), threads))
        time.sleep(self.seconds)
        return FakeEmbedder().embed(texts)

    def close(self) -> None:
        self.closed = True


def test_a_lone_question_goes_to_the_first_model_process_on_every_core(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(query_encoder, "GATHER_SECONDS", 0.5)  # a wait would show
    first, second = FakeModelProcess(), FakeModelProcess()
    encoder = QueryEncoder(first, replicas=[second])

    async def main() -> None:
        for i in range(3):
            started = time.perf_counter()
            await encoder.encode(f"question {i}")
            assert time.perf_counter() - started < 0.3  # the model's 50 ms, no gathering

    asyncio.run(main())
    encoder.close()
    cores = os.cpu_count() or 1
    assert first.calls == [([f"question {i}"], cores) for i in range(3)]
    assert second.calls == []
    assert first.closed and second.closed


def test_under_load_each_model_process_embeds_batches_on_its_share_of_the_cores() -> None:
    first, second = FakeModelProcess(seconds=0.5), FakeModelProcess()
    encoder = QueryEncoder(first, replicas=[second])

    async def main() -> list[tuple[float, ...]]:
        wave = [asyncio.ensure_future(encoder.encode(f"question {i}")) for i in range(10)]
        while not first.calls:  # the first process is busy with the first wave
            await asyncio.sleep(0.001)
        wave += [asyncio.ensure_future(encoder.encode(f"question {i}")) for i in range(10, 20)]
        return await asyncio.gather(*wave)

    vectors = asyncio.run(main())
    encoder.close()
    expected = FakeEmbedder().embed([f"question {i}" for i in range(20)])
    assert vectors == [tuple(v) for v in expected]
    share = max(1, (os.cpu_count() or 1) // 2)
    calls = first.calls + second.calls
    assert sorted(q for texts, _ in calls for q in texts) == sorted(
        f"question {i}" for i in range(20)
    )
    assert len(calls) <= 6  # batches, not one call per question
    assert second.calls and all(threads == share for _, threads in second.calls)


def test_under_load_a_free_model_process_waits_briefly_for_more_questions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gather = 0.2
    monkeypatch.setattr(query_encoder, "GATHER_SECONDS", gather)
    first, second = FakeModelProcess(seconds=0.6), FakeModelProcess()
    encoder = QueryEncoder(first, replicas=[second])

    async def main() -> float:
        busy = asyncio.ensure_future(encoder.encode("keeps the first process busy"))
        while not first.calls:
            await asyncio.sleep(0.001)
        started = time.perf_counter()
        await encoder.encode("a lone question under load")
        waited = time.perf_counter() - started
        await busy
        return waited

    waited = asyncio.run(main())
    encoder.close()
    # gathered for GATHER_SECONDS, then embedded alone on the second process's share
    assert gather + 0.05 <= waited < gather + 0.05 + 0.15
    share = max(1, (os.cpu_count() or 1) // 2)
    assert second.calls == [(["a lone question under load"], share)]


def test_warm_up_loads_every_model_process() -> None:
    first, second = FakeModelProcess(), FakeModelProcess()
    encoder = QueryEncoder(first, replicas=[second])
    encoder.warm_up()
    assert len(first.calls) == 1 and len(second.calls) == 1
    assert encoder.cached("warm up") is None  # not a question anyone asked


def test_cache_keeps_only_the_most_recent_questions() -> None:
    embedder = FakeEmbedder()
    encoder = QueryEncoder(embedder, cache_size=2)
    encoder.encode_now(["a", "b", "c"])
    assert encoder.cached("a") is None and encoder.cached("c") is not None


def test_model_failure_reaches_the_waiting_request() -> None:
    class Broken(FakeEmbedder):
        def embed(self, texts: Sequence[str]) -> list[list[float]]:
            raise RuntimeError("model exploded")

    encoder = QueryEncoder(Broken())
    with pytest.raises(RuntimeError, match="model exploded"):
        asyncio.run(encoder.encode("hello"))
    encoder.close()


def test_cache_key_ignores_case_and_spacing() -> None:
    assert cache_key("  Reset\tPASSWORD ") == "reset password"


def test_the_models_short_path_for_a_few_questions_gives_the_same_vectors(
    real_embedder: SentenceTransformerEmbedder,
) -> None:
    questions = ["How do I change my card?", "reset password", "Where can I download invoices?"]
    full = real_embedder.embed(questions)
    few = real_embedder.embed_few(questions)
    for a, b in zip(full, few, strict=True):
        assert a == pytest.approx(b, abs=1e-5)


def test_int8_question_model_is_quantized_and_close_to_float32(
    real_embedder: SentenceTransformerEmbedder,
) -> None:
    import torch

    int8 = SentenceTransformerEmbedder("all-MiniLM-L6-v2", int8=True)
    questions = ["How do I change my card?", "reset password", "Where can I download invoices?"]
    full, quantized = real_embedder.embed(questions), int8.embed_few(questions)
    layers = {type(m) for m in int8._load().modules()}
    assert torch.ao.nn.quantized.dynamic.Linear in layers and torch.nn.Linear not in layers
    assert int8.model_id == real_embedder.model_id  # it reads the same index
    for a, b in zip(full, quantized, strict=True):
        assert a != pytest.approx(b, abs=1e-5)
        assert 0.9 < sum(x * y for x, y in zip(a, b, strict=True)) < 1.0


def test_settings_choose_where_the_question_model_runs_and_in_what_precision(
    tmp_path: Path,
) -> None:
    default = build_answerer(Settings(data_dir=tmp_path)).encoder.models
    assert len(default) == 2
    assert all(
        isinstance(m, ModelProcess) and not m.int8 and m.runtime == "onnxruntime" for m in default
    )
    settings = Settings(data_dir=tmp_path, query_model_processes=3, query_model_int8=True)
    int8 = build_answerer(settings).encoder.models
    assert len(int8) == 3
    assert all(isinstance(m, ModelProcess) and m.int8 and m.runtime == "torch" for m in int8)
    settings = Settings(data_dir=tmp_path, query_model_processes=0, query_model_runtime="torch")
    (in_process,) = build_answerer(settings).encoder.models
    assert isinstance(in_process, SentenceTransformerEmbedder)
    assert in_process.runtime == "torch" and not in_process.int8
