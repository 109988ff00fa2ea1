"""The question model in a process of its own: same vectors, and it survives its process."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest

from ingest.embedding import SentenceTransformerEmbedder
from server.ask.model_process import ModelProcess, ModelProcessError

QUESTIONS = ["How do I change my card?", "reset password", "Where can I download invoices?"]


@pytest.fixture(scope="module")
def model_process() -> Iterator[ModelProcess]:
    process = ModelProcess("all-MiniLM-L6-v2", runtime="onnxruntime")  # as the server runs it
    process.start()
    yield process
    process.close()


def test_vectors_from_the_process_are_the_models_own(
    model_process: ModelProcess, real_embedder: SentenceTransformerEmbedder
) -> None:
    # real_embedder runs on PyTorch, as ingest does: the question vectors match the index's
    assert model_process.model_id == real_embedder.model_id
    assert model_process.dimension == real_embedder.dimension == 384
    lone = model_process.embed(QUESTIONS[:1])  # one question: the short path
    batch = model_process.embed(QUESTIONS * 3)  # a batch: every core
    expected = real_embedder.embed(QUESTIONS)
    assert lone[0] == pytest.approx(expected[0], abs=1e-5)
    for got, want in zip(batch, expected * 3, strict=True):
        assert got == pytest.approx(want, abs=1e-5)


def test_a_killed_process_is_replaced_on_the_next_call(model_process: ModelProcess) -> None:
    before = model_process.pid
    assert before is not None
    os.kill(before, signal.SIGKILL)
    (vector,) = model_process.embed(["reset password"])
    assert model_process.pid not in (None, before)
    assert len(vector) == 384


def test_a_model_that_cannot_load_is_a_clear_error() -> None:
    broken = ModelProcess("/nonexistent/model-folder")
    with pytest.raises(ModelProcessError, match="exited with code 1 before it loaded"):
        broken.embed(["hello"])
    broken.close()


def test_close_ends_the_process() -> None:
    process = ModelProcess("all-MiniLM-L6-v2")
    process.start()
    pid = process.pid
    assert pid is not None
    process.close()
    assert process.pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
