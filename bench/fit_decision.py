"""Fit the answer/suggest/no-answer model on a questions file, with cross-validation.

The label is "answering would be right": the question is answerable and the top
article is relevant. The model is a logistic regression over the decision
features (server/decision.py), fitted by Newton's method with a small L2 penalty.
It prints held-out (5-fold) figures at several thresholds, then the weights
fitted on all questions, to paste into `DecisionModel`.

Usage: .venv/bin/python bench/fit_decision.py QUESTIONS.jsonl --kb DIR
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ingest.chunking import ChunkingOptions  # noqa: E402
from ingest.embedding import SentenceTransformerEmbedder  # noqa: E402
from ingest.job import IngestJob  # noqa: E402
from ingest.versions import EmbeddedVersions  # noqa: E402
from server.app import build_answerer  # noqa: E402
from server.decision import FEATURES, features  # noqa: E402
from server.evaluation import read_questions  # noqa: E402
from server.settings import Settings  # noqa: E402

Matrix = npt.NDArray[np.float64]
THRESHOLDS = (0.3, 0.4, 0.5, 0.55, 0.6, 0.7, 0.8)


def fit(x: Matrix, y: Matrix, penalty: float = 1.0) -> Matrix:
    """Logistic regression weights (intercept first) by Newton's method."""
    design = np.hstack([np.ones((len(x), 1)), x])
    weights = np.zeros(design.shape[1])
    ridge = penalty * np.eye(design.shape[1])
    ridge[0, 0] = 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-design @ weights))
        gradient = design.T @ (p - y) + ridge @ weights
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + ridge
        step = np.linalg.solve(hessian, gradient)
        weights -= step
        if np.abs(step).max() < 1e-8:
            break
    return weights


def predict(weights: Matrix, x: Matrix) -> Matrix:
    result: Matrix = 1 / (1 + np.exp(-(weights[0] + x @ weights[1:])))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", type=Path)
    parser.add_argument("--kb", type=Path, required=True)
    args = parser.parse_args()
    questions = read_questions(args.questions)
    embedder = SentenceTransformerEmbedder("all-MiniLM-L6-v2")
    with tempfile.TemporaryDirectory() as scratch:
        versions = EmbeddedVersions(Path(scratch), "frontdesk")
        IngestJob(args.kb, versions, embedder, ChunkingOptions()).run()
        answerer = build_answerer(Settings(data_dir=Path(scratch), kb_dir=args.kb), embedder)
        snapshot, _ = answerer.current()
        vectors = answerer.encoder.encode_now([q.question for q in questions])
        rows, labels, answerable = [], [], []
        floors: list[tuple[float, float]] = []
        for question, vector in zip(questions, vectors, strict=True):
            outcome = answerer.answer(question.question, vector, question.page_url, question.locale)
            values = features(outcome.retrieval, snapshot)
            rows.append([values[f] for f in FEATURES])
            hit = outcome.retrieval.hits[0] if outcome.retrieval.hits else None
            floors.append((hit.dense, hit.coverage) if hit else (0.0, 0.0))
            top = outcome.retrieval.hits[0].article_id if outcome.retrieval.hits else None
            labels.append(float(question.answerable and top in question.relevant))
            answerable.append(question.answerable)
        answerer.live.close()
    x, y, able = np.array(rows), np.array(labels), np.array(answerable)
    rng = np.random.default_rng(0)
    folds = rng.permutation(len(x)) % 5
    held_out = np.zeros(len(x))
    for fold in range(5):
        train, test = folds != fold, folds == fold
        held_out[test] = predict(fit(x[train], y[train]), x[test])
    print(f"{len(x)} questions, {int(able.sum())} answerable, top-1 right on {int(y.sum())}")
    print("held-out (5-fold):  threshold  precision  coverage  unanswerable-answered")
    for threshold in THRESHOLDS:
        answered = held_out >= threshold
        precision = y[answered].mean() if answered.any() else 0.0
        coverage = (answered & (y == 1)).sum() / able.sum()
        false_rate = (answered & ~able).sum() / max(1, (~able).sum())
        print(f"{threshold:>28.2f}  {precision:>9.3f}  {coverage:>8.3f}  {false_rate:>10.3f}")
    right = np.array(floors)[y == 1]
    print(
        "\nfloors (1st percentile among right answers): "
        f"dense {np.percentile(right[:, 0], 1):.3f}, coverage {np.percentile(right[:, 1], 1):.3f}"
    )
    weights = fit(x, y)
    print(
        "\nDecisionModel("
        + ", ".join(
            [f"intercept={weights[0]:.3f}"]
            + [f"{name}={value:.3f}" for name, value in zip(FEATURES, weights[1:], strict=True)]
        )
        + ")"
    )


if __name__ == "__main__":
    main()
