"""Answer text: always taken from the knowledge base, never generated.

A short passage is the answer as it stands. From a long one, the answer is the
run of up to three consecutive sentences that shares the most (IDF-weighted)
terms with the question, so the user reads the part that answers them.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from server.lexical import tokenize

SHORT_PASSAGE_WORDS = 80
MAX_SENTENCES = 3
SNIPPET_CHARS = 220
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(*`])")


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def answer_text(passage: str, question: str, idf: Callable[[str], float]) -> str:
    """The passage, or its most relevant run of sentences when it is long."""
    if len(passage.split()) <= SHORT_PASSAGE_WORDS:
        return passage
    sentences = split_sentences(passage)
    if len(sentences) <= MAX_SENTENCES:
        return passage
    wanted = set(tokenize(question))
    weights = [sum(idf(t) for t in set(tokenize(s)) & wanted) for s in sentences]
    best_start, best_score = 0, -1.0
    for start in range(len(sentences) - MAX_SENTENCES + 1):
        score = sum(weights[start : start + MAX_SENTENCES])
        if score > best_score:
            best_start, best_score = start, score
    return " ".join(sentences[best_start : best_start + MAX_SENTENCES])


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """The start of a passage, cut at a word boundary."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"
