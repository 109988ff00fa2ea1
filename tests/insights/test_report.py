"""The weekly report is sent once, after its week, to the webhook and the inbox."""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import date
from pathlib import Path

import markdown
from markdown_it import MarkdownIt

from server.insights.job import build_statistics_job
from server.platform.database import create_database_engine, migrate
from server.services import services_of
from server.settings import Settings
from server.tables import events
from tests.fakes import FakeEmbedder
from tests.receivers import http_receiver, smtp_receiver
from tests.seeded_history import ms, seed
from tests.sessions import Client


def test_last_weeks_report_goes_out_once_on_monday(tmp_path: Path) -> None:
    with http_receiver() as hook, smtp_receiver() as (smtp_url, inbox):
        settings = Settings(
            data_dir=tmp_path,
            notify_webhook_url=hook.url + "/report",
            webhook_secret="s3cret",
            smtp_url=smtp_url,
            notify_email_to="product@example.com",
        )
        engine = create_database_engine(settings)
        migrate(engine)
        seed(engine)
        job = build_statistics_job(settings, engine, FakeEmbedder().embed)
        job.rebuild(ms(date(2026, 11, 20)))
        sunday, monday = ms(date(2026, 10, 11), 23), ms(date(2026, 10, 12), 9)
        assert job.reports.send_due("a", sunday) is not None  # the week before: W40
        assert job.reports.send_due("a", monday) == date(2026, 10, 5)
        assert job.reports.send_due("b", monday + 3_600_000) is None  # already sent
        sent = [r for r in hook.requests if r.json()["week"] == "2026-W41"]
        assert len(sent) == 1
        body = sent[0].json()
        assert body["type"] == "weekly_report"
        assert "| Questions asked | 6 | 0 |" in body["markdown"]
        expected = hmac.new(b"s3cret", sent[0].body, hashlib.sha256).hexdigest()
        assert sent[0].headers["X-Frontdesk-Signature"] == f"sha256={expected}"
        mails = [m for m in inbox if m["Subject"] == "Frontdesk weekly report 2026-W41"]
        assert len(mails) == 1 and mails[0]["To"] == "product@example.com"
        assert "| Tickets | 2 | 0 |" in mails[0].get_payload()
        engine.dispose()


def test_a_report_that_could_not_be_sent_is_tried_again(tmp_path: Path) -> None:
    with http_receiver() as hook:
        settings = Settings(data_dir=tmp_path, notify_webhook_url=hook.url)
        engine = create_database_engine(settings)
        migrate(engine)
        job = build_statistics_job(settings, engine, FakeEmbedder().embed)
        monday = ms(date(2026, 10, 12), 9)
        hook.status = 503
        assert job.reports.send_due("a", monday) is None
        hook.status = 200
        assert job.reports.send_due("a", monday + 60_000) == date(2026, 10, 5)
        assert len(hook.requests) == 2
        engine.dispose()


HOSTILE_PAGE = "https://app.example.com/[x](https://evil.example)/<img/src=x/onerror=alert(1)>"
HOSTILE_ROUTE = "/a`</code><img src=x onerror=alert(1)>` **bold** [x](https://evil.example)"


def test_the_report_shows_what_users_and_hosts_sent_as_text_never_as_markdown_or_html(
    client: Client,
) -> None:
    """Pages, routes an older server stored, questions: nothing in them makes a link, an
    image, HTML or emphasis when the report's markdown is rendered."""
    now = int(time.time() * 1000)
    common = {"session_id": "s-hostile", "visitor_id": "v-hostile", "ts": now - 60_000}
    batch = [
        {"type": "question_asked", "id": f"hostile-{n:04d}", "page_url": HOSTILE_PAGE,
         "question": "**bold** <script>alert(1)</script> [x](https://evil.example)",
         "status": "no_answer", **common}
        for n in range(3)
    ]  # fmt: skip
    assert client.post("/api/v1/events", json={"site": "acme", "events": batch}).status_code == 200
    planted = {**batch[0], "id": "hostile-route", "route": HOSTILE_ROUTE}  # stored before
    with services_of(client.app).engine.begin() as db:
        db.execute(
            events.insert(),
            {
                "id": planted["id"],
                "site": "acme",
                "type": "question_asked",
                "session_id": "s-hostile",
                "visitor_id": "v-hostile",
                "page_url": HOSTILE_PAGE,
                "route": HOSTILE_ROUTE,
                "ts": now - 30_000,
                "received_at": now,
                "data": {
                    "question": planted["question"],
                    "request_id": None,
                    "status": "no_answer",
                },
            },
        )
    services_of(client.app).statistics.run_once(now)
    response = client.get(
        "/api/v1/admin/report",
        params={"week": date.today().isoformat()},
        headers={"Authorization": "Bearer admin-secret"},
    )
    assert response.status_code == 200, response.text
    assert "evil" in response.text and "onerror" in response.text  # they are in the report
    commonmark = MarkdownIt("commonmark").enable("table").render(response.text)
    python_markdown = markdown.markdown(response.text, extensions=["tables"])
    for html in (commonmark, python_markdown):
        for made in ("<img", "<script", "<a ", "<em>", "<strong>bold</strong>"):
            assert made not in html, f"{made} in {html}"
    # CommonMark shows each as the text that was sent: pages as code, questions as text
    assert "<code>/[x](https://evil.example)/&lt;img/src=x/onerror=alert(1)&gt;</code>" in (
        commonmark
    )
    route = "/a`&lt;/code&gt;&lt;img src=x onerror=alert(1)&gt;` **bold** [x](https://evil.example)"
    assert f"<code>{route}</code>" in commonmark
    asked = "**bold** &lt;script&gt;alert(1)&lt;/script&gt; [x](https://evil.example)"
    assert asked in commonmark
