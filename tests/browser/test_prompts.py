"""Proactive prompts in a real browser: every trigger on the demo product, the caps and the
daily budget across reloads, SPA navigation, the holdout share, the events the server stores
and a broken prompts file that leaves the last good set serving."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from playwright.sync_api import Locator, Page, Response, expect

from server.prompts.schema import holdout_bucket
from tests.browser.conftest import FrontdeskServer, screenshot, visitor_id, wait_for_events
from tests.conftest import ROOT

SAMPLE_TEXT = (ROOT / "prompts.yaml").read_text()
# as the server reads it (libyaml: PyYAML's pure-Python loader refuses `[… email?]`)
SAMPLE = yaml.load(SAMPLE_TEXT, Loader=yaml.CSafeLoader)

# Before the page's own scripts: the embed stub, subscribed to the prompt events (the widget
# replays the queued calls), so a test sees eligibility and groups as they happen.
RECORD = """
window.__prompts = [];
window.Frontdesk = window.Frontdesk
  || function () { (Frontdesk.q = Frontdesk.q || []).push(arguments); };
for (const type of ['prompt_eligible', 'prompt_shown', 'prompt_clicked', 'prompt_dismissed'])
  Frontdesk('on', type, (e) => window.__prompts.push(e));
"""


AXE_RUN = """async () => {
    const widget = document.querySelector('frontdesk-widget');
    const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];
    const result = await axe.run(widget, {runOnly: {type: 'tag', values: tags}});
    return result.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length}));
}"""


def fd(page: Page, hook: str) -> Locator:
    """An element of the widget by its `data-fd` hook (Playwright pierces the shadow root)."""
    return page.locator(f'[data-fd="{hook}"]')


def bubble(page: Page) -> Locator:
    return fd(page, "prompt")


def recorded(page: Page, kind: str = "prompt_eligible") -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = page.evaluate("window.__prompts")
    return [e for e in events if e["type"] == kind]


def data(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [json.loads(e["data"]) for e in events if e["type"] == kind]


def sample(prompt_id: str, **changes: Any) -> dict[str, Any]:
    """A prompt of the sample file, changed (e.g. `holdout=0`: always shown)."""
    found = next(p for p in SAMPLE["prompts"] if p["id"] == prompt_id)
    return {**copy.deepcopy(found), **changes}


def digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:16]


def served_version(server: FrontdeskServer) -> str:
    response = httpx.get(f"{server.url}/api/v1/prompts", params={"route": "/"}, timeout=10)
    response.raise_for_status()
    return str(response.json()["version"])


class PromptsFile:
    """The server's prompts file: a test writes its own; the sample comes back afterwards."""

    def __init__(self, server: FrontdeskServer) -> None:
        self.server = server
        self.path = Path(server.env["FRONTDESK_PROMPTS_FILE"])
        self.bumps = 0

    def write_text(self, text: str, wait: bool = True) -> None:
        raw = text.encode()
        self.path.write_bytes(raw)
        # a new mtime each time: the server reloads on (mtime, size), and two writes of the
        # same size can land within one tick of the file system's clock
        self.bumps += 1
        stamp = time.time_ns() + self.bumps * 1_000_000
        os.utime(self.path, ns=(stamp, stamp))
        if wait:
            deadline = time.monotonic() + 10
            while served_version(self.server) != digest(raw):
                assert time.monotonic() < deadline, "the server never served the new prompts"
                time.sleep(0.05)

    def use(self, *prompts: dict[str, Any], per_day: int = 100) -> None:
        limits = {"per_visitor_per_day": per_day}
        self.write_text(yaml.safe_dump({"limits": limits, "prompts": list(prompts)}))

    def restore(self) -> None:
        self.write_text(SAMPLE_TEXT)


@pytest.fixture
def prompts_file(prompts_server: FrontdeskServer) -> Iterator[PromptsFile]:
    file = PromptsFile(prompts_server)
    file.restore()
    yield file
    file.restore()


