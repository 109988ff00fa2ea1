"""Fit the answer/suggest/no-answer model on a questions file, with cross-validation.

The label is "answering would be right": the question is answerable and the top
article is relevant. The model is a logistic regression over the standardized
decision features (server/decision.py) and their pairwise products, fitted by
Newton's method with an L2 penalty. The script prints held-out figures (5-fold,
three shuffles) at several thresholds and the threshold that keeps held-out
answered precision >= 0.85, then fits on all questions and writes
``server/ask/decision_weights.py``.

Usage: .venv/bin/python bench/fit_decision.py QUESTIONS.jsonl --kb DIR [--dry-run]
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
from server.ask.assembly import build_answerer  # noqa: E402
from server.ask.decision import FEATURES, Standardization, design, features  # noqa: E402
from server.ask.evaluation import read_questions  # noqa: E402
from server.settings import Settings  # noqa: E402

Matrix = npt.NDArray[np.float64]
THRESHOLDS = (0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8)
TARGET_PRECISION = 0.85
WEIGHTS_FILE = ROOT / "server" / "ask" / "decision_weights.py"


def fit(x: Matrix, y: Matrix, penalty: float) -> Matrix:
    """Logistic regression weights (the intercept, column 0, unpenalized) by Newton's method."""
    weights = np.zeros(x.shape[1])
    ridge = penalty * np.eye(x.shape[1])
    ridge[0, 0] = 0.0
    for _ in range(100):
        p = 1 / (1 + np.exp(-x @ weights))
        gradient = x.T @ (p - y) + ridge @ weights
        hessian = x.T @ (x * (p * (1 - p))[:, None]) + ridge
        step = np.linalg.solve(hessian, gradient)
        weights -= step
        if np.abs(step).max() < 1e-8:
            break
    return weights


Fitted = tuple[Standardization, Matrix]  # the features' standardization, the weights


def fit_standardized(raw: Matrix, y: Matrix, penalty: float) -> Fitted:
    low, high = np.percentile(raw, 1, axis=0), np.percentile(raw, 99, axis=0)
    held = np.clip(raw, low, high)
    standardize = Standardization(low, high, held.mean(axis=0), held.std(axis=0) + 1e-9)
    return standardize, fit(design(standardize(raw)), y, penalty)


def held_out(raw: Matrix, y: Matrix, penalty: float, seed: int) -> Matrix:
    folds = np.random.default_rng(seed).permutation(len(raw)) % 5
    result = np.zeros(len(raw))
    for fold in range(5):
        train, test = folds != fold, folds == fold
        standardize, weights = fit_standardized(raw[train], y[train], penalty)
        result[test] = 1 / (1 + np.exp(-design(standardize(raw[test])) @ weights))
    return result


def figures(confidence: Matrix, y: Matrix, able: Matrix, threshold: float) -> tuple[float, ...]:
    answered = confidence >= threshold
    precision = float(y[answered].mean()) if answered.any() else 0.0
    coverage = float((answered & (y == 1)).sum() / able.sum())
    wrongly = float((answered & ~able).sum() / max(1, (~able).sum()))
    return precision, coverage, wrongly


def question_features(
    questions_path: Path, kb: Path, int8: bool = False
) -> tuple[Matrix, Matrix, Matrix, Matrix]:
    """Raw features, labels, answerability and (dense, coverage) of the top article."""
    questions = read_questions(questions_path)
    embedder = SentenceTransformerEmbedder("all-MiniLM-L6-v2")
    question_model = (
        SentenceTransformerEmbedder("all-MiniLM-L6-v2", int8=True) if int8 else embedder
    )
    rows, labels, answerable, tops = [], [], [], []
    with tempfile.TemporaryDirectory() as scratch:
        versions = EmbeddedVersions(Path(scratch), "frontdesk")
        IngestJob(kb, versions, embedder, ChunkingOptions()).run()
        answerer = build_answerer(Settings(data_dir=Path(scratch), kb_dir=kb), question_model)
        snapshot, _ = answerer.current()
        vectors = answerer.encoder.encode_now([q.question for q in questions])
        for question, vector in zip(questions, vectors, strict=True):
            outcome = answerer.answer(question.question, vector, question.page_url, question.locale)
            values = features(outcome.retrieval, snapshot)
            rows.append([values[f] for f in FEATURES])
            hit = outcome.retrieval.hits[0] if outcome.retrieval.hits else None
            tops.append((hit.dense, hit.coverage) if hit else (0.0, 0.0))
            labels.append(
                float(
                    question.answerable and hit is not None and hit.article_id in question.relevant
                )
            )
            answerable.append(question.answerable)
        answerer.live.close()
    return np.array(rows), np.array(labels), np.array(answerable), np.array(tops)


