"""`prompts.yaml`: validation with lines, page matching, live reload and `GET /api/v1/prompts`."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from server.app import create_app
from server.prompts.live import LivePrompts
from server.prompts.reader import PromptsError, parse_prompts
from server.prompts.schema import TRIGGER_TYPES, holdout_bucket, holdout_group
from server.settings import Settings
from tests.conftest import ROOT, SAMPLE_KB, cli_env, frontdesk
from tests.fakes import FakeEmbedder

SAMPLE = ROOT / "prompts.yaml"
GOOD = """\
limits:
  per_visitor_per_day: 2
prompts:
  - id: billing-idle
    pages: [/settings/billing*]
    trigger: {type: idle, seconds: 20}
    message: Need help with billing?
    questions: [How do I change my plan?]
    priority: 5
    holdout: 10
  - id: projects-board
    pages: [/projects/:id/board]
    trigger: {type: delay, seconds: 3}
    message: Boards, explained.
    articles: [onboarding-tasks-and-boards]
    priority: 9
  - id: winter-sale
    pages: ["/*"]
    trigger: {type: event, name: checkout_opened}
    message: Winter prices end soon.
    start: 2020-01-01
    end: 2020-02-01
  - id: german-only
    pages: [/settings/billing*]
    locale: de
    trigger: {type: exit_intent}
    message: Noch Fragen?
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "prompts.yaml"
    path.write_text(text)
    return path


def errors_of(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(PromptsError) as caught:
        parse_prompts(write(tmp_path, text))
    return [f"{f.line}: {f.message}" for f in caught.value.findings]


def test_the_sample_file_is_valid_and_uses_every_trigger() -> None:
    prompts = parse_prompts(SAMPLE).prompts
    assert {p.trigger.type for p in prompts} == set(TRIGGER_TYPES)
    assert any(p.holdout > 0 for p in prompts)


def test_prompts_for_a_page_match_its_url_or_route_best_first(tmp_path: Path) -> None:
    prompt_set = parse_prompts(write(tmp_path, GOOD))
    today = date(2026, 11, 23)
    by_url = prompt_set.prompts_for(
        "https://app.example.com/settings/billing/plan", None, "en", today
    )
    assert [p.id for p in by_url] == ["billing-idle"]
    by_route = prompt_set.prompts_for(
        "https://app.example.com/p/42", "/projects/:id/board", None, today
    )
    assert [p.id for p in by_route] == ["projects-board"]
    by_path = prompt_set.prompts_for("/projects/42/board", None, None, today)
    assert [p.id for p in by_path] == ["projects-board"]
    german = prompt_set.prompts_for("/settings/billing", None, "de-AT", today)
    assert [p.id for p in german] == ["billing-idle", "german-only"]
    assert prompt_set.prompts_for("/checkout", None, None, today) == []  # the sale has ended
    assert [p.id for p in prompt_set.prompts_for("/checkout", None, None, date(2020, 1, 15))] == [
        "winter-sale"
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            "seconds: 20}",
            "6: prompts[0] (billing-idle).trigger.seconds: Input should be greater than 0",
        ),
        ("type: idle, seconds: 20}", "6: prompts[0] (billing-idle).trigger: Input tag 'nap'"),
        (
            "[/settings/billing*]\n    trigger: {type: idle",
            "5: prompts[0] (billing-idle).pages: Value error, page pattern 'settings' must start",
        ),
        (
            "message: Need help with billing?",
            "8: prompts[0] (billing-idle).colour: Extra inputs are not permitted",
        ),
        (
            "holdout: 10",
            "10: prompts[0] (billing-idle).holdout: Input should be less than or equal to 90",
        ),
    ],
)
def test_errors_name_the_line_and_the_field(tmp_path: Path, change: str, expected: str) -> None:
    replacements = {
        "seconds: 20}": "seconds: -20}",
        "type: idle, seconds: 20}": "type: nap, seconds: 20}",
        "[/settings/billing*]\n    trigger: {type: idle": "[settings]\n    trigger: {type: idle",
        "message: Need help with billing?": "message: Need help with billing?\n    colour: red",
        "holdout: 10": "holdout: 95",
    }
    text = GOOD.replace(change, replacements[change], 1)
    found = errors_of(tmp_path, text)
    assert any(e.startswith(expected) for e in found), found


def test_more_errors_are_reported_together(tmp_path: Path) -> None:
    text = (
        GOOD.replace("seconds: 3}", "seconds: 3, extra: 1}").replace(
            "name: checkout_opened", "name: 'has spaces'"
        )
        + "  - id: billing-idle\n    pages: [/x]\n"
        + "    trigger: {type: click, selector: 'div['}\n    message: x\n"
    )
    found = errors_of(tmp_path, text)
    assert any(e.startswith("13: prompts[1] (projects-board).trigger.extra") for e in found), found
    assert any("prompts[2] (winter-sale).trigger.name" in e for e in found), found
    assert any("not a valid CSS selector: 'div['" in e for e in found), found


def test_duplicate_ids_bad_yaml_and_dates_out_of_order(tmp_path: Path) -> None:
    duplicate = (
        GOOD
        + "  - id: winter-sale\n    pages: [/x]\n    trigger: {type: exit_intent}\n    message: x\n"
    )
    assert errors_of(tmp_path, duplicate) == ["28: duplicate prompt id 'winter-sale'"]
    assert errors_of(tmp_path, "prompts:\n  - id: [unclosed\n")[0].startswith("3: invalid YAML")
    backwards = GOOD.replace("end: 2020-02-01", "end: 2019-02-01")
    assert any("end (2019-02-01) is before start" in e for e in errors_of(tmp_path, backwards))
    assert errors_of(tmp_path, "- just a list\n") == [
        "1: the file must be a mapping with `prompts:`"
    ]


