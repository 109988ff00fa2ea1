"""`frontdesk eval`: the metrics, the questions file, and the command's exit code."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from server.ask.evaluation import (
    EvalQuestion,
    Judged,
    QuestionsFileError,
    decision_metrics,
    ranking_metrics,
    read_questions,
)
from tests.conftest import SAMPLE_KB, cli_env, frontdesk, write_article


def run_eval(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`frontdesk eval ARGS` as a user runs it."""
    command = frontdesk("eval", *args)
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)


def judged(
    relevant: set[str], ranking: list[str], confidence: float, answerable: bool = True
) -> Judged:
    status = "answered" if confidence >= 0.5 else "suggested"
    question = EvalQuestion("q", "?", frozenset(relevant), answerable)
    return Judged(question, ranking, confidence, status)


def test_ranking_metrics_count_answerable_questions_only() -> None:
    rows = [
        judged({"a"}, ["a", "b"], 0.9),
        judged({"a"}, ["b", "c", "a"], 0.9),
        judged({"z"}, ["b"], 0.9),
        judged(set(), ["a"], 0.9, answerable=False),
    ]
    metrics = ranking_metrics(rows)
    assert metrics["hit@1"] == pytest.approx(1 / 3)
    assert metrics["hit@3"] == pytest.approx(2 / 3)
    assert metrics["mrr@10"] == pytest.approx((1 + 1 / 3) / 3)
    assert metrics["ndcg@10"] == pytest.approx((1 + 0.5) / 3)


def test_decision_metrics_separate_precision_coverage_and_false_answers() -> None:
    rows = [
        judged({"a"}, ["a"], 0.9),  # answered right
        judged({"a"}, ["b"], 0.8),  # answered wrong
        judged({"a"}, ["a"], 0.2),  # right but not confident: not answered
        judged(set(), ["a"], 0.7, answerable=False),  # unanswerable, answered
        judged(set(), ["a"], 0.1, answerable=False),  # unanswerable, held back
    ]
    metrics = decision_metrics(rows)
    assert metrics["answered_precision"] == pytest.approx(1 / 3)
    assert metrics["answered_coverage"] == pytest.approx(1 / 3)
    assert metrics["unanswerable_answered"] == pytest.approx(1 / 2)
    strict = decision_metrics(rows, answer_at=0.85)
    assert strict["answered_precision"] == 1.0 and strict["unanswerable_answered"] == 0.0


def test_bad_questions_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text(
        '{"qid": "1", "question": "hi", "relevant": ["a"]}\n{"qid": 2}\n', encoding="utf-8"
    )
    with pytest.raises(QuestionsFileError, match=rf"{path}:2: 'question'"):
        read_questions(path)


def test_a_follow_up_keeps_the_users_earlier_turns_from_its_history(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    history = [
        {"role": "user", "text": "can my clients pay by card"},
        {"role": "agent", "text": "Yes: connect Stripe first."},
        "and what does it cost",
    ]
    lines = [
        {"qid": "1", "question": "how long until I get paid", "relevant": ["a"]},
        {
            "qid": "2",
            "question": "how long until I get paid",
            "relevant": ["a"],
            "history": history,
        },
        {"qid": "3", "question": "?", "relevant": ["a"], "history": "not a list"},
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines[:2]), encoding="utf-8")
    first, follow_up = read_questions(path)
    assert first.history == ()
    assert follow_up.history == ("can my clients pay by card", "and what does it cost")
    path.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    with pytest.raises(QuestionsFileError, match=rf"{path}:3: `history` must be a list"):
        read_questions(path)


def test_eval_command_reports_and_fails_when_an_article_loses_its_question(
    small_kb: Path, tmp_path: Path
) -> None:
    questions = tmp_path / "questions.jsonl"
    questions.write_text(
        "\n".join(
            json.dumps(q)
            for q in [
                {
                    "qid": "1",
                    "question": "How do I change my credit card?",
                    "relevant": ["billing-update-payment-card"],
                    "answerable": True,
                },
                {
                    "qid": "2",
                    "question": "reset my password",
                    "relevant": ["account-reset-password"],
                    "answerable": True,
                },
                {
                    "qid": "3",
                    "question": "best pizza in Naples",
                    "relevant": [],
                    "answerable": False,
                },
            ]
        ),
        encoding="utf-8",
    )
    env = cli_env(tmp_path / "data", small_kb)
    good = run_eval(env, str(questions), "--json")
    assert good.returncode == 0, good.stderr
    (report,) = json.loads(good.stdout)["sets"]
    assert report["counts"] == {"questions": 3, "answerable": 2, "unanswerable": 1}
    assert report["retrieval"]["hit@1"] == 1.0
    assert report["reference_retrieval"]["hit@1"] == 1.0  # the plain reference, beside
    assert "threshold" in report["reference_decision"]
    assert [row["threshold"] for row in report["tradeoff"]][:2] == [0.5, 0.6]
    assert "too little to measure" in report["calibration"]  # four articles
    assert report["off_topic_answered"] == []
    assert report["self_test_failures"] == []
    assert report["question_model"] == "float32 on onnxruntime"  # as the server runs it
    assert not (tmp_path / "data").exists()  # a scratch index, not the configured one

    int8 = run_eval({**env, "FRONTDESK_QUERY_MODEL_INT8": "true"}, str(questions), "--json")
    assert int8.returncode == 0, int8.stderr
    assert json.loads(int8.stdout)["sets"][0]["question_model"] == "int8 on torch"  # as served

    for name in (
        "data/export-timesheets.md",
        "data/export-workspace.md",
        "data/csv-import.md",
        "onboarding/track-time.md",
    ):
        (small_kb / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(SAMPLE_KB / name, small_kb / name)
    write_article(
        small_kb,
        "odd.md",
        "id: odd\ntitle: Office plants\nurl: /help/plants\n"
        "questions: [how do I export my timesheets to Excel]",
        "## Watering\n\nWater the ficus on Mondays.\n",
    )
    bad = run_eval(env, str(questions))
    assert bad.returncode == 1
    assert "odd: 'how do I export my timesheets to Excel'" in bad.stdout


def test_eval_measures_each_set_beside_the_reference_and_leaves_each_set_out(
    small_kb: Path, tmp_path: Path
) -> None:
    sets = tmp_path / "sets"
    for name, question, article in (
        ("cards", "How do I change my credit card?", "billing-update-payment-card"),
        ("passwords", "reset my password", "account-reset-password"),
    ):
        shutil.copytree(small_kb, sets / name / "kb")
        line = {"qid": "1", "question": question, "relevant": [article], "section": ""}
        (sets / name / "questions.jsonl").write_text(json.dumps(line) + "\n", encoding="utf-8")
    result = run_eval(cli_env(tmp_path / "data", small_kb), str(sets), "--leave-one-out")
    assert result.returncode == 0, result.stderr
    assert "== cards: 1 questions" in result.stdout and "== passwords: 1 questions" in result.stdout
    assert result.stdout.count("plain reference") == 2
    assert "== leave one set out" in result.stdout
    held_out = result.stdout.split("== leave one set out")[1]
    assert "cards" in held_out and "passwords" in held_out
