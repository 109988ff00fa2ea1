"""The widget in a real browser, on the demo product and on a page of another origin."""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect
from playwright.sync_api import Error as PlaywrightError

from tests.browser.conftest import (
    FrontdeskServer,
    PageProblems,
    screenshot,
    visitor_id,
    wait_for_events,
)
from tests.conftest import ROOT, free_port

README_SNIPPET = re.search(
    r"```html\n(<script>window\.Frontdesk=.*?)```", (ROOT / "README.md").read_text(), re.S
)


def fd(page: Page, hook: str) -> Locator:
    """An element of the widget by its `data-fd` hook (Playwright pierces the shadow root)."""
    return page.locator(f'[data-fd="{hook}"]')


def open_demo(page: Page, server: FrontdeskServer, path: str = "/demo/") -> None:
    page.goto(server.url + path)
    expect(fd(page, "launcher")).to_be_visible()


def ask(page: Page, question: str) -> None:
    if not fd(page, "input").is_visible():
        fd(page, "launcher").click()
    fd(page, "input").fill(question)
    fd(page, "input").press("Enter")


def types(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


# -- a host page on another origin, with the README's snippet -------------------------


class _HostPage(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serving(html: str) -> Iterator[str]:
    """A page on another origin (`http://localhost:<port>/`), from a real HTTP server."""
    handler = type("Handler", (_HostPage,), {"body": html.encode()})
    port = free_port()
    httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{port}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def host_page(frontdesk_server: FrontdeskServer) -> Iterator[str]:
    """`http://localhost:<port>/`: a plain page embedding the README snippet, calls queued."""
    assert README_SNIPPET, "the README shows the embed snippet"
    snippet = README_SNIPPET.group(1).replace("https://support.example.com", frontdesk_server.url)
    stub, loader = snippet.strip().split("\n")
    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Host</title>"
        f"{stub}<script>Frontdesk('init', {{launcherText: 'Ask us'}});"
        "Frontdesk('on', 'open', function () { window.openedByQueue = true; });"
        "Frontdesk('open');</script>"
        f"{loader}</head><body><h1>Another product</h1></body></html>"
    )
    with serving(page) as origin:
        yield origin


def test_queued_calls_replay_and_the_widget_works_from_another_origin(
    page: Page, host_page: str, frontdesk_server: FrontdeskServer
) -> None:
    page.goto(host_page)
    expect(fd(page, "panel")).to_be_visible()  # Frontdesk('open') was queued before the load
    expect(fd(page, "launcher")).to_contain_text("Ask us")
    assert page.evaluate("window.openedByQueue") is True
    ask(page, "How do I change the credit card I pay with?")
    # the reply came: CORS let the host origin call the API
    expect(fd(page, "panel")).to_contain_text("Update the card you pay Tasklane with")


# -- asking ----------------------------------------------------------------------------


def test_ask_shows_the_passage_with_its_citation_and_logs_it(
    page: Page, frontdesk_server: FrontdeskServer
) -> None:
    open_demo(page, frontdesk_server, "/demo/settings/billing")
    with page.expect_request("**/api/v1/ask") as asked:
        ask(page, "How do I change the credit card I pay with?")
    sent = asked.value.post_data_json
    assert sent["page_url"].endswith("/demo/settings/billing")
    assert sent["page"]["route"] == "/settings/billing/plan"
    expect(fd(page, "passage")).not_to_be_empty()
    citation = fd(page, "citation")
    expect(citation).to_contain_text("Update the card you pay Tasklane with")
    screenshot(page, "widget-answer-desktop")

    visitor = visitor_id(page)
    events = wait_for_events(
        frontdesk_server, visitor, lambda es: {"question_asked", "answer_shown"} <= set(types(es))
    )
    asked_event = next(e for e in events if e["type"] == "question_asked")
    assert json.loads(asked_event["data"])["status"] == "answered"
    shown = next(e for e in events if e["type"] == "answer_shown")
    assert json.loads(shown["data"])["article_id"] == "billing-update-payment-card"
    assert shown["route"] == "/settings/billing/plan"


def test_feedback_yes_thanks_the_user_and_is_logged(
    page: Page, frontdesk_server: FrontdeskServer
) -> None:
    open_demo(page, frontdesk_server, "/demo/settings/billing")
    ask(page, "How do I change the credit card I pay with?")
    fd(page, "feedback-yes").click()
    expect(fd(page, "answer")).to_contain_text(re.compile("thank", re.I))
    events = wait_for_events(frontdesk_server, visitor_id(page), lambda es: "feedback" in types(es))
    feedback = json.loads(next(e for e in events if e["type"] == "feedback")["data"])
    assert feedback["helpful"] is True
    assert feedback["article_id"] == "billing-update-payment-card"


def test_feedback_no_offers_a_human_with_the_conversation_prefilled(
    page: Page, frontdesk_server: FrontdeskServer
) -> None:
    open_demo(page, frontdesk_server, "/demo/settings/billing")
    ask(page, "How do I change the credit card I pay with?")
    fd(page, "feedback-no").click()
    fd(page, "contact").click()
    form = fd(page, "ticket-form")
    expect(form).to_be_visible()
    expect(form.locator("textarea")).to_have_value(re.compile("change the credit card"))
    expect(form.locator("input[type=email]")).to_have_value("dana@example.com")  # identify
    form.locator("button[type=submit]").click()
    expect(fd(page, "ticket-ok")).to_contain_text("dana@example.com")
    events = wait_for_events(
        frontdesk_server, visitor_id(page), lambda es: "handoff_started" in types(es)
    )
    assert (
        json.loads(next(e for e in events if e["type"] == "feedback")["data"])["helpful"] is False
    )


def test_a_vague_question_gets_suggested_articles(
    page: Page, frontdesk_server: FrontdeskServer
) -> None:
    open_demo(page, frontdesk_server)
    ask(page, "Slack notifications")
    suggestions = fd(page, "suggestions")
    expect(suggestions).to_be_visible()
    expect(suggestions).to_contain_text("Slack")
    expect(fd(page, "passage")).to_have_count(0)
    events = wait_for_events(
        frontdesk_server, visitor_id(page), lambda es: "suggestion_shown" in types(es)
    )
    shown = json.loads(next(e for e in events if e["type"] == "suggestion_shown")["data"])
    assert "integrations-slack" in shown["article_ids"]


def test_an_unanswerable_question_offers_contact_support(
    page: Page, frontdesk_server: FrontdeskServer
) -> None:
    open_demo(page, frontdesk_server)
    ask(page, "What is the best recipe for a vegan chocolate cake?")
    expect(fd(page, "no-answer")).to_be_visible()
    expect(fd(page, "contact")).to_be_visible()
    wait_for_events(frontdesk_server, visitor_id(page), lambda es: "no_answer_shown" in types(es))


def test_the_citation_opens_the_article_in_the_panel(
    page: Page, frontdesk_server: FrontdeskServer
) -> None:
    open_demo(page, frontdesk_server, "/demo/settings/billing")
    ask(page, "How do I change the credit card I pay with?")
    fd(page, "citation").click()
    reader = fd(page, "reader")
    expect(reader).to_be_visible()
    expect(reader.locator("h1, h2").first).to_be_visible()
    expect(reader).to_contain_text("Update the card you pay Tasklane with")
    screenshot(page, "widget-article-reader")
    fd(page, "reader-back").click()
    expect(fd(page, "passage")).to_be_visible()
    events = wait_for_events(
        frontdesk_server, visitor_id(page), lambda es: "article_opened" in types(es)
    )
    opened = json.loads(next(e for e in events if e["type"] == "article_opened")["data"])
    assert opened == {"article_id": "billing-update-payment-card", "source": "answer"}


def test_typeahead_lists_article_titles(page: Page, frontdesk_server: FrontdeskServer) -> None:
    open_demo(page, frontdesk_server)
    fd(page, "launcher").click()
    fd(page, "input").press_sequentially("cancel subs", delay=20)
    expect(fd(page, "typeahead")).to_contain_text("Cancel your Tasklane subscription")
    fd(page, "input").press("ArrowDown")
    fd(page, "input").press("Enter")
    expect(fd(page, "reader")).to_contain_text("Cancel your Tasklane subscription")


def test_user_text_is_never_rendered_as_html(page: Page, frontdesk_server: FrontdeskServer) -> None:
    open_demo(page, frontdesk_server)
    ask(page, '<img src=x onerror="window.pwned=1"><b>bold</b> cake recipe')
    expect(fd(page, "no-answer")).to_be_visible()
    fd(page, "contact").click()
    expect(fd(page, "ticket-form").locator("textarea")).to_have_value(re.compile("<img src=x"))
    assert page.evaluate("window.pwned") is None
    assert page.locator("frontdesk-widget img, [data-fd] b").count() == 0


# -- the page ------------------------------------------------------------------------


def test_spa_navigation_changes_the_page_and_the_next_question_carries_the_earlier_ones(
    page: Page, frontdesk_server: FrontdeskServer
) -> None:
    open_demo(page, frontdesk_server, "/demo/projects")
    page.get_by_role("link", name="Mobile app · board").click()
    expect(page).to_have_url(re.compile(r"/demo/projects/7/board$"))
    with page.expect_request("**/api/v1/ask") as asked:
        ask(page, "How do I move a task to another column?")
    sent = asked.value.post_data_json
    assert sent["page_url"].endswith("/demo/projects/7/board")
    assert sent["page"]["route"] == "/projects/:id/board"
    assert sent["page"]["context"] == {"project_id": "7"}
    assert sent["history"] == []
    page.go_back()  # popstate
    expect(page).to_have_url(re.compile(r"/demo/projects$"))
    with page.expect_request("**/api/v1/ask") as asked_again:
        ask(page, "How do I archive a project?")
    assert asked_again.value.post_data_json["page"]["route"] == "/projects"
    # a follow-up is sent with the user's earlier questions
    assert asked_again.value.post_data_json["history"] == [
        "How do I move a task to another column?"
    ]
    events = wait_for_events(
        frontdesk_server, visitor_id(page), lambda es: types(es).count("page_changed") >= 2
    )
    changed = [e for e in events if e["type"] == "page_changed"]
    assert changed[0]["page_url"].endswith("/demo/projects/7/board")


FOCUS_IN_PANEL = """() => {
    const active = document.activeElement;
    const inner = active && active.shadowRoot ? active.shadowRoot.activeElement : null;
    return !!(inner && inner.closest('[data-fd=panel]'));
}"""


def test_keyboard_only_flow(page: Page, frontdesk_server: FrontdeskServer) -> None:
    open_demo(page, frontdesk_server, "/demo/settings/billing")
    fd(page, "launcher").focus()
    page.keyboard.press("Enter")
    expect(fd(page, "panel")).to_be_visible()
    expect(fd(page, "input")).to_be_focused()
    page.keyboard.type("How do I change the credit card I pay with?")
    page.keyboard.press("Enter")
    expect(fd(page, "passage")).to_be_visible()
    # Tab order stays inside the open panel, both ways
    for _ in range(25):
        page.keyboard.press("Tab")
        assert page.evaluate(FOCUS_IN_PANEL), "focus left the open panel"
    for _ in range(5):
        page.keyboard.press("Shift+Tab")
        assert page.evaluate(FOCUS_IN_PANEL), "focus left the open panel"
    page.keyboard.press("Escape")
    expect(fd(page, "panel")).to_be_hidden()
    expect(fd(page, "launcher")).to_be_focused()


AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
AXE_RUN = """async (tags) => {
    const widget = document.querySelector('frontdesk-widget');
    const result = await axe.run(widget, {runOnly: {type: 'tag', values: tags}});
    return result.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length}));
}"""


def test_accessibility_scan_finds_nothing_serious(
    page: Page, frontdesk_server: FrontdeskServer
) -> None:
    axe = (ROOT / "widget" / "node_modules" / "axe-core" / "axe.min.js").read_text()
    open_demo(page, frontdesk_server, "/demo/settings/billing")
    ask(page, "How do I change the credit card I pay with?")
    expect(fd(page, "passage")).to_be_visible()
    page.evaluate(axe)
    results = page.evaluate(AXE_RUN, AXE_TAGS)
    bad = [v for v in results if v["impact"] in ("serious", "critical")]
    assert not bad, bad


def test_every_demo_page_runs_the_widget_without_csp_violations(
    page: Page, frontdesk_server: FrontdeskServer, problems: PageProblems
) -> None:
    for path in (
        "/demo/",
        "/demo/settings/billing",
        "/demo/onboarding",
        "/demo/settings/integrations",
        "/demo/projects/7/settings",
        "/demo/support",  # the host's form, with the widget's suggestions attached
    ):
        open_demo(page, frontdesk_server, path)
        fd(page, "launcher").click()
        expect(fd(page, "panel")).to_be_visible()
        assert problems.csp_violations(page) == [], path
    assert page.evaluate("document.getElementsByTagName('style').length") == 0
    shadow = "document.querySelector('frontdesk-widget').shadowRoot"
    assert page.evaluate(f"{shadow}.querySelectorAll('[style], style').length") == 0


STYLE_PROPERTIES = [
    "font-family",
    "font-size",
    "line-height",
    "color",
    "background-color",
    "width",
    "height",
    "position",
    "z-index",
    "display",
    "padding-top",
    "border-top-width",
    "transform",
]


def _computed(page: Page) -> dict[str, dict[str, str]]:
    return page.evaluate(
        """(props) => {
            const root = document.querySelector('frontdesk-widget').shadowRoot;
            const out = {};
            const hooks = ['launcher', 'panel', 'input', 'passage', 'citation', 'feedback-yes'];
            for (const hook of hooks) {
                const el = root.querySelector(`[data-fd="${hook}"]`);
                const style = getComputedStyle(el);
                out[hook] = Object.fromEntries(props.map(p => [p, style.getPropertyValue(p)]));
            }
            return out;
        }""",
        STYLE_PROPERTIES,
    )


def test_hostile_host_css_does_not_change_the_panel(
    page: Page, host_page: str, frontdesk_server: FrontdeskServer
) -> None:
    page.goto(host_page)  # a plain page
    page.evaluate("Frontdesk('page', {route: '/settings/billing/plan'})")
    ask(page, "How do I change the credit card I pay with?")
    expect(fd(page, "passage")).to_be_visible()
    clean = _computed(page)
    open_demo(page, frontdesk_server, "/demo/settings/billing")  # hostile CSS
    ask(page, "How do I change the credit card I pay with?")
    expect(fd(page, "passage")).to_be_visible()
    hostile = _computed(page)
    for hook, styles in clean.items():
        for name, value in styles.items():
            if hook == "launcher" and name in ("width", "height"):
                continue  # the plain page labels its launcher "Ask us", the demo "Help"
            assert hostile[hook][name] == value, (
                f"{hook} {name}: {value} became {hostile[hook][name]}"
            )


def test_screenshots_of_the_open_panel_on_desktop_and_mobile(
    browser: Browser, frontdesk_server: FrontdeskServer
) -> None:
    phone = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    try:
        page = phone.new_page()
        open_demo(page, frontdesk_server, "/demo/settings/billing")
        ask(page, "How do I change the credit card I pay with?")
        expect(fd(page, "passage")).to_be_visible()
        box = fd(page, "panel").bounding_box()
        assert box is not None and box["width"] >= 389 and box["height"] >= 700  # full screen
        font = fd(page, "input").evaluate("el => getComputedStyle(el).fontSize")
        assert font == "16px"  # iOS does not zoom into the input
        screenshot(page, "widget-answer-mobile")
    finally:
        phone.close()


# -- nothing lost, nothing counted twice ---------------------------------------------


@pytest.fixture
def own_server(tmp_path: Path, frontdesk_server: FrontdeskServer) -> Iterator[FrontdeskServer]:
    """A server of this test's own, which it may stop and start again on the same port."""
    import shutil

    data_dir = tmp_path / "data"
    shutil.copytree(frontdesk_server.data_dir / "index", data_dir / "index")
    server = FrontdeskServer(data_dir)
    server.start()
    yield server
    server.stop()


def test_events_from_an_offline_ask_and_a_reload_arrive_exactly_once(
    context: BrowserContext, own_server: FrontdeskServer, problems: PageProblems
) -> None:
    page = context.new_page()
    page.on("pageerror", lambda error: problems.errors.append(str(error)))
    open_demo(page, own_server, "/demo/settings/billing")
    fd(page, "launcher").click()
    visitor = visitor_id(page)
    own_server.stop()
    ask(page, "How do I change the credit card I pay with?")  # the server is down
    expect(fd(page, "answer").or_(fd(page, "panel"))).to_contain_text(
        re.compile("try again|couldn", re.I)
    )
    fd(page, "close").click()
    queued = page.evaluate("JSON.parse(localStorage.getItem('frontdesk:demo:queue') || '[]')")
    ids = {e["id"] for e in queued}
    assert {"question_asked", "widget_closed"} <= {e["type"] for e in queued}
    with contextlib.suppress(PlaywrightError):
        page.reload()  # the demo is down too: the tab goes away with its queue unsent
    own_server.start()
    page.goto(own_server.url + "/demo/settings/billing")  # the user comes back later
    expect(fd(page, "launcher")).to_be_visible()
    stored = wait_for_events(
        own_server, visitor, lambda es: ids <= {e["id"] for e in es}, timeout=90
    )
    assert len(stored) == len({e["id"] for e in stored})
    asked = [e for e in stored if e["type"] == "question_asked"]
    assert len(asked) == 1 and json.loads(asked[0]["data"])["status"] == "error"
    # and nothing stays queued once the server has them
    page.wait_for_function(
        "JSON.parse(localStorage.getItem('frontdesk:demo:queue') || '[]').length === 0",
        timeout=30_000,
    )
    assert not problems.errors, problems.errors


# -- configuration and the JavaScript API ------------------------------------------------


def test_data_attributes_configure_the_widget(
    page: Page, frontdesk_server: FrontdeskServer
) -> None:
    host = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Host</title></head><body>"
        f"<script async src='{frontdesk_server.url}/widget.js' data-site='acme' "
        "data-position='left' data-color='#006644' data-launcher-text='Fragen?' "
        "data-locale='de' data-z-index='12345' data-open></script></body></html>"
    )
    with serving(host) as origin:
        page.goto(origin)
        _check_configured(page)


