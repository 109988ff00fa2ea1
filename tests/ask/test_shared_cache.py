"""Question embeddings shared by server processes through a real Redis."""

from __future__ import annotations

import asyncio

import pytest

from server.ask.query_encoder import QueryEncoder
from server.ask.shared_cache import SharedVectors
from tests.conftest import free_port
from tests.fakes import FakeEmbedder


def encoder(
    redis_url: str, model_id: str = "fake/bag-of-words"
) -> tuple[QueryEncoder, FakeEmbedder]:
    embedder = FakeEmbedder(model_id)
    return QueryEncoder(embedder, shared=SharedVectors.connect(redis_url, model_id, 600)), embedder


def test_a_question_embedded_by_one_process_is_not_embedded_again_by_another(
    redis_server: str,
) -> None:
    first, first_model = encoder(redis_server)
    second, second_model = encoder(redis_server)
    try:
        vector = asyncio.run(first.encode("How do I export my data? (shared)"))
        again = asyncio.run(second.encode("how do i   export my data? (SHARED)"))
    finally:
        first.close()
        second.close()
    assert first_model.calls and not second_model.calls
    assert second.shared_hits == 1
    assert again == pytest.approx(vector, abs=1e-6)


def test_another_model_never_reads_the_first_models_vectors(redis_server: str) -> None:
    first, _ = encoder(redis_server, "model-a")
    other, other_model = encoder(redis_server, "model-b")
    try:
        first.encode_now(["Where are my invoices? (per model)"])
        other.encode_now(["Where are my invoices? (per model)"])
    finally:
        first.close()
        other.close()
    assert other_model.calls == [["where are my invoices? (per model)"]]


def test_without_redis_questions_are_still_answered_by_the_model() -> None:
    down = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    unreachable, model = encoder(down)
    try:
        assert len(unreachable.encode_now(["Reset my password"])[0]) == model.dimension
    finally:
        unreachable.close()
    assert model.calls
