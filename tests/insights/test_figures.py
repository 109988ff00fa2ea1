"""Every dashboard figure on a seeded history (tests/seeded_history.py), worked out by hand.

The JSON API is checked figure by figure on SQLite and PostgreSQL; gaps are clustered with
the real embedding model.
"""

from __future__ import annotations

import csv
import io
import math
import re
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from litestar.testing import TestClient
from sqlalchemy import select

from ingest.embedding import SentenceTransformerEmbedder
from server.app import create_app
from server.insights.breakdowns import ArticleMeta, articles, stale
from server.insights.overview import overview
from server.insights.scope import Scope
from server.platform.database import create_database_engine, migrate
from server.platform.days import day_number
from server.platform.locks import release_lease
from server.services import services_of
from server.settings import Settings
from server.tables import daily_counts
from tests.conftest import SAMPLE_KB, cli_env, frontdesk
from tests.receivers import HttpReceiver, http_receiver
from tests.seeded_history import SPIKE_WEEK, WEEK_A, WEEK_B, ms, seed

Client = TestClient[Any]
TOKEN = "seeded-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
A = {"start": "2026-10-05", "end": "2026-10-11"}
B = {"start": "2026-10-12", "end": "2026-10-18"}
NOW = ms(date(2026, 11, 20))


@pytest.fixture(scope="module")
def receiver() -> Iterator[HttpReceiver]:
    with http_receiver() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def client(
    module_database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    real_embedder: SentenceTransformerEmbedder,
    receiver: HttpReceiver,
) -> Iterator[Client]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("data"),
        database_url=module_database_url,
        admin_token=TOKEN,
        minutes_per_ticket=30,
        cost_per_ticket=10,
        team_daily_capacity=0.5,
        alert_max_daily_tickets=1,
        notify_webhook_url=receiver.url + "/alerts",
        prompts_file=Path("/nonexistent/prompts.yaml"),
    )
    app = create_app(settings, embedder=real_embedder)
    with TestClient(app) as client:
        seed(services_of(client.app).engine)
        services_of(client.app).statistics.rebuild(NOW)
        yield client


def get(client: Client, path: str, **params: str) -> Any:
    response = client.get(f"/api/v1/admin/{path}", params=params, headers=AUTH)
    assert response.status_code == 200, response.text
    return response.json()


def test_overview_counts_deflections_tickets_and_rates(client: Client) -> None:
    body = get(client, "overview", **A)
    totals = body["overview"]["totals"]
    # confirmed: s1, s6; implied: s2; tickets: s3, s7; abandoned: s4 (suggestions), s5 ("No")
    assert totals["deflected_confirmed"] == 2
    assert totals["deflected_implied"] == 1
    assert totals["tickets"] == 2
    assert totals["abandoned"] == 2
    assert (totals["questions"], totals["answered"]) == (6, 4)
    assert (totals["suggested"], totals["no_answer"]) == (1, 1)
    assert (totals["helpful"], totals["not_helpful"]) == (2, 1)
    overview = body["overview"]
    assert overview["deflection_rate"] == pytest.approx(3 / 5)  # 3 / (3 + 2 tickets)
    assert overview["resolution_rate"] == pytest.approx(3 / 7)  # 3 of 7 sessions
    assert overview["no_answer_share"] == pytest.approx(1 / 6)
    assert overview["helpfulness"] == pytest.approx(2 / 3)
    monday, tuesday = overview["daily"][0], overview["daily"][1]
    assert (monday["deflected_confirmed"], monday["deflected_implied"], monday["tickets"]) == (
        1,
        1,
        0,
    )
    assert tuesday["tickets"] == 2
    assert len(overview["daily"]) == 7 and len(overview["weekly"]) == 1
    assert overview["weekly"][0]["deflection_rate"] == pytest.approx(0.6)