def prompts_response(response: Response) -> bool:
    """The widget's request for the page's prompts, with the route the host gave."""
    return "/api/v1/prompts?" in response.url and "route=" in response.url


def settled(page: Page, response: Response) -> None:
    response.finished()
    page.wait_for_timeout(100)  # the triggers are set up as soon as the body is parsed


@pytest.fixture
def demo(page: Page, prompts_server: FrontdeskServer) -> Callable[[str], None]:
    """Opens a demo page once the widget fetched the page's prompts (with its route)."""
    page.add_init_script(RECORD)

    def open_page(path: str) -> None:
        with page.expect_response(prompts_response) as answered:
            page.goto(prompts_server.url + path)
        settled(page, answered.value)
        expect(fd(page, "launcher")).to_be_visible()

    return open_page


def shown(page: Page, prompt_id: str) -> Locator:
    """The bubble of this prompt, once it is visible."""
    found = page.locator(f'[data-fd="prompt"][data-prompt-id="{prompt_id}"]')
    expect(found).to_be_visible()
    return found


def nothing_shown(page: Page, wait_ms: int = 300) -> None:
    """No prompt became eligible (a trigger that fires does so within milliseconds)."""
    page.wait_for_timeout(wait_ms)
    assert recorded(page) == []
    expect(bubble(page)).to_have_count(0)


def track(page: Page, name: str) -> None:
    page.evaluate("(name) => Frontdesk('track', name)", name)


# -- one test per trigger, on the demo product -----------------------------------------


def test_delay_shows_after_the_seconds_on_the_page(
    page: Page,
    prompts_file: PromptsFile,
    demo: Callable[[str], None],
    prompts_server: FrontdeskServer,
) -> None:
    prompts_file.use(sample("dashboard-welcome", holdout=0))  # audience: new visitors
    page.clock.install()
    demo("/demo/")
    page.evaluate("Frontdesk('init', {locale: 'de'})")  # the widget is built again, in German
    page.clock.fast_forward(3000)
    nothing_shown(page)
    page.clock.fast_forward(2500)
    found = shown(page, "dashboard-welcome")
    expect(fd(page, "prompt-message")).to_have_text("New to Tasklane? Ask me anything.")
    expect(fd(page, "prompt-dismiss")).to_have_attribute("aria-label", "Ausblenden")
    # no questions, no articles: one "Get help" that opens the panel
    action = found.locator('[data-fd="prompt-action"]')
    expect(action).to_have_text(["Hilfe erhalten"])
    expect(action).not_to_be_focused()  # showing steals no focus
    action.click()
    expect(fd(page, "panel")).to_be_visible()
    expect(bubble(page)).to_have_count(0)
    events = wait_for_events(
        prompts_server, visitor_id(page), lambda es: "prompt_clicked" in {e["type"] for e in es}
    )
    assert data(events, "prompt_clicked") == [
        {"prompt_id": "dashboard-welcome", "action": "open", "target": None}
    ]
    assert data(events, "widget_opened") == [{"source": "prompt"}]


def test_idle_counts_only_seconds_without_input(
    page: Page, prompts_file: PromptsFile, demo: Callable[[str], None]
) -> None:
    prompts_file.use(sample("billing-idle", holdout=0))
    page.clock.install()
    demo("/demo/settings/billing")
    page.clock.fast_forward(15_000)
    page.mouse.move(200, 200)  # input: the 20 s start again
    page.clock.fast_forward(15_000)
    nothing_shown(page)
    page.clock.fast_forward(6_000)
    found = shown(page, "billing-idle")
    expect(found.locator('[data-fd="prompt-action"]')).to_have_text(
        ["How do I change my plan?", "Where can I download my invoices?"]
    )


