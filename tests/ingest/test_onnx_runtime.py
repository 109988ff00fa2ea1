"""The question model on ONNX Runtime: PyTorch's vectors, on the threads it is given."""

from __future__ import annotations

import pytest

from ingest.embedding import SentenceTransformerEmbedder
from ingest.onnx_transformer import OnnxTransformer

# lengths from one word to a long sentence, so batches pad
QUESTIONS = [
    "refund",
    "How do I change my card?",
    "reset password",
    "Why does the dashboard show fewer deflected tickets than the widget log, and how "
    "are retried events counted when the network drops?",
    "Where can I download invoices?",
]


@pytest.fixture(scope="module")
def onnx_embedder() -> SentenceTransformerEmbedder:
    # batches of two: the long list is embedded in several length-sorted batches
    return SentenceTransformerEmbedder("all-MiniLM-L6-v2", batch_size=2, runtime="onnxruntime")


def test_onnx_runtime_gives_pytorchs_vectors_in_the_callers_order(
    onnx_embedder: SentenceTransformerEmbedder, real_embedder: SentenceTransformerEmbedder
) -> None:
    expected = real_embedder.embed(QUESTIONS)
    batched = onnx_embedder.embed(QUESTIONS)
    few = onnx_embedder.embed_few(QUESTIONS[:3])
    assert onnx_embedder.runtime == "onnxruntime" and onnx_embedder._onnx is not None
    for got, want in zip(batched, expected, strict=True):
        assert got == pytest.approx(want, abs=1e-5)
    for got, want in zip(few, expected[:3], strict=True):
        assert got == pytest.approx(want, abs=1e-5)
    assert onnx_embedder.model_id == real_embedder.model_id  # it reads the same index


def test_the_export_leaves_the_model_in_inference_mode(
    onnx_embedder: SentenceTransformerEmbedder,
) -> None:
    # exporting in training mode would leave dropout on in the transformer PyTorch runs
    model = onnx_embedder._load()
    assert not model[0].auto_model.training


def test_each_thread_count_gets_a_session_of_that_many_threads(
    onnx_embedder: SentenceTransformerEmbedder,
) -> None:
    onnx = onnx_embedder._onnx
    assert onnx is not None
    for threads in (1, 2):
        onnx_embedder.use_threads(threads)
        onnx_embedder.embed_few(["reset password"])
        options = onnx._sessions[threads].get_session_options()
        assert options.intra_op_num_threads == threads


def test_int8_runs_on_pytorch_whatever_the_runtime_setting() -> None:
    int8 = SentenceTransformerEmbedder("all-MiniLM-L6-v2", int8=True, runtime="onnxruntime")
    assert int8.runtime == "torch"


def test_a_model_without_a_text_transformer_is_refused_naming_the_setting() -> None:
    class ImageModel:
        def __getitem__(self, index: int) -> object:
            return object()

    with pytest.raises(ValueError, match=r"'clip'.*FRONTDESK_QUERY_MODEL_RUNTIME=torch"):
        OnnxTransformer(ImageModel(), "clip")