def test_the_page_filter_narrows_every_figure(client: Client) -> None:
    billing = get(client, "overview", page="/settings/billing*", **A)["overview"]
    assert billing["totals"]["questions"] == 4
    assert billing["totals"]["tickets"] == 2
    assert billing["deflection_rate"] == pytest.approx(3 / 5)
    board = get(client, "overview", page="/projects/*", **A)["overview"]
    assert board["totals"]["questions"] == 2
    assert board["deflection_rate"] is None  # nothing deflected, no ticket
    assert get(client, "overview", page="/nowhere", **A)["overview"]["totals"] == {}


def test_per_page_article_and_prompt_tables(client: Client) -> None:
    pages = {row["key"]: row for row in get(client, "pages", **A)["pages"]}
    billing, board = pages["/settings/billing"], pages["/projects/:id/board"]
    assert (billing["questions"], billing["answers"], billing["deflections"]) == (4, 3, 3)
    assert (billing["tickets"], billing["helpful"], billing["not_helpful"]) == (2, 2, 0)
    assert (board["questions"], board["answers"], board["deflections"]) == (2, 1, 0)
    assert (board["tickets"], board["helpful"], board["not_helpful"]) == (0, 0, 1)

    rows = {row["key"]: row for row in get(client, "articles", **A)["articles"]}
    card, sync = rows["billing-card"], rows["data-sync"]
    # billing-card: the answer in s1, s2, s6 and a suggestion in s4
    assert (card["questions"], card["answers"], card["deflections"], card["tickets"]) == (
        4,
        3,
        3,
        0,
    )
    assert (card["helpful"], card["not_helpful"]) == (2, 0)
    assert (sync["questions"], sync["answers"], sync["deflections"]) == (2, 1, 0)
    assert (sync["helpful"], sync["not_helpful"]) == (0, 1)

    prompts = {p["row"]["key"]: p for p in get(client, "prompts", **A)["prompts"]}
    card_prompt = prompts["billing-card"]
    assert (card_prompt["eligible"], card_prompt["shown"], card_prompt["clicked"]) == (1, 1, 1)
    row = card_prompt["row"]
    assert (row["questions"], row["answers"], row["deflections"], row["helpful"]) == (1, 1, 1, 1)