def test_exit_intent_fires_when_the_pointer_leaves_through_the_top(
    page: Page, prompts_file: PromptsFile, demo: Callable[[str], None]
) -> None:
    prompts_file.use(sample("onboarding-exit"))
    demo("/demo/onboarding")
    page.mouse.move(640, 400)
    page.mouse.move(640, 900)  # out through the bottom: not leaving
    page.mouse.move(640, 400)
    nothing_shown(page)
    page.mouse.move(640, -20)
    shown(page, "onboarding-exit")


def test_scroll_depth_fires_at_the_percentage(
    page: Page, prompts_file: PromptsFile, demo: Callable[[str], None]
) -> None:
    prompts_file.use(sample("dashboard-scrolled"))
    demo("/demo/")
    # (and the benchmark's mark is there: the launcher is in the DOM)
    assert page.evaluate("performance.getEntriesByName('frontdesk:launcher').length") == 1
    page.evaluate("scrollTo(0, (document.documentElement.scrollHeight - innerHeight) / 3)")
    nothing_shown(page)
    page.evaluate("scrollTo(0, document.documentElement.scrollHeight)")
    found = shown(page, "dashboard-scrolled")
    expect(found).to_contain_text("Want a weekly report of all this by email?")


def test_click_on_the_selector_and_the_article_opens_in_the_reader(
    page: Page,
    prompts_file: PromptsFile,
    demo: Callable[[str], None],
    prompts_server: FrontdeskServer,
) -> None:
    prompts_file.use(sample("cancel-click"))
    demo("/demo/settings/billing")
    page.locator("#change-plan").click()
    nothing_shown(page)
    page.locator("#cancel-subscription").click()
    found = shown(page, "cancel-click")
    action = found.locator('[data-fd="prompt-action"]')
    expect(action).to_have_text("Cancel your Tasklane subscription")  # its title, fetched
    page.wait_for_timeout(300)  # the bubble fades in
    screenshot(page, "prompt-bubble")
    page.evaluate((ROOT / "widget" / "node_modules" / "axe-core" / "axe.min.js").read_text())
    bad = [v for v in page.evaluate(AXE_RUN) if v["impact"] in ("serious", "critical")]
    assert not bad, bad
    action.click()
    expect(bubble(page)).to_have_count(0)
    expect(fd(page, "reader")).to_contain_text("Cancel your Tasklane subscription")
    events = wait_for_events(
        prompts_server,
        visitor_id(page),
        lambda es: {"prompt_clicked", "article_opened"} <= {e["type"] for e in es},
    )
    assert data(events, "prompt_clicked") == [
        {"prompt_id": "cancel-click", "action": "article", "target": "billing-cancel-subscription"}
    ]
    assert data(events, "article_opened") == [
        {"article_id": "billing-cancel-subscription", "source": "prompt"}
    ]
    assert data(events, "widget_opened") == [{"source": "prompt"}]


def test_element_visible_fires_once_the_element_scrolls_into_view(
    page: Page, prompts_file: PromptsFile, demo: Callable[[str], None]
) -> None:
    prompts_file.use(sample("onboarding-invite"))
    demo("/demo/onboarding")  # the host's huge fonts push the button below the fold
    nothing_shown(page)
    page.locator("#invite-team").scroll_into_view_if_needed()
    found = shown(page, "onboarding-invite")
    expect(found.locator('[data-fd="prompt-action"]')).to_have_text("Invite your team and clients")


def submit_card(page: Page, number: str = "4242") -> None:
    page.locator("#card-number").fill(number)
    page.locator("#card-form button[type=submit]").click()
    expect(page.locator("#card-error")).to_be_visible()


def test_error_shown_fires_when_the_error_appears(
    page: Page, prompts_file: PromptsFile, demo: Callable[[str], None]
) -> None:
    prompts_file.use(sample("billing-card-declined", holdout=0))
    demo("/demo/settings/billing")
    nothing_shown(page)
    submit_card(page)
    found = shown(page, "billing-card-declined")
    expect(found.locator('[data-fd="prompt-action"]')).to_have_count(2)


