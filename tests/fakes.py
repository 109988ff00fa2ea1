"""A deterministic stand-in for the embedding model, for fast unit tests.

Texts become hashed bags of words, so texts sharing words are close, and every
call is counted so tests can prove what was (not) embedded.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence


class FakeEmbedder:
    def __init__(self, model_id: str = "fake/bag-of-words", dimension: int = 64) -> None:
        self._model_id = model_id
        self._dimension = dimension
        self.calls: list[list[str]] = []

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def embedded_texts(self) -> list[str]:
        return [text for call in self.calls for text in call]

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        return [self._vector(text) for text in texts]

    def _vector(self, text: str) -> list[float]:
        vector = [0.0] * self._dimension
        for word in re.findall(r"\w+", text.lower()):
            digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
            vector[int.from_bytes(digest, "big") % self._dimension] += 1.0
        norm = math.sqrt(sum(x * x for x in vector)) or 1.0
        return [x / norm for x in vector]
