"""SIGKILL the server while the widget is sending: nothing lost, nothing stored twice."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.browser.conftest import FrontdeskServer, query, stored_events
from tests.browser.test_widget import fd, open_demo
from tests.receivers import HttpReceiver, http_receiver


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with http_receiver() as receiver:
        yield receiver


@pytest.fixture
def killable_server(
    tmp_path: Path, frontdesk_server: FrontdeskServer, receiver: HttpReceiver, database_url: str
) -> Iterator[FrontdeskServer]:
    """A server of this test's own, on SQLite and on PostgreSQL."""
    data_dir = tmp_path / "data"
    shutil.copytree(frontdesk_server.data_dir / "index", data_dir / "index")
    env = {"FRONTDESK_WEBHOOK_URL": f"{receiver.url}/tickets"}
    if database_url.startswith("postgresql"):
        env["FRONTDESK_DATABASE_URL"] = database_url
    server = FrontdeskServer(data_dir, **env)
    server.start()
    yield server
    server.stop()


COLLECT_IDS = """() => {
    window.sentIds = [];
    for (const type of ['widget_opened', 'widget_closed', 'question_asked', 'handoff_started'])
        Frontdesk('on', type, (e) => window.sentIds.push(e.id));
}"""
BURST = "() => { for (let i = 0; i < 20; i++) { Frontdesk('open'); Frontdesk('close'); } }"


def tickets_in(server: FrontdeskServer) -> list[tuple[str, str]]:
    return [(row["id"], row["email"]) for row in query(server, "SELECT id, email FROM tickets")]


def test_sigkill_under_widget_traffic_loses_no_event_or_ticket(
    context: BrowserContext, killable_server: FrontdeskServer, receiver: HttpReceiver
) -> None:
    server = killable_server
    page = context.new_page()
    open_demo(page, server, "/demo/settings/billing")
    page.evaluate(COLLECT_IDS)
    fd(page, "launcher").click()
    fd(page, "input").fill("vegan cake recipe")
    fd(page, "input").press("Enter")
    fd(page, "contact").click()  # the handoff form, prefilled while the server was up
    form = fd(page, "ticket-form")
    form.locator("textarea").fill("My card was declined twice, please help.")
    fd(page, "close").click()

    # events stream while the server is killed in the middle of it
    killer = threading.Timer(0.3, server.stop, kwargs={"kill": True})
    killer.start()
    for _ in range(8):
        page.evaluate(BURST)
        page.wait_for_timeout(100)
    killer.join()

    # the ticket is sent while the server is down: the form keeps it and says so
    fd(page, "launcher").click()
    expect(form).to_be_visible()
    form.locator("button[type=submit]").click()
    expect(fd(page, "ticket-error")).to_be_visible()

    server.start()
    form.locator("button[type=submit]").click()  # the user tries again
    expect(fd(page, "ticket-ok")).to_be_visible()
    form_retry = tickets_in(server)
    assert len(form_retry) == 1 and form_retry[0][1] == "dana@example.com"

    page.evaluate(BURST)
    sent = set(page.evaluate("window.sentIds"))
    deadline = time.monotonic() + 60
    stored: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        stored = stored_events(server)
        if sent <= {e["id"] for e in stored}:
            break
        time.sleep(0.3)
    ids = [e["id"] for e in stored]
    assert sent <= set(ids), f"{len(sent - set(ids))} events lost"
    assert len(ids) == len(set(ids))  # and none twice
    assert len(sent) >= 300

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not receiver.requests:
        time.sleep(0.2)
    (delivery,) = receiver.requests
    assert delivery.json()["ticket"]["id"] == form_retry[0][0]
