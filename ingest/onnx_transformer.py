"""A sentence-transformers model's transformer, run by ONNX Runtime.

PyTorch runs a small model such as all-MiniLM-L6-v2 one Python call per operator,
and for a short question that overhead is most of the time. ONNX Runtime runs the
same graph with the same weights in C++, with attention and layer norms fused. Its
hidden states agree with PyTorch's to about 1e-5. On one core a lone question
takes about 40 % of PyTorch's time and a batch of ten about 80 % (README,
Performance).

The transformer (the model's first module) is exported when the model loads,
which takes a few seconds, through a temporary file that is read and removed. The
export is checked against PyTorch on texts it was not traced with. The tokenizer
and the modules after the transformer (pooling, normalizing) stay
sentence-transformers' own, so the vectors are the model's whatever its pooling.
"""

from __future__ import annotations

import tempfile
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np

# what a text transformer may take, in the order the export passes them
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT_NAME = "token_embeddings"
PROBE = ("probe", "a longer probe, so that the first one is padded")
CHECK = (
    "How do I reset my password?",
    "Why does the picture flicker when the game mode is on and HDR is enabled?",
    "refund",
)
MAX_GAP = 1e-3  # largest difference from PyTorch's hidden states that is rounding


class OnnxTransformer:
    """The first module of a loaded ``SentenceTransformer``, exported to ONNX."""

    def __init__(self, model: Any, model_id: str) -> None:
        transformer = model[0]
        auto_model = getattr(transformer, "auto_model", None)
        if auto_model is None:
            raise ValueError(
                f"model {model_id!r}: ONNX Runtime runs a model whose first module is a "
                f"text transformer, not {type(transformer).__name__}; "
                "set FRONTDESK_QUERY_MODEL_RUNTIME=torch"
            )
        # texts of different lengths, so the traced graph masks padding
        probe = model.preprocess(list(PROBE))
        self.input_names = [name for name in INPUT_NAMES if name in probe]
        self._graph = _export(
            auto_model, self.input_names, [probe[name] for name in self.input_names]
        )
        self._sessions: dict[int, Any] = {}
        self._lock = threading.Lock()
        self._check(auto_model, model.preprocess(list(CHECK)), model_id)

    def _check(self, auto_model: Any, features: dict[str, Any], model_id: str) -> None:
        """The graph gives PyTorch's output on texts it was not traced with."""
        import torch

        with torch.no_grad():
            inputs = {name: features[name] for name in self.input_names}
            expected = auto_model(**inputs).last_hidden_state.numpy()
        gap_per_token = np.abs(self.token_embeddings(features, 1) - expected)
        if "attention_mask" in features:  # padding positions are pooled away
            gap_per_token = gap_per_token[features["attention_mask"].numpy().astype(bool)]
        gap = float(gap_per_token.max())
        if gap > MAX_GAP:
            raise ValueError(
                f"model {model_id!r}: the ONNX export differs from PyTorch by {gap:.2g}; "
                "set FRONTDESK_QUERY_MODEL_RUNTIME=torch"
            )

    def token_embeddings(self, features: dict[str, Any], threads: int) -> np.ndarray:
        """The transformer's output for tokenized texts, on ``threads`` CPU threads."""
        inputs = {name: features[name].numpy() for name in self.input_names}
        result: np.ndarray = self._session(threads).run([OUTPUT_NAME], inputs)[0]
        return result

    def _session(self, threads: int) -> Any:
        # ONNX Runtime fixes a session's thread count when the session is made, so there
        # is one per count asked for (in practice one core and every core)
        with self._lock:
            session = self._sessions.get(threads)
            if session is None:
                import onnxruntime

                options = onnxruntime.SessionOptions()
                options.intra_op_num_threads = threads
                options.inter_op_num_threads = 1
                # idle threads sleep instead of spinning on a core another process needs
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                session = onnxruntime.InferenceSession(
                    self._graph, options, providers=["CPUExecutionProvider"]
                )
                self._sessions[threads] = session
            return session


def _export(auto_model: Any, input_names: list[str], example: list[Any]) -> bytes:
    """The transformer as an ONNX graph that takes any number of texts of any length."""
    import torch

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.auto_model = auto_model

        def forward(self, *inputs: Any) -> Any:
            return self.auto_model(**dict(zip(input_names, inputs, strict=True))).last_hidden_state

    axes = {name: {0: "texts", 1: "tokens"} for name in [*input_names, OUTPUT_NAME]}
    with (
        tempfile.TemporaryDirectory(prefix="frontdesk-onnx-") as folder,
        warnings.catch_warnings(),
        torch.no_grad(),
    ):
        # the TorchScript exporter warns that it is deprecated in favour of one that needs
        # more packages; it exports this graph exactly
        warnings.simplefilter("ignore")
        torch.onnx.export(
            # in eval mode: the export leaves the module, and so the model, in its mode
            LastHiddenState().eval(),
            tuple(example),
            Path(folder) / "model.onnx",
            input_names=input_names,
            output_names=[OUTPUT_NAME],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
        return (Path(folder) / "model.onnx").read_bytes()
