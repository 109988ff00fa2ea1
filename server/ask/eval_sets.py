"""Question sets for `frontdesk eval`, the leave-one-set-out check, and the printed tables.

A set is a questions file and the knowledge base it asks about. Paths given to the
command are questions files, or folders: a folder with a `kb/` folder is one set per
`*.jsonl` file in it, a folder of such folders is all of them. A questions file with a
`kb/` folder beside it asks about that KB, else about `--kb` (or `FRONTDESK_KB_DIR`).

Leave one set out: the served decision has one knob, the answer threshold. For each
set, the threshold is chosen on the *other* sets (the highest mean coverage that keeps
answered precision at 0.90 or more on each of them) and the set is measured there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from server.ask.evaluation import SELF_TEST_TOP, TARGET_PRECISION, Report, decision_metrics

LOSO_THRESHOLDS = tuple(float(t) for t in np.round(np.arange(0.5, 1.0, 0.01), 2))


@dataclass(frozen=True)
class QuestionSet:
    name: str
    questions: Path
    kb: Path


def find_sets(paths: list[Path], default_kb: Path) -> list[QuestionSet]:
    sets: list[QuestionSet] = []
    for path in paths:
        if path.is_file():
            kb = path.parent / "kb"
            if kb.is_dir():  # named after its folder: `emanual/questions`
                sets.append(QuestionSet(f"{path.parent.name}/{path.stem}", path, kb))
            else:
                sets.append(QuestionSet(path.stem, path, default_kb))
        elif (path / "kb").is_dir():
            files = sorted(path.glob("*.jsonl"))
            sets += [
                QuestionSet(
                    path.name if len(files) == 1 else f"{path.name}/{f.stem}", f, path / "kb"
                )
                for f in files
            ]
        elif path.is_dir():
            sets += find_sets(sorted(p for p in path.iterdir() if p.is_dir()), default_kb)
        else:
            raise FileNotFoundError(f"{path}: no such questions file or folder")
    return sets


def leave_one_out(reports: list[Report]) -> list[dict[str, float | str]]:
    """Each set measured at the answer threshold the other sets choose."""
    rows: list[dict[str, float | str]] = []
    for held_out in reports:
        others = [r for r in reports if r is not held_out]
        if not others:
            continue

        def quality(threshold: float, others: list[Report] = others) -> tuple[bool, float]:
            figures = [decision_metrics(r.judged, threshold) for r in others]
            precise = all(f["answered_precision"] >= TARGET_PRECISION for f in figures)
            mean = float(np.mean([f["answered_coverage"] for f in figures]))
            worst = min(f["answered_precision"] for f in figures)
            return precise, mean if precise else worst - 1.0

        threshold = max(LOSO_THRESHOLDS, key=lambda t: (*quality(t), -t))
        row: dict[str, float | str] = {"set": held_out.name, "threshold": threshold}
        row.update(decision_metrics(held_out.judged, threshold))
        rows.append(row)
    return rows


def format_report(report: Report, answer_threshold: float) -> str:
    counts = report.counts
    frontdesk, reference = report.decision, report.reference_decision
    section = report.section
    lines = [
        f"== {report.name}: {counts.get('questions', 0)} questions "
        f"({counts.get('answerable', 0)} answerable, {counts.get('unanswerable', 0)} "
        f"unanswerable), embedded with the {report.question_model} model",
        report.calibration,
        "",
        f"{'':17} {'hit@1':>6} {'hit@5':>6} {'mrr@10':>7} | {'precision':>9} {'coverage':>8} "
        f"{'unanswerable answered':>21} | right section",
        _row("Frontdesk", report.retrieval, frontdesk)
        + f" | {section.get('right_section', 0):.3f} of {section.get('answers', 0):.0f}",
        _row("plain reference", report.reference_retrieval, reference)
        + f" | (dense >= {reference.get('threshold', 0):.3f}, its best point on this set)",
        f"Frontdesk answers at confidence >= {answer_threshold:.2f}; shipped off-topic "
        f"questions answered: {len(report.off_topic_answered)}"
        + (f" ({', '.join(report.off_topic_answered[:5])})" if report.off_topic_answered else ""),
        "",
        "  threshold  precision  coverage  unanswerable answered  answered share",
    ]
    for row in report.tradeoff:
        lines.append(
            f"  {row['threshold']:>9.2f}  {row['answered_precision']:>9.3f}  "
            f"{row['answered_coverage']:>8.3f}  {row['unanswerable_answered']:>21.3f}"
            f"  {row['answered_share']:>14.3f}"
        )
    if report.self_test_failures:
        lines.append(
            f"{len(report.self_test_failures)} article question(s) no longer find "
            f"their article in the top {SELF_TEST_TOP}:"
        )
        lines += [
            f"  {f['article_id']}: {f['question']!r} -> {', '.join(f['top'])}"
            for f in report.self_test_failures
        ]
    else:
        lines.append(f"every article's own questions find it in the top {SELF_TEST_TOP}")
    return "\n".join(lines)


def _row(label: str, ranking: dict[str, float], decision: dict[str, float]) -> str:
    return (
        f"{label:17} {ranking.get('hit@1', 0):>6.3f} {ranking.get('hit@5', 0):>6.3f} "
        f"{ranking.get('mrr@10', 0):>7.3f} | {decision.get('answered_precision', 0):>9.3f} "
        f"{decision.get('answered_coverage', 0):>8.3f} "
        f"{decision.get('unanswerable_answered', 0):>21.3f}"
    )


def format_leave_one_out(rows: list[dict[str, float | str]]) -> str:
    lines = [
        "== leave one set out: each set at the answer threshold chosen on the others",
        f"{'set':24} {'threshold':>9} {'precision':>9} {'coverage':>8} "
        f"{'unanswerable answered':>21}",
    ]
    lines += [
        f"{row['set']!s:24} {row['threshold']:>9.2f} {row['answered_precision']:>9.3f} "
        f"{row['answered_coverage']:>8.3f} {row['unanswerable_answered']:>21.3f}"
        for row in rows
    ]
    return "\n".join(lines)
