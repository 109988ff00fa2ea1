"""The weekly report is sent once, after its week, to the webhook and the inbox."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date
from pathlib import Path

from server.insights.job import build_statistics_job
from server.platform.database import create_database_engine, migrate
from server.settings import Settings
from tests.fakes import FakeEmbedder
from tests.receivers import http_receiver, smtp_receiver
from tests.seeded_history import ms, seed


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