def test_repeated_errors_fire_on_the_third_time_the_same_error_shows(
    page: Page, prompts_file: PromptsFile, demo: Callable[[str], None]
) -> None:
    prompts_file.use(sample("billing-repeated-errors"))
    demo("/demo/settings/billing")
    for _ in range(2):
        submit_card(page)
    nothing_shown(page)
    submit_card(page)
    shown(page, "billing-repeated-errors")


def test_rage_clicks_fire_on_quick_clicks_in_one_spot(
    page: Page, prompts_file: PromptsFile, demo: Callable[[str], None]
) -> None:
    prompts_file.use(sample("integrations-rage"))
    demo("/demo/settings/integrations")
    for button in page.locator("button.connect").all():  # four quick clicks, far apart
        button.click()
    nothing_shown(page)
    box = page.locator("button.connect").first.bounding_box()
    assert box is not None
    for _ in range(4):
        page.mouse.click(box["x"] + 20, box["y"] + 20)
    shown(page, "integrations-rage")
    fd(page, "launcher").click()  # no prompt while the panel is open
    expect(bubble(page)).to_have_count(0)
    fd(page, "close").click()
    expect(bubble(page)).to_have_count(0)


def test_visit_count_fires_on_the_third_visit_to_the_page(
    page: Page, prompts_file: PromptsFile, demo: Callable[[str], None]
) -> None:
    prompts_file.use(sample("integrations-third-visit"))
    for _ in range(2):
        demo("/demo/settings/integrations")
        nothing_shown(page, 100)
    demo("/demo/settings/integrations")
    shown(page, "integrations-third-visit")
    counts = json.loads(page.evaluate("localStorage.getItem('frontdesk:demo:visits')"))
    assert counts["/settings/integrations"] == 3  # by the host's route


def test_host_event_fires_for_the_audience_it_targets(
    page: Page,
    prompts_file: PromptsFile,
    demo: Callable[[str], None],
    prompts_server: FrontdeskServer,
) -> None:
    prompts_file.use(sample("board-archived"))  # identified users on the team/business plan
    demo("/demo/projects/7/settings")
    page.evaluate("Frontdesk('identify', {id: 'user-1042', traits: {plan: 'free'}})")
    track(page, "project_archived")
    nothing_shown(page)
    page.evaluate("Frontdesk('identify', {id: 'user-1042', traits: {plan: 'business'}})")
    track(page, "something_else")
    nothing_shown(page)
    page.locator("#archive-project").click()  # the demo tracks "project_archived"
    found = shown(page, "board-archived")
    question = "How do I restore an archived project?"
    found.locator('[data-fd="prompt-action"]').click()
    expect(fd(page, "panel")).to_be_visible()
    expect(fd(page, "conversation")).to_contain_text(question)
    events = wait_for_events(
        prompts_server,
        visitor_id(page),
        lambda es: {"prompt_clicked", "question_asked"} <= {e["type"] for e in es},
    )
    assert data(events, "prompt_eligible") == [{"prompt_id": "board-archived", "group": "shown"}]
    assert data(events, "prompt_shown") == [{"prompt_id": "board-archived"}]
    assert data(events, "prompt_clicked") == [
        {"prompt_id": "board-archived", "action": "question", "target": question}
    ]
    assert data(events, "widget_opened") == [{"source": "prompt"}]
    assert data(events, "question_asked")[0]["question"] == question


# -- caps, the daily budget, dismissal, navigation ---------------------------------------


def test_spa_navigation_sets_up_the_new_pages_prompts(
    page: Page, prompts_file: PromptsFile, demo: Callable[[str], None]
) -> None:
    demo("/demo/projects")  # the sample prompts
    track(page, "project_archived")
    nothing_shown(page)  # board-archived is for /projects/:id/board and …/settings only
    with page.expect_response(prompts_response) as answered:
        page.get_by_role("link", name="Mobile app · board").click()
    assert "route=%2Fprojects%2F%3Aid%2Fboard" in answered.value.url
    settled(page, answered.value)
    track(page, "project_archived")
    shown(page, "board-archived")
    page.go_back()  # popstate to /projects: the board's prompt and its bubble are gone
    expect(bubble(page)).to_have_count(0)