def _check_configured(page: Page) -> None:
    expect(fd(page, "panel")).to_be_visible()  # data-open
    expect(fd(page, "launcher")).to_contain_text("Fragen?")
    expect(fd(page, "panel")).to_contain_text("Wie können wir helfen?")  # data-locale
    box = fd(page, "launcher").bounding_box()
    assert box is not None and box["x"] < 200  # data-position: left
    host_z = page.evaluate("getComputedStyle(document.querySelector('frontdesk-widget')).zIndex")
    assert host_z == "12345"
    accent = fd(page, "launcher").evaluate("el => getComputedStyle(el).backgroundColor")
    assert accent == "rgb(0, 102, 68)"


def test_javascript_api_commands(page: Page, frontdesk_server: FrontdeskServer) -> None:
    open_demo(page, frontdesk_server, "/demo/settings/billing")
    page.evaluate("Frontdesk('toggle')")
    expect(fd(page, "panel")).to_be_visible()
    page.evaluate("Frontdesk('toggle')")
    expect(fd(page, "panel")).to_be_hidden()
    page.evaluate("Frontdesk('ask', 'How do I change the credit card I pay with?')")
    expect(fd(page, "passage")).to_be_visible()  # ask opens the panel and asks
    page.evaluate("Frontdesk('close')")
    page.evaluate("Frontdesk('article', 'billing-change-plan')")
    expect(fd(page, "reader")).to_contain_text("Upgrade or downgrade your Tasklane plan")
    page.evaluate("Frontdesk('unknown-command', 1); Frontdesk('destroy')")
    assert page.evaluate("document.querySelector('frontdesk-widget')") is None
    page.evaluate("history.pushState({}, '', '/demo/after-destroy')")  # history still works
    assert page.evaluate("location.pathname") == "/demo/after-destroy"


def test_a_throwing_host_callback_or_bad_call_never_breaks_the_host(
    page: Page, frontdesk_server: FrontdeskServer
) -> None:
    host = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Host</title></head><body>"
        f"<script async src='{frontdesk_server.url}/widget.js' data-site='acme' data-debug>"
        "</script></body></html>"
    )
    debug: list[str] = []
    page.on("console", lambda m: debug.append(m.text) if m.type == "debug" else None)
    with serving(host) as origin:
        page.goto(origin)
        expect(fd(page, "launcher")).to_be_visible()
        page.evaluate("Frontdesk('on', 'open', () => { throw new Error('host bug'); })")
        page.evaluate("Frontdesk('no-such-command'); Frontdesk('page', 'not an object')")
        fd(page, "launcher").click()
        expect(fd(page, "panel")).to_be_visible()  # the widget went on; the page fixture
        # fails the test on any uncaught error
        assert any("frontdesk" in line for line in debug), debug  # data-debug says why
