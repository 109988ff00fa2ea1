"""The dashboard in Chromium: log in, filter, read the figures of the seeded history."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from ingest.versions import EmbeddedVersions, IndexVersions
from server.admin.users import UserStore
from server.platform.database import create_database_engine, migrate
from server.settings import Settings
from tests.browser.conftest import FrontdeskServer, screenshot
from tests.seeded_history import seed
from tests.senders import GenericSender

PASSWORD = "correct horse battery"
TOKEN = "browser-token"
HELPDESK_SECRET = "browser-helpdesk-secret"


@pytest.fixture(scope="module")
def dashboard_server(
    tmp_path_factory: pytest.TempPathFactory, sample_index: IndexVersions
) -> Iterator[FrontdeskServer]:
    assert isinstance(sample_index, EmbeddedVersions)
    data_dir = tmp_path_factory.mktemp("dashboard") / "data"
    shutil.copytree(sample_index.data_dir / "index", data_dir / "index")
    engine = create_database_engine(Settings(data_dir=data_dir))
    migrate(engine)
    seed(engine)
    UserStore(engine).create("lead@example.com", PASSWORD, "admin")
    engine.dispose()
    server = FrontdeskServer(
        data_dir,
        FRONTDESK_SECURE_COOKIES="false",
        FRONTDESK_ADMIN_TOKEN=TOKEN,
        FRONTDESK_MINUTES_PER_TICKET="30",
        FRONTDESK_COST_PER_TICKET="10",
        FRONTDESK_TEAM_DAILY_CAPACITY="0.5",
        FRONTDESK_HELPDESK_SECRETS=json.dumps({"ops": HELPDESK_SECRET}),
    )
    server.start()
    httpx.post(
        f"{server.url}/api/v1/admin/deflections/rebuild",
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=120,
    ).raise_for_status()
    yield server
    server.stop()


def log_in(page: Page, server: FrontdeskServer) -> None:
    page.goto(f"{server.url}/admin/")
    expect(page).to_have_url(f"{server.url}/admin/login")
    page.get_by_label("Email").fill("lead@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{server.url}/admin/")


def filter_range(page: Page, start: str, end: str, pages: str = "") -> None:
    page.get_by_label("From").fill(start)
    page.get_by_label("To").fill(end)
    page.get_by_label("Pages").fill(pages)
    page.get_by_role("button", name="Apply").click()


def test_a_lead_logs_in_and_reads_the_weeks_figures(
    page: Page, dashboard_server: FrontdeskServer
) -> None:
    log_in(page, dashboard_server)
    filter_range(page, "2026-10-05", "2026-10-11")
    figure = page.locator("[data-figure]")
    expect(figure.and_(page.locator('[data-figure="deflection-rate"]'))).to_have_text("60.0%")
    expect(page.locator('[data-figure="tickets"]')).to_have_text("2")
    expect(page.locator('[data-figure="confirmed"]')).to_have_text("2")
    expect(page.locator('[data-figure="implied"]')).to_have_text("1")
    expect(page.locator('[data-figure="form"]')).to_have_text("0")
    expect(page.locator('[data-figure="resolution-rate"]')).to_have_text("42.9%")
    expect(page.locator('[data-figure="hours-saved"]')).to_have_text("1.5 h")
    # a real chart: 7 days x 4 series of bars (tickets, confirmed, implied, by a form), each
    # with its number on hover
    bars = page.locator('[data-chart="daily"] rect')
    expect(bars).to_have_count(28)
    tuesday = page.locator(
        '[data-chart="daily"] rect', has=page.locator("title", has_text="Oct 06: Tickets 2")
    )
    box = tuesday.bounding_box()
    assert box and box["height"] > 20  # drawn, and tall: the week's busiest ticket day
    expect(page.locator('[data-table="weekly"] tbody tr')).to_have_count(1)
    screenshot(page, "dashboard-overview")
    page.screenshot(path="test-artifacts/dashboard-overview-full.png", full_page=True)

    filter_range(page, "2026-10-05", "2026-10-11", "/projects/*")
    expect(page.locator('[data-figure="questions"]')).to_have_text("2")
    expect(page.locator('[data-figure="tickets"]')).to_have_text("0")


def test_the_content_gaps_and_report_pages_show_the_seeded_history(
    page: Page, dashboard_server: FrontdeskServer
) -> None:
    log_in(page, dashboard_server)
    page.goto(f"{dashboard_server.url}/admin/content?start=2026-10-12&end=2026-10-18")
    expect(page.locator('[data-verdict="billing-holdout"]')).to_have_text("reduces tickets")
    expect(page.locator('[data-fd-admin="rarely-helpful"] li')).to_have_count(1)
    page.screenshot(path="test-artifacts/dashboard-content.png", full_page=True)

    page.get_by_role("link", name="KB gaps").click()
    clusters = page.locator('[data-fd-admin="gap-cluster"]')
    expect(clusters.first).to_be_visible()
    page.goto(f"{dashboard_server.url}/admin/gaps?start=2026-10-05&end=2026-10-11")
    expect(clusters).to_have_count(2)
    expect(clusters.first.locator("h3")).to_contain_text("2 questions")
    clusters.first.get_by_text("Draft article").click()
    expect(clusters.first.locator('[data-fd-admin="draft"]')).to_contain_text("questions:")
    page.screenshot(path="test-artifacts/dashboard-gaps.png", full_page=True)

    page.goto(f"{dashboard_server.url}/admin/report?week=2026-W41")
    expect(page.locator('[data-fd-admin="report"]')).to_contain_text("| Questions asked | 6 | 0 |")
    with page.expect_download() as download:
        page.locator('[data-fd-admin="report-download"]').click()
    assert download.value.suggested_filename == "frontdesk-2026-W41.md"
    screenshot(page, "dashboard-report")


def test_the_queue_page_shows_what_the_helpdesk_reported(
    page: Page, dashboard_server: FrontdeskServer
) -> None:
    sender = GenericSender(
        f"{dashboard_server.url}/api/v1/helpdesk/events?source=ops", HELPDESK_SECRET
    )
    events = []
    for n, (day, priority) in enumerate((("06", "high"), ("06", "low"), ("07", "critical"))):
        key = {"ticket_id": f"Q-{n}", "priority": priority, "category": "billing"}
        events += [
            {**key, "id": f"q{n}-c", "type": "created", "at": f"2026-10-{day}T09:00:00Z"},
            {
                **key,
                "id": f"q{n}-r",
                "type": "agent_replied",
                "at": f"2026-10-{day}T11:00:00Z",
                "body": "Done",
            },
        ]
    events.append(
        {
            "ticket_id": "Q-0",
            "id": "q0-s",
            "type": "status_changed",
            "status": "solved",
            "at": "2026-10-08T09:00:00Z",
        }
    )
    assert sender.send(*events).json() == {"stored": 7, "duplicates": 0, "ignored": 0}
    log_in(page, dashboard_server)
    page.get_by_role("link", name="Queue").click()
    filter_range(page, "2026-10-05", "2026-10-11")
    expect(page.locator('[data-figure="created-resolved"]')).to_have_text("3 / 1")
    expect(page.locator('[data-figure="open"]')).to_have_text("2")
    # 2 h to the first reply: over the critical ticket's 1 h target only; by Oct 11, all
    # three waited past their resolution targets (high 24 h, low 120 h, critical 8 h)
    expect(page.locator('[data-table="sla"] tbody tr')).to_have_count(4)
    expect(page.locator('[data-figure="breaches"]')).to_have_text("1 / 3")
    expect(page.locator('[data-chart="depth"] circle')).to_have_count(7)
    page.screenshot(path="test-artifacts/dashboard-queue.png", full_page=True)
