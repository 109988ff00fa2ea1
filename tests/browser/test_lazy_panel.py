"""The widget's two files in a real browser: the first load brings no panel, the panel's file
is fetched once when help is about to open, and nothing is lost while it loads, offline
included."""

from __future__ import annotations

import re

from playwright.sync_api import BrowserContext, Page, Request, expect

from tests.browser.conftest import FrontdeskServer, visitor_id, wait_for_events
from tests.browser.test_widget import fd, open_demo

PANEL_FILE = re.compile(r"/widget/[0-9a-f]{16}\.js$")
SHADOW = "document.querySelector('frontdesk-widget').shadowRoot"


def test_the_first_load_has_no_panel_and_opening_fetches_it_once(
    page: Page, frontdesk_server: FrontdeskServer
) -> None:
    fetched: list[str] = []
    page.on("request", lambda r: PANEL_FILE.search(r.url) and fetched.append(r.url))
    with page.expect_response(lambda r: r.url.endswith("/widget.js")) as first:
        open_demo(page, frontdesk_server, "/demo/settings/billing")
    first_load = first.value.text()
    for panel_code in ("ticket-form", "typeahead", "page-help", "form-suggestions"):
        assert panel_code not in first_load, panel_code
    assert fetched == []
    assert page.evaluate(f"{SHADOW}.querySelector('[data-fd=panel]')") is None

    with page.expect_request_finished(lambda r: bool(PANEL_FILE.search(r.url))):
        fd(page, "launcher").hover()  # about to open: the panel's file comes now
    assert len(fetched) == 1
    fd(page, "launcher").click()
    expect(fd(page, "panel")).to_be_visible()
    fd(page, "close").click()
    page.evaluate("Frontdesk('open')")
    expect(fd(page, "panel")).to_be_visible()
    page.evaluate("Frontdesk('ask', 'How do I change the credit card I pay with?')")
    expect(fd(page, "passage")).to_be_visible()
    page.wait_for_timeout(300)
    assert len(fetched) == 1, fetched  # one file, fetched once
    cache = page.evaluate(
        f"""() => fetch({fetched[0]!r}).then((r) => r.headers.get('cache-control'))"""
    )
    assert cache == "public, max-age=31536000, immutable"


def test_calls_and_events_made_offline_before_the_panel_loaded_are_delivered_online(
    context: BrowserContext, page: Page, frontdesk_server: FrontdeskServer
) -> None:
    fetched: list[Request] = []
    page.on("request", lambda r: PANEL_FILE.search(r.url) and fetched.append(r))
    open_demo(page, frontdesk_server, "/demo/")
    visitor = visitor_id(page)
    context.set_offline(True)
    # (in braces: a call waiting for the panel's file returns nothing to wait for)
    page.evaluate("() => { Frontdesk('open') }")  # needs the panel's file: cannot come now
    page.evaluate("() => { history.pushState({}, '', '/demo/offline-step') }")  # page_changed
    page.evaluate("() => { Frontdesk('ask', 'How do I change the credit card I pay with?') }")
    page.wait_for_timeout(1500)
    expect(fd(page, "launcher")).to_be_visible()
    assert page.evaluate(f"{SHADOW}.querySelector('[data-fd=panel]')") is None
    queued = page.evaluate("JSON.parse(localStorage.getItem('frontdesk:demo:queue'))")
    assert "page_changed" in [e["type"] for e in queued]

    context.set_offline(False)  # the panel's file comes, the queued calls run in order
    expect(fd(page, "panel")).to_be_visible()
    expect(fd(page, "passage")).to_be_visible()
    stored = wait_for_events(
        frontdesk_server,
        visitor,
        lambda es: (
            {"page_changed", "widget_opened", "question_asked", "answer_shown"}
            <= {e["type"] for e in es}
        ),
    )
    changed = [e for e in stored if e["type"] == "page_changed"]
    assert len(changed) == 1 and changed[0]["page_url"].endswith("/demo/offline-step")
    assert page.evaluate("JSON.parse(localStorage.getItem('frontdesk:demo:queue') || '[]')") == []