def wilson(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def test_holdout_difference_interval_and_verdict(client: Client) -> None:
    prompts = {p["row"]["key"]: p for p in get(client, "prompts", **B)["prompts"]}
    holdout = prompts["billing-holdout"]["holdout"]
    assert (holdout["shown_visitors"], holdout["shown_tickets"]) == (40, 4)
    assert (holdout["holdout_visitors"], holdout["holdout_tickets"]) == (40, 12)
    assert holdout["difference"] == pytest.approx(0.1 - 0.3)
    # Newcombe's hybrid score interval from the two Wilson intervals
    l1, u1 = wilson(4, 40)
    l2, u2 = wilson(12, 40)
    low = -0.2 - math.sqrt((0.1 - l1) ** 2 + (u2 - 0.3) ** 2)
    high = -0.2 + math.sqrt((u1 - 0.1) ** 2 + (0.3 - l2) ** 2)
    assert holdout["low"] == pytest.approx(low, abs=1e-9)
    assert holdout["high"] == pytest.approx(high, abs=1e-9)
    assert high < 0
    assert holdout["verdict"] == "reduces tickets"
    # in week A the prompt had no holdout at all
    week_a = {p["row"]["key"]: p for p in get(client, "prompts", **A)["prompts"]}
    assert week_a["billing-card"]["holdout"]["verdict"] == "no data yet"


def test_articles_that_rarely_help_and_stale_ones(client: Client) -> None:
    body = get(client, "articles", **B)
    assert [r["key"] for r in body["rarely_helpful"]] == ["data-sync"]
    assert body["rarely_helpful"][0]["helpfulness"] == pytest.approx(2 / 12)
    engine = services_of(client.app).engine
    meta = {
        "billing-card": ArticleMeta("Change your card", "/help/card", "2020-01-01"),
        "data-sync": ArticleMeta("Sync", "/help/sync", "2026-10-01"),
    }
    scope = Scope(day_number(WEEK_A), day_number(WEEK_B) + 6)
    rows = articles(engine, scope, meta, today=date(2026, 10, 18))
    assert [r.key for r in stale(rows, stale_after_days=365)] == ["billing-card"]


def test_gaps_are_clustered_by_meaning_with_pages_and_a_draft(client: Client) -> None:
    body = get(client, "gaps", **A)
    clusters = body["clusters"]
    assert [c["count"] for c in clusters] == [2, 1]
    quickbooks, board = clusters
    assert {q for q, _ in quickbooks["questions"]} == {"export to quickbooks", "quickbooks export"}
    assert quickbooks["reasons"] == {"no_answer": 1, "suggested": 1}
    assert {p for p, _ in quickbooks["pages"]} == {"/settings/billing", "/projects/:id/board"}
    assert board["questions"] == [["why is the board so slow", 1]]
    assert board["reasons"] == {"not_helpful": 1}
    front_matter = yaml.safe_load(quickbooks["draft"].split("---")[1])
    assert front_matter["questions"] and set(front_matter["questions"]) <= {
        "export to quickbooks",
        "quickbooks export",
    }
    assert front_matter["pages"] and front_matter["title"]
    by_page = {p["page"]: p["gaps"] for p in body["by_page"]}
    assert by_page == {"/projects/:id/board": 2, "/settings/billing": 1}


def test_top_questions_are_grouped_lower_case(client: Client) -> None:
    questions = get(client, "questions", **A)["questions"]
    assert len(questions) == 6 and all(q["count"] == 1 for q in questions)
    assert {"quickbooks export", "export to quickbooks"} <= {q["question"] for q in questions}
    spike_week = {"start": "2026-09-21", "end": "2026-09-27"}
    top = get(client, "questions", **spike_week)["questions"][0]
    assert top == {"question": "how do i export a report", "count": 20}


def test_a_page_far_above_its_usual_weekly_level_is_a_spike(client: Client) -> None:
    end = SPIKE_WEEK.replace(day=27).isoformat()
    body = get(client, "spikes", start="2026-09-01", end=end)
    spikes = [(s["kind"], s["key"], s["this_week"], s["usual"]) for s in body["spikes"]]
    assert spikes == [("page", "/reports", 20, 2.0)]  # /home stays at 5 a week
    assert "Poisson" in body["test"]


def test_savings_and_backlog_projection(client: Client) -> None:
    savings = get(client, "savings", **A)["savings"]
    assert savings["tickets_avoided"] == 3
    assert savings["hours_saved"] == pytest.approx(3 * 30 / 60)
    assert savings["cost_saved"] == pytest.approx(30)
    assert savings["daily_tickets"] == pytest.approx(2 / 7)
    assert savings["daily_without"] == pytest.approx(5 / 7)
    assert savings["backlog_with"] == [0.0] * 28  # 2/7 a day against 0.5 closed
    assert savings["backlog_without"][-1] == pytest.approx(28 * (5 / 7 - 0.5))


def test_alerts_fire_once_per_day_and_are_delivered(client: Client, receiver: HttpReceiver) -> None:
    checker = services_of(client.app).statistics.alerts
    tuesday_evening = ms(date(2026, 10, 6), 20)
    assert checker.check(tuesday_evening) == 1  # 2 tickets that day, above 1
    assert checker.check(tuesday_evening) == 0
    alerts = get(client, "alerts", **A)["alerts"]
    assert [(a["kind"], a["value"], a["delivered"]) for a in alerts] == [
        ("ticket_volume_high", 2.0, True)
    ]
    sent = [r.json() for r in receiver.requests if r.path == "/alerts"]
    assert [s["alert"]["kind"] for s in sent if s["type"] == "alert"][-1:] == ["ticket_volume_high"]
    assert len([s for s in sent if s["type"] == "alert"]) <= 2  # at most once per database


def test_weekly_report_lists_the_weeks_recurring_issues(client: Client) -> None:
    response = client.get("/api/v1/admin/report", params={"week": "2026-W41"}, headers=AUTH)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/markdown")
    report = response.text
    assert "2026-W41 (2026-10-05 to 2026-10-11)" in report
    assert "| Questions asked | 6 | 0 |" in report
    assert "| Tickets | 2 | 0 |" in report
    assert "| Deflection rate | 60% | — |" in report
    assert "2 questions (new from 0)" in report
    assert "`/settings/billing` (1)" in report and "`/projects/:id/board` (1)" in report
    assert "- billing: 1" in report and "- account: 1" in report


def test_user_text_in_the_report_is_inert_markdown(client: Client) -> None:
    report = client.get(
        "/api/v1/admin/report", params={"week": WEEK_B.isoformat()}, headers=AUTH
    ).text
    assert not re.search(r"(?<!\\)<img", report) and "](http" not in report
    assert "\\<img src=x onerror=alert\\(1\\)\\>" in report


def test_tables_come_as_csv(client: Client) -> None:
    response = client.get("/api/v1/admin/pages", params={**A, "format": "csv"}, headers=AUTH)
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    billing = next(r for r in rows if r["key"] == "/settings/billing")
    assert (billing["questions"], billing["tickets"]) == ("4", "2")
    days = list(
        csv.DictReader(
            io.StringIO(
                client.get(
                    "/api/v1/admin/overview", params=A, headers={**AUTH, "Accept": "text/csv"}
                ).text
            )
        )
    )
    assert [d["tickets"] for d in days] == ["0", "2", "0", "0", "0", "0", "0"]
    for name in ("articles", "prompts", "questions", "gaps", "spikes", "alerts"):
        response = client.get(f"/api/v1/admin/{name}", params={**A, "format": "csv"}, headers=AUTH)
        assert response.status_code == 200 and response.text.count("\n") >= 1, name


def test_bad_filters_are_400_naming_the_parameter(client: Client) -> None:
    cases = [
        ("overview", {"start": "2026-10-11", "end": "2026-10-05"}, "end"),
        ("pages", {"page": "settings"}, "page"),
        ("gaps", {"start": "2020-01-01", "end": "2026-01-01"}, "start"),
        ("report", {"week": "last tuesday"}, "week"),
        ("overview", {"start": "yesterday"}, "start"),
    ]
    for path, params, field in cases:
        response = client.get(f"/api/v1/admin/{path}", params=params, headers=AUTH)
        assert response.status_code == 400, (path, response.text)
        assert field in response.json()["detail"], response.text
    assert client.get("/api/v1/admin/overview").status_code == 401


def test_the_scheduled_pass_and_a_rebuild_agree(client: Client) -> None:
    engine = services_of(client.app).engine

    def snapshot() -> list[tuple[Any, ...]]:
        with engine.connect() as db:
            return sorted(tuple(r) for r in db.execute(select(daily_counts)).all())

    rebuilt = snapshot()
    job = services_of(client.app).statistics
    with engine.begin() as db:
        db.execute(daily_counts.delete())
    release_lease(engine, "statistics", job.owner, 0)  # as if no pass had ever run
    assert job.run_once(NOW)
    assert snapshot() == rebuilt


def test_frontdesk_admin_rebuild_computes_the_statistics_from_the_command_line(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    engine = create_database_engine(Settings(data_dir=data))
    migrate(engine)
    seed(engine)
    done = subprocess.run(
        frontdesk("admin", "rebuild"), env=cli_env(data, SAMPLE_KB), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("rebuilt in ") and " gaps" in done.stdout
    scope = Scope(day_number(WEEK_A), day_number(WEEK_A) + 6)
    totals = overview(engine, scope).totals
    assert (totals["questions"], totals["tickets"], totals["deflected_confirmed"]) == (6, 2, 2)
    engine.dispose()


def test_the_weekly_report_of_some_pages_only(client: Client) -> None:
    params = {"week": "2026-W41", "page": "/projects/*"}
    report = client.get("/api/v1/admin/report", params=params, headers=AUTH).text
    assert "| Questions asked | 2 | 0 |" in report and "| Tickets | 0 | 0 |" in report