def test_a_broken_edit_leaves_the_last_good_set_serving(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    live = LivePrompts(path)
    assert len(live.current().prompts) == 4
    path.write_text(GOOD.replace("seconds: 20}", "seconds: -2}"))  # same size, same tick
    assert len(live.current().prompts) == 4
    assert live.error is not None and "seconds" in str(live.error)
    path.write_text(GOOD.replace("priority: 9", "priority: 1"))
    current = live.current()
    assert live.error is None and current.prompts[1].priority == 1
    path.write_text("prompts: []\n")  # how to serve none
    assert live.current().prompts == () and live.error is None


@pytest.mark.parametrize("breakage", ["a directory", "an empty file", "no file"])
def test_a_directory_an_empty_file_or_no_file_keeps_the_last_good_set_and_healthz_says_why(
    client: TestClient[Any], tmp_path: Path, breakage: str
) -> None:
    path = tmp_path / "prompts.yaml"
    page = {"url": "https://app.example.com/settings/billing", "locale": "en"}
    assert client.get("/api/v1/prompts", params=page).json()["prompts"][0]["id"] == "billing-idle"
    path.unlink()
    if breakage == "a directory":
        path.mkdir()
    elif breakage == "an empty file":
        path.write_text("")
    response = client.get("/api/v1/prompts", params=page)
    assert response.status_code == 200, response.text
    assert response.json()["prompts"][0]["id"] == "billing-idle"  # the last good set
    health = client.get("/healthz")
    assert health.status_code == 200, health.text
    prompts = health.json()["prompts"]
    assert prompts["prompts"] == 4
    assert prompts["error"] and str(path) in prompts["error"]
    if path.is_dir():
        path.rmdir()
    path.write_text(GOOD)
    assert client.get("/healthz").json()["prompts"]["error"] is None  # mended


def test_a_directory_at_the_prompts_path_at_start_serves_none_and_says_why(
    tmp_path: Path,
) -> None:
    (tmp_path / "prompts.yaml").mkdir()
    settings = Settings(data_dir=tmp_path / "data", prompts_file=tmp_path / "prompts.yaml")
    with TestClient(create_app(settings, embedder=FakeEmbedder())) as client:
        response = client.get("/api/v1/prompts", params={"url": "/settings/billing"})
        assert response.status_code == 200 and response.json()["prompts"] == []
        health = client.get("/healthz")
        assert health.status_code == 200 and "directory" in health.json()["prompts"]["error"]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient[Any]]:
    settings = Settings(data_dir=tmp_path / "data", prompts_file=write(tmp_path, GOOD))
    with TestClient(create_app(settings, embedder=FakeEmbedder())) as client:
        yield client


def test_api_answers_the_prompts_of_a_page_with_an_etag(client: TestClient[Any]) -> None:
    page = {"url": "https://app.example.com/settings/billing", "locale": "en"}
    response = client.get("/api/v1/prompts", params=page)
    assert response.status_code == 200
    body = response.json()
    assert body["limits"] == {"per_visitor_per_day": 2}
    (prompt,) = body["prompts"]
    assert prompt["id"] == "billing-idle"
    assert prompt["trigger"] == {"type": "idle", "seconds": 20.0}
    assert prompt["holdout"] == 10 and prompt["cooldown_seconds"] == 86400
    assert prompt["questions"] == ["How do I change my plan?"]
    again = client.get(
        "/api/v1/prompts",
        params=page,
        headers={"if-none-match": response.headers["etag"]},
    )
    assert again.status_code == 304


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "http://[::1/settings"}, "url"),
        ({"url": "/x", "route": "no-slash"}, "route"),
        ({"url": "/x", "locale": "English"}, "locale"),
    ],
)
def test_api_refuses_bad_query_parameters(
    client: TestClient[Any], params: dict[str, str], field: str
) -> None:
    response = client.get("/api/v1/prompts", params=params)
    assert response.status_code == 400
    assert field in response.json()["detail"]


def test_check_validates_the_prompts_file_against_the_knowledge_base(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("onboarding-tasks-and-boards", "no-such-article"))
    result = subprocess.run(
        frontdesk("check", "--prompts", str(path)),
        env=cli_env(tmp_path / "data", SAMPLE_KB),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert f"{path}:15: prompt 'projects-board': unknown article 'no-such-article'" in result.stderr
    sample = subprocess.run(
        frontdesk("check", "--prompts", str(SAMPLE)),
        env=cli_env(tmp_path / "data", SAMPLE_KB),
        capture_output=True,
        text=True,
    )
    assert sample.returncode == 0, sample.stderr


def test_holdout_share_holds_over_many_visitors_and_is_stable_per_visitor() -> None:
    prompt = parse_prompts(SAMPLE).prompts[0]
    assert prompt.holdout == 10
    visitors = [f"visitor-{n}" for n in range(20_000)]
    groups = [holdout_group(v, prompt) for v in visitors]
    share = groups.count("holdout") / len(groups)
    # binomial: 3 standard deviations of a 10% share over 20,000 visitors is 0.64 points
    assert abs(share - 0.10) < 3 * (0.1 * 0.9 / len(groups)) ** 0.5
    assert groups == [holdout_group(v, prompt) for v in visitors]
    # independent across prompts: the same visitors split differently for another prompt
    other = parse_prompts(SAMPLE).prompts[1]
    assert [holdout_bucket(v, prompt.id) for v in visitors[:50]] != [
        holdout_bucket(v, other.id) for v in visitors[:50]
    ]
    assert holdout_bucket("visitor-1", "billing-idle") == 1_511  # the widget computes the same
