"""The admin API: the deflection log exported with filters, as JSON and CSV, behind the token."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import pytest
from litestar.testing import TestClient

from server.admin.exports import csv_text
from server.app import create_app
from server.services import services_of
from server.settings import Settings
from server.tables import events
from tests.fakes import FakeEmbedder
from tests.sessions import ADMIN, DAY, T0, Client, log_of, seeded, send


def test_export_as_json_and_csv_with_filters(client: Client) -> None:
    seeded(client)
    log_of(client).run_once("test", now=T0 + 2 * DAY)
    everything = client.get("/api/v1/admin/deflections", headers=ADMIN)
    assert everything.status_code == 200
    assert everything.json()["count"] == 6
    row = next(r for r in everything.json()["deflections"] if r["session_id"] == "s-confirmed")
    assert row["questions"] == ["How do I change my plan?"]
    assert row["answers"] == [{"article_id": "billing-change-plan", "section": "Steps"}]
    assert row["started_at"] == "2025-11-24T00:00:00Z" and row["visitor_id"] == "v1"
    billing = client.get(
        "/api/v1/admin/deflections", params={"page": "/settings/billing*"}, headers=ADMIN
    )
    assert {r["session_id"] for r in billing.json()["deflections"]} == {
        "s-confirmed",
        "s-implied",
        "s-ticket",
        "s-later",
    }
    next_day = client.get(
        "/api/v1/admin/deflections",
        params={"start": "2025-11-25", "end": "2025-11-25"},
        headers=ADMIN,
    )
    assert [r["session_id"] for r in next_day.json()["deflections"]] == ["s-later"]
    tickets_only = client.get(
        "/api/v1/admin/deflections", params={"outcome": "ticket", "format": "csv"}, headers=ADMIN
    )
    assert tickets_only.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(tickets_only.text)))
    assert {r["session_id"] for r in table} == {"s-ticket", "s-later"}
    assert table[0]["questions"].startswith('["')


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "yesterday"}, "start"),
        ({"start": "2025-11-25", "end": "2025-11-01"}, "end"),
        ({"outcome": "won"}, "outcome"),
        ({"page": "no-slash"}, "page"),
        ({"format": "xml"}, "format"),
        ({"end": "0001-01-01"}, "end"),
        ({"start": "9999-12-31"}, "start"),
    ],
)
def test_bad_export_filters_get_a_400(client: Client, params: dict[str, str], field: str) -> None:
    response = client.get("/api/v1/admin/deflections", params=params, headers=ADMIN)
    assert response.status_code == 400 and field in response.text


def test_admin_api_needs_the_token(client: Client, tmp_path: Path) -> None:
    assert client.get("/api/v1/admin/deflections").status_code == 401
    wrong = client.get("/api/v1/admin/deflections", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert client.delete("/api/v1/admin/visitors/v1").status_code == 401
    closed = Settings(data_dir=tmp_path / "closed")
    with TestClient(create_app(closed, embedder=FakeEmbedder())) as other:
        response = other.get("/api/v1/admin/deflections", headers=ADMIN)
        assert response.status_code == 403 and "FRONTDESK_ADMIN_TOKEN" in response.json()["detail"]


FIGURES = ("overview", "pages", "articles", "prompts", "questions", "gaps", "spikes", "alerts")


def test_events_an_older_server_stored_far_in_the_future_break_no_export(client: Client) -> None:
    """Events dated near 2^53 ms (year 285,000) were accepted once; they are still stored."""
    now = int(time.time() * 1000)
    planted = [
        ("question_asked", {"question": "far away", "request_id": "r-far", "status": "answered"}),
        ("answer_shown", {"request_id": "r-far", "article_id": "billing", "section": ""}),
        ("feedback", {"request_id": "r-far", "article_id": "billing", "helpful": True}),
    ]
    rows = [
        {
            "id": f"far-future-{step:04d}",
            "site": "acme",
            "type": kind,
            "session_id": "s-far",
            "visitor_id": "v-far",
            "page_url": "/settings/billing",
            "route": None,
            "ts": 2**53 - 10 + step,
            "received_at": now,
            "data": data,
        }
        for step, (kind, data) in enumerate(planted)
    ]
    with services_of(client.app).engine.begin() as db:
        db.execute(events.insert(), rows)
    assert client.post("/api/v1/admin/deflections/rebuild", headers=ADMIN).status_code == 200
    for format in ("json", "csv"):
        response = client.get("/api/v1/admin/deflections", params={"format": format}, headers=ADMIN)
        assert response.status_code == 200, response.text
        assert "s-far" in response.text
        for name in FIGURES:
            figure = client.get(f"/api/v1/admin/{name}", params={"format": format}, headers=ADMIN)
            assert figure.status_code == 200, f"{name} ({format}): {figure.text}"


FORMULAS = [
    '=HYPERLINK("http://evil.example","click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
]


def test_csv_exports_neutralize_cells_a_spreadsheet_would_run_as_formulas(client: Client) -> None:
    for number, question in enumerate(FORMULAS):
        session, at = f"s-formula-{number}", T0 + number * 10_000
        send(client, session, "v-formula", at, "question_asked", question=question,
             request_id=f"r-{number}", status="no_answer")  # fmt: skip
        send(client, session, "v-formula", at + 1, "feedback", request_id=f"r-{number}",
             article_id=None, helpful=True)  # fmt: skip
    assert client.post("/api/v1/admin/deflections/rebuild", headers=ADMIN).status_code == 200
    cells: list[str] = []
    for name in ("deflections", "questions", "gaps", "pages", "overview"):
        response = client.get(
            f"/api/v1/admin/{name}",
            params={"format": "csv", "start": "2025-11-01", "end": "2025-11-30"},
            headers=ADMIN,
        )
        assert response.status_code == 200, response.text
        cells += [cell for row in csv.reader(io.StringIO(response.text)) for cell in row]
    assert [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")] == []
    shown = {c for c in cells if c.startswith("'")}
    assert shown >= {"'" + q.lower() for q in FORMULAS[:4]}  # the questions table


def test_the_csv_writer_prefixes_every_formula_cell_and_leaves_numbers_alone() -> None:
    row = {f"c{n}": text for n, text in enumerate(FORMULAS)} | {"n": -5, "x": 1.5, "s": "-5"}
    (written,) = list(csv.DictReader(io.StringIO(csv_text([row]))))
    assert [written[f"c{n}"] for n in range(len(FORMULAS))] == ["'" + f for f in FORMULAS]
    assert (written["n"], written["x"], written["s"]) == ("-5", "1.5", "-5")


@pytest.mark.parametrize("week", ["9999-W52", "0001-W01", "9999-12-31", "0001-01-01", "1969-W52"])
def test_a_report_week_at_the_calendars_ends_is_a_400_naming_the_week(
    client: Client, week: str
) -> None:
    response = client.get("/api/v1/admin/report", params={"week": week}, headers=ADMIN)
    assert response.status_code == 400, response.text
    assert response.json()["detail"].startswith("week: ")


def test_a_page_filter_with_stars_answers_at_once_over_long_planted_pages(client: Client) -> None:
    page = "/" + "a" * 2000
    for number in range(20):
        session, at = f"s-long-{number}", T0 + number * 10_000
        send(client, session, "v-long", at, "question_asked", page=page, question="long",
             request_id=f"r-{number}", status="no_answer")  # fmt: skip
        send(client, session, "v-long", at + 1, "feedback", page=page, request_id=f"r-{number}",
             article_id=None, helpful=True)  # fmt: skip
    assert client.post("/api/v1/admin/deflections/rebuild", headers=ADMIN).status_code == 200
    started = time.perf_counter()
    for name in ("deflections", "pages", "overview"):
        response = client.get(f"/api/v1/admin/{name}", params={"page": "/a*a*a*b"}, headers=ADMIN)
        assert response.status_code == 200, response.text
    assert time.perf_counter() - started < 5