def test_the_daily_budget_holds_across_reloads_and_pages(
    page: Page, prompts_file: PromptsFile, demo: Callable[[str], None]
) -> None:
    page.clock.install()
    demo("/demo/onboarding")  # the sample: one prompt a visitor a day
    page.locator("#invite-team").scroll_into_view_if_needed()
    shown(page, "onboarding-invite")
    demo("/demo/settings/integrations")
    page.locator("button.connect").first.click(click_count=4)
    nothing_shown(page)  # integrations-rage would show: the day's budget is spent
    page.clock.fast_forward("24:01:00")
    demo("/demo/settings/integrations")
    page.locator("button.connect").first.click(click_count=4)
    shown(page, "integrations-rage")


def cap_prompts(**changes: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A prompt on the `go` event, and a fallback that shows whenever the first may not."""
    main = {
        "id": "capped",
        "pages": ["/dashboard"],
        "trigger": {"type": "event", "name": "go"},
        "message": "The capped prompt.",
        **changes,
    }
    fallback = {
        **main,
        "id": "fallback",
        "message": "The fallback.",
        "priority": -1,
        "max_shows": 1000,
        "cooldown": 0,
    }
    return main, fallback


def test_max_shows_and_cooldown_across_reloads(
    page: Page, prompts_file: PromptsFile, demo: Callable[[str], None]
) -> None:
    prompts_file.use(*cap_prompts(max_shows=2, cooldown="1h"))
    page.clock.install()
    expected = ["capped", "fallback", "capped", "fallback", "fallback"]
    for i, prompt_id in enumerate(expected):
        demo("/demo/")
        track(page, "go")
        shown(page, prompt_id)
        assert [e["prompt_id"] for e in recorded(page)] == [prompt_id], i
        if i in (1, 2):  # the hour's cooldown passes after the 2nd and the 3rd visit
            page.clock.fast_forward("01:00:01")


def test_a_dismissed_prompt_stays_dismissed(
    page: Page,
    prompts_file: PromptsFile,
    demo: Callable[[str], None],
    prompts_server: FrontdeskServer,
) -> None:
    prompts_file.use(*cap_prompts(cooldown=0, max_shows=100))
    demo("/demo/")
    track(page, "go")
    found = shown(page, "capped")
    expect(found).to_have_attribute("data-fd", "prompt")
    expect(
        page.locator('[role="status"][aria-live="polite"]:has([data-fd="prompt"])')
    ).to_be_visible()
    fd(page, "launcher").focus()  # the bubble comes next in the tab order
    page.keyboard.press("Tab")
    expect(fd(page, "prompt-dismiss")).to_be_focused()
    page.keyboard.press("Escape")
    expect(bubble(page)).to_have_count(0)
    expect(fd(page, "launcher")).to_be_focused()
    demo("/demo/")
    track(page, "go")
    shown(page, "fallback")  # not the dismissed one
    fd(page, "prompt-dismiss").click()
    demo("/demo/")
    track(page, "go")
    nothing_shown(page)
    events = wait_for_events(
        prompts_server,
        visitor_id(page),
        lambda es: sum(e["type"] == "prompt_dismissed" for e in es) == 2,
    )
    assert data(events, "prompt_dismissed") == [
        {"prompt_id": "capped"},
        {"prompt_id": "fallback"},
    ]


# -- the holdout ------------------------------------------------------------------------

# One page plays many visitors: each gets its id, no caps, the event; the group comes from
# the prompt_eligible subscription (all synchronous), and a shown bubble is dismissed. (Keys
# are emptied, not removed: the widget's storage keeps a memory copy for missing keys.)
VISITORS = """([ids, prompt]) => {
    const root = document.querySelector('frontdesk-widget').shadowRoot;
    let group = null;
    Frontdesk('on', 'prompt_eligible', (e) => { group = e.group; });
    return ids.map((id) => {
        localStorage.setItem('frontdesk:demo:visitor', JSON.stringify(id));
        localStorage.setItem('frontdesk:demo:prompts', '{}');  // no caps yet
        localStorage.setItem('frontdesk:demo:queue', '[]');  // 3,000 events: keep it short
        group = null;
        Frontdesk('track', 'split');
        const shown = root.querySelector(`[data-fd="prompt"][data-prompt-id="${prompt}"]`);
        if ((group === 'shown') !== !!shown) return 'bubble and group disagree';
        if (shown) root.querySelector('[data-fd="prompt-dismiss"]').click();
        return group;
    });
}"""


def test_the_holdout_share_is_the_configured_one_and_stable_per_visitor(
    page: Page,
    prompts_file: PromptsFile,
    demo: Callable[[str], None],
    prompts_server: FrontdeskServer,
) -> None:
    holdout = 30.0
    prompts_file.use(
        {
            "id": "split-test",
            "pages": ["/dashboard"],
            "trigger": {"type": "event", "name": "split"},
            "message": "Half-measured.",
            "max_shows": 1000,
            "cooldown": 0,
            "holdout": holdout,
        }
    )
    demo("/demo/")
    ids = [f"visitor-{i}" for i in range(1500)]
    groups = page.evaluate(VISITORS, [ids, "split-test"])
    again = page.evaluate(VISITORS, [ids[:300], "split-test"])
    assert again == groups[:300]  # stable per visitor
    expected = [
        "holdout" if holdout_bucket(v, "split-test") < holdout * 100 else "shown" for v in ids
    ]
    assert groups == expected  # the server's FNV-1a bucket, bit for bit
    share = groups.count("holdout") / len(ids)
    sd = (holdout / 100 * (1 - holdout / 100) / len(ids)) ** 0.5
    assert abs(share - holdout / 100) < 3 * sd, share
    assert holdout_bucket("visitor-1", "billing-idle") == 1511

    # a held-out visitor's eligibility reaches the server; the bubble never shows
    held = next(f"held-{i}" for i in range(100) if holdout_bucket(f"held-{i}", "split-test") < 3000)
    assert page.evaluate(VISITORS, [[held], "split-test"]) == ["holdout"]
    events = wait_for_events(
        prompts_server, held, lambda es: "prompt_eligible" in {e["type"] for e in es}
    )
    assert data(events, "prompt_eligible") == [{"prompt_id": "split-test", "group": "holdout"}]
    expect(bubble(page)).to_have_count(0)


# -- the prompts file -------------------------------------------------------------------


def test_a_broken_prompts_file_leaves_the_last_good_set_serving(
    page: Page,
    prompts_file: PromptsFile,
    demo: Callable[[str], None],
    prompts_server: FrontdeskServer,
) -> None:
    good = served_version(prompts_server)  # the sample
    broken = SAMPLE_TEXT.replace("trigger: {type: idle", "trigger: {type: idel")
    prompts_file.write_text(broken, wait=False)
    response = httpx.get(
        f"{prompts_server.url}/api/v1/prompts", params={"route": "/onboarding"}, timeout=10
    )
    assert response.json()["version"] == good
    health = httpx.get(f"{prompts_server.url}/healthz", timeout=10).json()["prompts"]
    assert health["version"] == good and health["prompts"] == 11
    assert "trigger" in health["error"] and "idel" in health["error"]  # it was read, and refused
    assert [p["id"] for p in response.json()["prompts"]] == ["onboarding-exit", "onboarding-invite"]
    demo("/demo/onboarding")
    page.locator("#invite-team").scroll_into_view_if_needed()
    shown(page, "onboarding-invite")
