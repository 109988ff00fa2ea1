"""A sweep that plants hostile values in every field a client can fill and that is stored,
then reads every dashboard page, every export and the weekly report: nothing is
interpreted. HTML shows each value as text, CSV never starts a cell with a formula,
markdown renders no link, image, HTML or emphasis, and no template runs."""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import markdown
import pytest
from litestar.testing import TestClient
from markdown_it import MarkdownIt

from server.app import create_app
from server.services import services_of
from server.settings import Settings
from tests.fakes import FakeEmbedder

Client = TestClient[Any]
PASSWORD = "correct horse battery"
ADMIN = {"Authorization": "Bearer admin-secret"}
HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "<svg/onload=alert(3)>",
    '=HYPERLINK("http://evil.example","4")',
    "+5+5",
    "-6+6",
    "@SUM(7,7)",
    "\t=8+8",
    "[nine](javascript:alert(9))",
    "![ten](http://evil.example/10.png)",
    "**eleven** _twelve_ `thirteen`",
    "{{ 7 * 191 }} {% raw %}",
    "${7*191} #{7*191}",
    "&lt;b&gt;entity&lt;/b&gt; &#60;i&#62;",
    "'; DROP TABLE events; --",
    "\u202eevil\u202c \u200bzero width",
    "../../../../etc/passwd",
    "https://evil.example/phish",
]
# a page path and a route may hold some of it (a path has no spaces; a route is path-like)
HOSTILE_PATHS = [
    "/<script>alert(1)</script>",
    "/%22%3E%3Cimg%20src=x%3E",
    "/[x](javascript:alert(9))",
    "/`code`/**bold**",
    "/=1+1",
]
HOSTILE_ROUTES = ["/[x](javascript:alert(9))", "/**bold**/_i_", "/=1+1/@a", "/{{7*191}}"]
# what would show that a planted value was taken as markup, a link or a template
INTERPRETED = ("<script>alert", "<img src=x", "<svg/onload", 'href="javascript', "1337")
MARKDOWN_MADE = ("<a ", "<img", "<script", "<svg", "<em>", "<strong>eleven", "<i>", "<b>")


@pytest.fixture
def client(tmp_path: Path, database_url: str) -> Iterator[Client]:
    settings = Settings(data_dir=tmp_path, database_url=database_url, admin_token="admin-secret")
    with TestClient(
        create_app(settings, embedder=FakeEmbedder()), base_url="https://testserver.local"
    ) as client:
        services_of(client.app).users.create("lead@example.com", PASSWORD, "admin")
        yield client


def plant(client: Client) -> None:
    """Every hostile value in every stored field: events of each kind, and tickets."""
    now = int(time.time() * 1000) - 3_600_000
    numbers = iter(range(10_000))

    def event(kind: str, session: str, page: str, route: str | None, **data: Any) -> dict[str, Any]:
        return {
            "type": kind,
            "id": f"hostile-{next(numbers):06d}",
            "session_id": session,
            "visitor_id": f"v-{session}",
            "page_url": f"https://app.example.com{page}?q={page}#{page}",
            "route": route,
            "ts": now + next(numbers),
            **data,
        }

    for number, text in enumerate(HOSTILE):
        session = f"s-{number}"
        page = HOSTILE_PATHS[number % len(HOSTILE_PATHS)]
        route = HOSTILE_ROUTES[number % len(HOSTILE_ROUTES)] if number % 2 else None
        batch = [
            event("prompt_clicked", session, page, route, prompt_id="billing-help",
                  action="question", target=text),
            event("question_asked", session, page, route, question=text, status="no_answer",
                  request_id=f"r-{number}"),
            event("no_answer_shown", session, page, route, request_id=f"r-{number}"),
            event("question_asked", session, page, route, question=text + " again",
                  status="answered", request_id=f"q-{number}"),
            event("answer_shown", session, page, route, request_id=f"q-{number}",
                  article_id="billing-plan", section=text),
            event("feedback", session, page, route, request_id=f"q-{number}",
                  article_id="billing-plan", helpful=number % 3 == 0),
            event("page_changed", session, page, route, from_url=f"{page}?from={page}"),
        ]  # fmt: skip
        response = client.post("/api/v1/events", json={"site": "acme", "events": batch})
        assert response.status_code == 200, response.text
        ticket = {
            "site": "acme",
            "email": "dana@example.com",
            "name": text[:200],
            "message": text,
            "session_id": session,
            "visitor_id": f"v-{session}",
            "page_url": f"https://app.example.com{page}",
            "page": {"url": f"https://app.example.com{page}", "route": route, "title": text,
                     "context": {"plan": text[:200]}},
            "user": {"id": f"user-{number}", "name": text[:200], "traits": {"note": text}},
            "transcript": [{"role": "user", "text": text}],
        }  # fmt: skip
        created = client.post("/api/v1/tickets", json=ticket)
        assert created.status_code == 201, created.text
    services_of(client.app).statistics.rebuild()


def log_in(client: Client) -> None:
    token = re.search(r'name="_csrf_token" value="([^"]+)"', client.get("/admin/login").text)
    assert token
    form = {"email": "lead@example.com", "password": PASSWORD, "_csrf_token": token.group(1)}
    assert client.post("/admin/login", data=form, follow_redirects=False).status_code == 303


def test_hostile_values_in_every_stored_field_are_shown_never_interpreted(client: Client) -> None:
    plant(client)
    today = date.today()
    week = {"week": today.isoformat()}
    log_in(client)
    shown = ""
    for path in ("/admin/", "/admin/content", "/admin/gaps", "/admin/report"):
        for params in ({}, week, {"page": "/*"}):
            page = client.get(path, params=params)
            assert page.status_code == 200, f"{path} {params}: {page.text[:300]}"
            found = [n for n in INTERPRETED if n in page.text]  # 1337: {{ 7 * 191 }} ran
            assert found == [], (path, params, found)
            shown += page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown  # shown, as text

    report = client.get("/api/v1/admin/report", params=week, headers=ADMIN).text
    assert client.get("/admin/report.md", params=week).text == report
    for html in (
        MarkdownIt("commonmark").enable("table").render(report),
        markdown.markdown(report, extensions=["tables"]),
    ):
        found = [n for n in (*INTERPRETED, *MARKDOWN_MADE) if n in html]
        assert found == [], found

    exports = ["deflections", "overview", "pages", "articles", "prompts", "questions", "gaps",
               "spikes", "alerts"]  # fmt: skip
    cells = 0
    for name in exports:
        for fmt in ("json", "csv"):
            response = client.get(f"/api/v1/admin/{name}", params={"format": fmt}, headers=ADMIN)
            assert response.status_code == 200, f"{name} {fmt}: {response.text[:300]}"
            if fmt == "json":
                assert response.headers["content-type"].startswith("application/json")
                continue
            for row in csv.reader(io.StringIO(response.text)):
                for cell in row:
                    cells += 1
                    assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r"), (name, cell)
    assert cells > 100
