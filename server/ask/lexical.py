"""Lexical search: BM25 (bm25s) over chunk texts, and how much of a question a text covers.

Texts are indexed as Snowball-stemmed words (a few English stop words dropped)
plus every pair of adjacent words ("credit_card"), so that phrases count. A
question keeps only its content words: a longer stop list (the one scikit-learn
ships) is applied to questions, not to texts. BM25 uses k1 = 0.9 and b = 0.5;
these choices were measured with `frontdesk eval` on a public development set.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

K1 = 0.9
B = 0.5
_TOKEN = re.compile(r"(?u)\b\w\w+\b")
# The English stop words of scikit-learn (BSD-3-Clause), applied to questions only.
QUESTION_STOP_WORDS = frozenset(
    """
    a about above across after afterwards again against all almost alone along already
    also although always am among amongst amoungst amount an and another any anyhow anyone
    anything anyway anywhere are around as at back be became because become becomes
    becoming been before beforehand behind being below beside besides between beyond bill
    both bottom but by call can cannot cant co con could couldnt cry de describe detail do
    done down due during each eg eight either eleven else elsewhere empty enough etc even
    ever every everyone everything everywhere except few fifteen fifty fill find fire
    first five for former formerly forty found four from front full further get give go
    had has hasnt have he hence her here hereafter hereby herein hereupon hers herself him
    himself his how however hundred i ie if in inc indeed interest into is it its itself
    keep last latter latterly least less ltd made many may me meanwhile might mill mine
    more moreover most mostly move much must my myself name namely neither never
    nevertheless next nine no nobody none noone nor not nothing now nowhere of off often
    on once one only onto or other others otherwise our ours ourselves out over own part
    per perhaps please put rather re same see seem seemed seeming seems serious several
    she should show side since sincere six sixty so some somehow someone something
    sometime sometimes somewhere still such system take ten than that the their them
    themselves then thence there thereafter thereby therefore therein thereupon these they
    thick thin third this those though three through throughout thru thus to together too
    top toward towards twelve twenty two un under until up upon us very via was we well
    were what whatever when whence whenever where whereafter whereas whereby wherein
    whereupon wherever whether which while whither who whoever whole whom whose why will
    with within without would yet you your yours yourself yourselves
    """.split()
)


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


def tokenize(text: str) -> list[str]:
    """Lower-cased, the few commonest stop words dropped, stemmed."""
    words = [w for w in _TOKEN.findall(text.lower()) if w not in _stopwords()]
    stems: list[str] = _stemmer().stemWords(words)
    return stems


def with_bigrams(tokens: list[str]) -> list[str]:
    return tokens + [f"{a}_{b}" for a, b in itertools.pairwise(tokens)]


@lru_cache(maxsize=4096)
def question_terms(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(content words, search terms): stemmed content words, and those plus the bigrams
    of adjacent words that are both content words."""
    words = [
        w
        for w in _TOKEN.findall(text.lower())
        if w not in QUESTION_STOP_WORDS and w not in _stopwords()
    ]
    content: list[str] = _stemmer().stemWords(words)
    kept = set(content)
    product = tokenize(text)
    bigrams = [f"{a}_{b}" for a, b in itertools.pairwise(product) if a in kept and b in kept]
    return tuple(content), tuple(content + bigrams)


class LexicalIndex:
    """BM25 over a fixed list of tokenized texts, plus which terms each text contains."""

    def __init__(self, documents: Sequence[list[str]], k1: float = K1, b: float = B) -> None:
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every index at DEBUG

        self.size = len(documents)
        self._model = bm25s.BM25(k1=k1, b=b)
        tokens = [doc or ["\x00empty"] for doc in documents]
        self._model.index(tokens, show_progress=False)
        self._vocabulary: dict[str, int] = dict(self._model.vocab_dict)
        rows, cols = [], []
        for row, doc in enumerate(tokens):
            for term in {self._vocabulary[t] for t in doc}:
                rows.append(row)
                cols.append(term)
        # by column: a question reads only its own terms' columns
        self._presence = sp.csc_matrix(
            (np.ones(len(rows)), (rows, cols)), shape=(self.size, len(self._vocabulary))
        )
        frequency = np.bincount(cols, minlength=len(self._vocabulary)).astype(np.float64)
        self._idf = np.log(1 + (self.size - frequency + 0.5) / (frequency + 0.5))

    def scores(self, terms: Sequence[str]) -> npt.NDArray[np.float64]:
        """BM25 score of the query terms against every text (zeros when nothing matches)."""
        known = [t for t in terms if t in self._vocabulary]
        if not known or self.size == 0:
            return np.zeros(self.size)
        return np.asarray(self._model.get_scores(known), dtype=np.float64)

    def coverage(self, terms: Sequence[str]) -> npt.NDArray[np.float64]:
        """Per text: the IDF-weighted share of the distinct terms it contains.

        A term no text contains weighs as much as the rarest possible one: a question
        about something the knowledge base never mentions is covered by no text.
        """
        distinct = set(terms)
        ids = sorted({self._vocabulary[t] for t in distinct if t in self._vocabulary})
        unknown = len(distinct) - len(ids)
        total = float(self._idf[ids].sum()) + unknown * self.max_idf()
        if not ids or total <= 0:
            return np.zeros(self.size)
        covered = self._presence[:, ids] @ self._idf[ids]
        return np.asarray(covered, dtype=np.float64) / total

    def idf(self, term: str) -> float:
        """Inverse document frequency of a term; 0 for unknown terms."""
        index = self._vocabulary.get(term)
        return float(self._idf[index]) if index is not None else 0.0

    def max_idf(self) -> float:
        """The IDF a term in a single text would have."""
        return float(np.log(1 + (self.size - 1 + 0.5) / 1.5)) if self.size else 0.0

    def knows(self, term: str) -> bool:
        return term in self._vocabulary
