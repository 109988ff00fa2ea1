"""Help before the user types, in a real browser: the page's articles and questions when the
panel opens, answers while a ticket is typed in the widget's contact form or in the host's
own form (`Frontdesk('deflect', …)`), and `deflected_form` for a user who read one and left."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, select

from server.insights.deflection_log import DeflectionLog
from server.tables import deflections
from tests.browser.conftest import (
    FrontdeskServer,
    query,
    screenshot,
    visitor_id,
    wait_for_events,
)
from tests.browser.test_widget import AXE_RUN, AXE_TAGS, ask, fd, open_demo
from tests.conftest import ROOT

SHOTS = Path("/tmp/shots21")
CARD_QUESTION = "How do I change the credit card I pay with?"


def shot(page: Page, name: str) -> None:
    """A screenshot in test-artifacts/, and a copy for whoever reviews the views."""
    path = screenshot(page, name)
    SHOTS.mkdir(exist_ok=True)
    shutil.copy(path, SHOTS / path.name)


def axe_finds_nothing_serious(page: Page) -> None:
    page.evaluate((ROOT / "widget" / "node_modules" / "axe-core" / "axe.min.js").read_text())
    results = page.evaluate(AXE_RUN, AXE_TAGS)
    bad = [v for v in results if v["impact"] in ("serious", "critical")]
    assert not bad, bad


def session_of(page: Page) -> str:
    return str(json.loads(page.evaluate("localStorage.getItem('frontdesk:demo:session')"))["id"])


def outcome(server: FrontdeskServer, session: str, now_ms: int) -> str | None:
    """The session's deflection log outcome as of `now_ms`, computed on the server's database."""
    engine = create_engine(f"sqlite:///{server.data_dir / 'frontdesk.db'}")
    try:
        DeflectionLog(engine, 24 * 3_600_000).recompute([session], now_ms)
        with engine.connect() as db:
            found = db.execute(
                select(deflections.c.outcome).where(deflections.c.session_id == session)
            ).scalar_one_or_none()
        return str(found) if found else None
    finally:
        engine.dispose()


# where an element is in the document (not the viewport, which typing may scroll)
WHERE = """el => {
    const r = el.getBoundingClientRect();
    return [r.left, r.top + scrollY, r.width, r.height].map(Math.round);
}"""


def data(event: dict[str, Any]) -> dict[str, Any]:
    return dict(json.loads(event["data"]))


def test_the_panel_opens_with_the_pages_articles_and_questions(
    page: Page, prompts_server: FrontdeskServer
) -> None:
    open_demo(page, prompts_server, "/demo/settings/billing")  # route /settings/billing/plan
    visitor = visitor_id(page)
    fd(page, "launcher").click()
    help_ = fd(page, "page-help")
    expect(help_).to_be_visible()
    expect(fd(page, "page-article")).to_have_count(3)
    expect(fd(page, "page-question").first).to_be_visible()
    axe_finds_nothing_serious(page)
    shot(page, "page-help-on-open")
    shown = wait_for_events(
        prompts_server, visitor, lambda es: any(e["type"] == "page_help_shown" for e in es)
    )
    (event,) = [data(e) for e in shown if e["type"] == "page_help_shown"]
    assert len(event["article_ids"]) == 3 and event["questions"] >= 1

    question = fd(page, "page-question").first.inner_text()
    fd(page, "page-question").first.click()
    expect(fd(page, "conversation").get_by_text(question, exact=True).first).to_be_visible()
    fd(page, "page-article").first.click()
    expect(fd(page, "reader").locator("h1")).to_be_visible()
    clicked = wait_for_events(
        prompts_server,
        visitor,
        lambda es: (
            any(e["type"] == "article_opened" for e in es)
            and any(e["type"] == "question_asked" for e in es)
        ),
    )
    opened = [data(e) for e in clicked if e["type"] == "article_opened"]
    assert opened[0]["source"] == "page" and opened[0]["article_id"] == event["article_ids"][0]
    asked = [data(e) for e in clicked if e["type"] == "question_asked"]
    assert asked[0]["source"] == "page" and asked[0]["question"] == question


def test_the_contact_form_answers_while_typing_and_a_ticket_sent_anyway_records_it(
    page: Page, frontdesk_server: FrontdeskServer
) -> None:
    open_demo(page, frontdesk_server, "/demo/settings/billing")
    ask(page, "vegan cake recipe")  # no answer: "Contact support"
    fd(page, "contact").click()
    message = fd(page, "ticket-form").locator("textarea")
    message.fill("")
    message.press_sequentially(CARD_QUESTION, delay=5)
    suggestions = fd(page, "form-suggestions")
    expect(suggestions).to_be_visible()
    answer = fd(page, "form-answer")
    expect(answer).to_contain_text("Answer:")
    answer.click()
    expect(answer).to_have_attribute("aria-expanded", "true")
    expect(fd(page, "form-answer-text")).to_be_visible()
    axe_finds_nothing_serious(page)
    suggestions.scroll_into_view_if_needed()
    shot(page, "contact-form-suggestions")
    session = session_of(page)
    fd(page, "ticket-form").locator("input[type=email]").fill("dana@example.com")
    fd(page, "ticket-send").click()  # sent anyway
    expect(fd(page, "ticket-ok")).to_be_visible()
    (ticket,) = query(
        frontdesk_server, f"SELECT context FROM tickets WHERE session_id = '{session}'"
    )
    suggested = json.loads(ticket["context"])["form_suggestions"]
    assert suggested[0] == {"article_id": "billing-update-payment-card", "answered": True}


def test_the_hosts_form_gets_answers_beside_it_and_leaving_unsent_is_deflected_form(
    page: Page, frontdesk_server: FrontdeskServer
) -> None:
    open_demo(page, frontdesk_server, "/demo/support")
    visitor = visitor_id(page)
    form = page.locator("#support-form")
    before = form.evaluate(WHERE)
    host_html = page.evaluate("document.body.innerHTML")
    page.locator("#support-message").press_sequentially(CARD_QUESTION, delay=5)
    suggestions = fd(page, "form-suggestions")
    expect(suggestions).to_be_visible()
    # beside the field, in the widget's shadow root: the host's page is as it was
    assert page.evaluate("document.body.innerHTML") == host_html
    assert form.evaluate(WHERE) == before
    field = page.locator("#support-message").bounding_box()
    box = suggestions.bounding_box()
    assert field and box  # beside the field, or below it: never over it
    assert box["x"] >= field["x"] + field["width"] or box["y"] >= field["y"] + field["height"]
    fd(page, "form-answer").click()
    expect(fd(page, "form-answer-text")).to_be_visible()
    axe_finds_nothing_serious(page)
    shot(page, "host-form-suggestions")
    stored = wait_for_events(
        frontdesk_server,
        visitor,
        lambda es: any(e["type"] == "article_opened" for e in es),
    )
    shown = [data(e) for e in stored if e["type"] == "form_suggestions_shown"]
    assert shown[0]["form"] == "host" and shown[0]["answered"] is True
    opened = [data(e) for e in stored if e["type"] == "article_opened"]
    assert opened == [{"article_id": "billing-update-payment-card", "source": "form"}]

    # read, and left without sending: a day later the session is a form deflection
    session = session_of(page)
    last = max(e["ts"] for e in stored)
    assert outcome(frontdesk_server, session, last + 2 * 86_400_000) == "deflected_form"
    # sent after all: the session ends in the host's ticket instead
    page.locator("#support-email").fill("dana@example.com")
    page.locator("#support-form button[type=submit]").click()
    expect(page.locator("#support-sent")).to_be_visible()
    wait_for_events(
        frontdesk_server, visitor, lambda es: any(e["type"] == "form_submitted" for e in es)
    )
    assert outcome(frontdesk_server, session, last + 2 * 86_400_000) == "ticket"