def write_weights(path: Path, model: Fitted, floors: Matrix) -> None:
    def numbers(values: Matrix) -> str:
        return "(\n" + "".join(f"    {v:.6g},\n" for v in values) + ")"

    standardize, weights = model
    low, high, mean, scale = standardize.low, standardize.high, standardize.mean, standardize.scale
    path.write_text(
        '"""Decision model weights, written by bench/fit_decision.py; do not edit by hand."""\n\n'
        "FEATURES = (\n" + "".join(f'    "{name}",\n' for name in FEATURES) + ")\n"
        f"LOW = {numbers(low)}\n"
        f"HIGH = {numbers(high)}\n"
        f"MEAN = {numbers(mean)}\n"
        f"SCALE = {numbers(scale)}\n"
        "# intercept, the standardized features, then their products (i <= j, row by row)\n"
        f"WEIGHTS = {numbers(weights)}\n"
        f"DENSE_FLOOR = {floors[0]:.3f}\n"
        f"COVERAGE_FLOOR = {floors[1]:.3f}\n",
        encoding="utf-8",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", type=Path)
    parser.add_argument("--kb", type=Path, required=True)
    parser.add_argument("--penalty", type=float, default=10.0, help="L2 penalty (default 10)")
    parser.add_argument("--dry-run", action="store_true", help="print, do not write the weights")
    parser.add_argument(
        "--int8", action="store_true", help="embed the questions with the int8 question model"
    )
    args = parser.parse_args()
    raw, y, able, tops = question_features(args.questions, args.kb, args.int8)
    print(f"{len(y)} questions, {int(able.sum())} answerable, top-1 right on {int(y.sum())}")
    runs = [held_out(raw, y, args.penalty, seed) for seed in range(3)]
    auroc = np.mean([(r[y == 1][:, None] > r[y == 0][None, :]).mean() for r in runs])
    print(f"held-out AUROC (right answer vs not): {auroc:.3f}")
    print("held-out (5-fold x 3):  threshold  precision  coverage  unanswerable-answered")
    for threshold in THRESHOLDS:
        mean_figures = np.mean([figures(r, y, able, threshold) for r in runs], axis=0)
        print(
            f"{threshold:>33.2f}  {mean_figures[0]:>9.3f}  {mean_figures[1]:>8.3f}  "
            f"{mean_figures[2]:>10.3f}"
        )
    grid = np.round(np.arange(0.30, 0.96, 0.01), 2)
    fine = [(t, np.mean([figures(r, y, able, t) for r in runs], axis=0)) for t in grid]
    chosen = next((t for t, f in fine if f[0] >= TARGET_PRECISION and f[2] <= 0.15), None)
    if chosen is not None:
        f = dict(fine)[chosen]
        print(
            f"lowest threshold with held-out precision >= {TARGET_PRECISION}: {chosen:.2f} "
            f"(precision {f[0]:.3f}, coverage {f[1]:.3f}, unanswerable answered {f[2]:.3f})"
        )
    right = tops[y == 1]
    floors = np.array([np.percentile(right[:, 0], 1), np.percentile(right[:, 1], 1)])
    print(
        f"floors (1st percentile among right answers): dense {floors[0]:.3f}, "
        f"coverage {floors[1]:.3f}"
    )
    model = fit_standardized(raw, y, args.penalty)
    if args.dry_run:
        return
    write_weights(WEIGHTS_FILE, model, floors)
    print(f"wrote {WEIGHTS_FILE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
