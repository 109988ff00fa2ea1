"""A realistic widget event history, written straight into the `events` and `tickets` tables.

For the dashboard benchmark (bench/dashboard_bench.py) and for trying the dashboard on a
big database. The history is what the widget and the server would have stored for the
Tasklane sample product over `days` days:

- ~36 product pages (parametrised ones like `/invoices/:id` carry their `route`), the real
  article ids of `kb_articles/` (their sections, tags and `pages`), the prompts of
  `prompts.yaml` (their pages, audiences, caps, and holdout groups computed as the widget
  computes them);
- ~50 answered or suggested question templates and 8 knowledge-base gap topics, each a
  handful of paraphrases ("quickbooks export?", "sync invoices with quickbooks"), worded
  with small variations;
- visitors who come back across days, sessions of 1-12 events, handoffs and tickets whose
  category and priority come from the server's own ticket rules (default settings);
- weekly and daily seasonality, slow growth, and in the last 7 days a spike of traffic on
  `/invoices/:id` and of one gap topic (invoices in the wrong currency).

Each event's `data` is exactly what `server.events.Event.data()` gives for its type (and
`ticket_created` what `server.handoff.store` writes). Event ids are `e000000000001`, ...; the
same seed and end time give the same history. Rows go in with SQLAlchemy Core executemany,
about 10,000 events per transaction, into an empty database (the schema is migrated first).

    python bench/history.py --database-url sqlite:////tmp/history.db --events 1000000 --days 120
"""

from __future__ import annotations

import argparse
import base64
import itertools
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ingest.articles import load_knowledge_base  # noqa: E402
from ingest.pages import compile_pattern  # noqa: E402
from ingest.sections import split_sections  # noqa: E402
from server.handoff.rules import TicketRules  # noqa: E402
from server.platform.database import create_database_engine, migrate  # noqa: E402
from server.prompts.reader import parse_prompts  # noqa: E402
from server.prompts.schema import Prompt, VisitCount, holdout_group  # noqa: E402
from server.settings import Settings  # noqa: E402
from server.tables import events, tickets  # noqa: E402

SITE = "tasklane"
HOST = "https://app.tasklane.com"
HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
CHUNK_EVENTS = 10_000
MAX_SESSION_EVENTS = 12
SPIKE_DAYS = 7
SPIKE_PAGE = "/invoices/:id"
SPIKE_TOPIC = "invoice-currency"

# -- the product ----------------------------------------------------------------------------

# (route, share of sessions that land there); `:id` pages store their route
PAGES: tuple[tuple[str, float], ...] = (
    ("/dashboard", 14),
    ("/projects", 6),
    ("/projects/:id", 8),
    ("/projects/:id/board", 10),
    ("/projects/:id/settings", 2),
    ("/tasks/:id", 6),
    ("/time", 5),
    ("/time/timesheets", 4),
    ("/reports", 3),
    ("/invoices", 4),
    ("/invoices/new", 2),
    ("/invoices/:id", 4),
    ("/clients", 2),
    ("/settings/profile", 2),
    ("/settings/security", 2),
    ("/settings/security/2fa", 1.5),
    ("/settings/security/sso", 0.6),
    ("/settings/team", 2.5),
    ("/settings/billing", 3),
    ("/settings/billing/plan", 2.5),
    ("/settings/billing/payment-method", 2),
    ("/settings/billing/invoices", 1.5),
    ("/settings/integrations", 2),
    ("/settings/integrations/slack", 1.2),
    ("/settings/integrations/github", 1),
    ("/settings/integrations/google-calendar", 0.8),
    ("/settings/api", 0.8),
    ("/settings/webhooks", 0.6),
    ("/import", 1.2),
    ("/import/trello", 0.6),
    ("/import/asana", 0.5),
    ("/export", 0.8),
    ("/onboarding", 2),
    ("/onboarding/invite", 1),
    ("/login", 2.5),
    ("/signup", 1),
)
PARAM_RANGES = {"/projects/": (1, 3_000), "/tasks/": (1, 90_000), "/invoices/": (1_000, 25_000)}
QUERIES = {
    "/reports": "?range=30d",
    "/time/timesheets": "?week=current",
    "/dashboard": "?ref=email",
}


@dataclass(frozen=True)
class Question:
    """A question users ask, its wordings, and what the answering API says to it."""

    texts: tuple[str, ...]
    status: str  # answered, suggested, no_answer
    articles: tuple[str, ...]  # the answer's article, or the suggestions
    pages: tuple[str, ...]  # page patterns where it is asked; () anywhere
    weight: float = 1.0
    helpful: float = 0.8  # share of feedback that says yes
    topic: str = ""  # the gap topic, for gaps


def answered(
    texts: str, article: str, pages: str = "", weight: float = 1.0, helpful: float = 0.8
) -> Question:
    """Texts and pages are `|`-separated."""
    return Question(_split(texts), "answered", (article,), _split(pages), weight, helpful)


def suggested(texts: str, articles: str, pages: str = "", weight: float = 0.6) -> Question:
    return Question(_split(texts), "suggested", _split(articles), _split(pages), weight)


def gap_topic(
    topic: str, paraphrases: str, pages: str, suggestions: str, weight: float
) -> list[Question]:
    """One question per paraphrase; every third one gets weak suggestions, the rest none."""
    texts = _split(paraphrases)
    return [
        Question(
            (text,),
            "suggested" if i % 3 == 2 else "no_answer",
            _split(suggestions) if i % 3 == 2 else (),
            _split(pages),
            weight / len(texts),
            0.3,
            topic,
        )
        for i, text in enumerate(texts)
    ]


def _split(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in text.split("|") if t.strip())


ANSWERED = [
    answered(
        "How do I change my credit card?|my card expired, how do I add a new one",
        "billing-update-payment-card",
        "/settings/billing*",
        3,
    ),
    answered(
        "How do I change my plan?|upgrade to the business plan",
        "billing-change-plan",
        "/settings/billing/plan|/settings/billing",
        2.5,
    ),
    answered(
        "Where can I download my invoices?|download invoice pdf|get receipts for accounting",
        "billing-download-invoices",
        "/settings/billing*",
        2.5,
    ),
    answered(
        "How do I cancel my subscription?|cancel my plan",
        "billing-cancel-subscription",
        "/settings/billing/plan",
        1.5,
    ),
    answered(
        "Can I get a refund?|refund for the unused months",
        "billing-refunds",
        "/settings/billing*",
        1,
        0.4,
    ),
    answered(
        "Why was my payment declined?|card declined when paying",
        "troubleshooting-payment-declined",
        "/settings/billing/payment-method|/settings/billing/plan",
        2,
        0.6,
    ),
    answered(
        "How do I add our VAT number?|add a tax id", "billing-vat-and-tax-ids", "/settings/billing"
    ),
    answered(
        "How much does an extra seat cost?|am I charged for adding users mid-month",
        "billing-seats-and-proration",
        "/settings/billing/plan|/settings/team",
    ),
    answered(
        "How do I reset my password?|forgot my password", "account-reset-password", "/login", 3
    ),
    answered("I can't log in|login not working", "troubleshooting-cant-log-in", "/login", 2, 0.55),
    answered(
        "How do I turn on two-factor authentication?|enable 2fa",
        "account-two-factor-authentication",
        "/settings/security*",
        1.2,
    ),
    answered(
        "I lost my phone with the authenticator app|lost my 2fa device",
        "troubleshooting-lost-2fa-device",
        "/login|/settings/security/2fa",
        0.8,
    ),
    answered(
        "How do I set up SSO with Okta?|saml setup",
        "account-sso-saml-setup",
        "/settings/security/sso",
    ),
    answered(
        "How do I invite my team?|add a teammate",
        "onboarding-invite-your-team",
        "/settings/team|/onboarding*",
        2,
    ),
    answered(
        "What can a member do compared to an admin?|change someone's role",
        "account-roles-and-permissions",
        "/settings/team|/projects/:id/settings",
    ),
    answered(
        "How do I create a project?", "onboarding-create-your-first-project", "/projects|/dashboard"
    ),
    answered(
        "How do I move a task to another column?|add a column to the board",
        "onboarding-tasks-and-boards",
        "/projects/:id/board|/tasks/:id",
        2,
    ),
    answered(
        "The board is very slow|board takes forever to load",
        "troubleshooting-slow-board",
        "/projects/:id/board",
        1.2,
        0.5,
    ),
    answered(
        "How do I track time on a task?|start a timer",
        "onboarding-track-time",
        "/time|/tasks/:id",
        1.5,
    ),
    answered(
        "My timer is not syncing|timer stopped on my phone",
        "troubleshooting-timer-not-syncing",
        "/time*",
        1,
        0.6,
    ),
    answered(
        "How do I export my timesheets?|export hours to excel",
        "data-export-timesheets",
        "/time/timesheets|/reports",
        1.2,
    ),
    answered("How do I import from Trello?", "data-import-from-trello", "/import*"),
    answered("import projects from asana", "data-import-from-asana", "/import*", 0.8),
    answered(
        "How do I import a CSV?|which columns does the csv import need",
        "data-csv-import",
        "/import",
    ),
    answered(
        "My import failed with an error", "troubleshooting-import-errors", "/import*", 0.8, 0.6
    ),
    answered(
        "How do I export all my data?|backup my workspace", "data-export-workspace", "/export*"
    ),
    answered(
        "How do I connect Slack?|slack notifications for a project",
        "integrations-slack",
        "/settings/integrations*",
        1.2,
    ),
    answered(
        "link github commits to tasks", "integrations-github", "/settings/integrations/github"
    ),
    answered(
        "Sync my tasks with Google Calendar",
        "integrations-google-calendar",
        "/settings/integrations/google-calendar|/time",
    ),
    answered("Where do I create an API token?", "account-api-tokens", "/settings/api"),
    answered(
        "My webhook is failing|webhook returns 500",
        "troubleshooting-webhook-failures",
        "/settings/webhooks",
        0.8,
        0.6,
    ),
    answered(
        "How do I send an invoice to a client?|create an invoice for a client",
        "billing-create-client-invoice",
        "/invoices*",
        2,
    ),
    answered(
        "Can clients pay invoices by card?|stripe payments on invoices",
        "billing-accept-stripe-payments",
        "/invoices/:id",
    ),
    answered(
        "Send a reminder for an overdue invoice", "billing-client-invoice-reminders", "/invoices*"
    ),
    answered(
        "I am not getting email notifications|emails not arriving",
        "troubleshooting-emails-not-arriving",
        "",
        0.8,
        0.5,
    ),
    answered("Is there a mobile app?", "onboarding-mobile-apps", "", 0.6),
    answered("Which browsers are supported?", "troubleshooting-browser-support", "", 0.3),
    answered("How do I delete my account?", "account-delete-account", "/settings/profile"),
    answered("Start a project from a template", "onboarding-project-templates", "/projects*"),
    answered(
        "How do I create a workspace?", "onboarding-create-a-workspace", "/signup|/onboarding*"
    ),
    answered(
        "How do I see where I am logged in?", "account-active-sessions", "/settings/security", 0.5
    ),
    answered("How do plans differ?|pricing", "billing-plans-and-pricing", "/settings/billing*"),
]

SUGGESTED = [
    suggested(
        "billing",
        "billing-plans-and-pricing|billing-change-plan|billing-download-invoices",
        "/settings/billing*",
    ),
    suggested("notifications", "troubleshooting-notifications-not-working|integrations-slack", ""),
    suggested(
        "permissions for clients", "account-roles-and-permissions|billing-create-client-invoice"
    ),
    suggested(
        "Why does my integration keep disconnecting?",
        "integrations-manage-integrations|integrations-slack|integrations-github",
        "/settings/integrations*",
        0.8,
    ),
    suggested(
        "How do I restore an archived project?",
        "onboarding-create-your-first-project|onboarding-project-templates",
        "/projects/:id/board|/projects/:id/settings",
    ),
    suggested(
        "api rate limits", "integrations-rest-api-basics|account-api-tokens", "/settings/api"
    ),
    suggested("security", "account-active-sessions|account-two-factor-authentication"),
    suggested(
        "connect zapier to invoices",
        "integrations-zapier|billing-create-client-invoice",
        "/invoices*|/settings/integrations*",
    ),
    suggested("gdpr", "account-gdpr-data-requests|account-delete-account", "/settings/profile"),
    suggested(
        "scheduled backups to s3", "data-scheduled-backups|data-export-workspace", "/export*"
    ),
]

GAPS = [
    *gap_topic(
        "quickbooks",
        "how do I export to quickbooks|quickbooks export?|sync invoices with quickbooks|"
        "connect tasklane to quickbooks online|can I send my invoices to QuickBooks",
        "/invoices*|/settings/integrations*|/export",
        "data-export-workspace|integrations-zapier",
        4,
    ),
    *gap_topic(
        SPIKE_TOPIC,
        "why is my invoice in the wrong currency|invoice shows USD instead of EUR|"
        "change invoice currency|currency on the invoice pdf is wrong|"
        "invoice total has the wrong currency symbol",
        "/invoices/:id|/invoices/new",
        "billing-create-client-invoice",
        0.6,
    ),
    *gap_topic(
        "dark-mode",
        "is there a dark mode|dark theme?|how to switch to dark mode|night mode for the app",
        "",
        "troubleshooting-browser-support",
        1,
    ),
    *gap_topic(
        "recurring-tasks",
        "how do I create a recurring task|repeat a task every week|recurring tasks?|"
        "task that repeats monthly",
        "/projects/:id/board|/tasks/:id",
        "onboarding-tasks-and-boards",
        1.2,
    ),
    *gap_topic(
        "gantt",
        "is there a gantt chart|timeline view for projects|gantt view?|"
        "show the project timeline with dependencies",
        "/projects*",
        "onboarding-create-your-first-project",
        0.8,
    ),
    *gap_topic(
        "weekly-summary",
        "How do I get a weekly summary email?|weekly report by email|"
        "email me a summary every monday|send a weekly digest",
        "/dashboard|/reports",
        "troubleshooting-notifications-not-working",
        0.7,
    ),
    *gap_topic(
        "workspace-url",
        "how do I change my workspace url|rename workspace|"
        "change the subdomain of our workspace|workspace name change?",
        "/settings/profile|/settings/team",
        "onboarding-create-a-workspace",
        0.8,
    ),
    *gap_topic(
        "offline",
        "does tasklane work offline|offline mode?|use the app without internet|track time offline",
        "/time*",
        "onboarding-mobile-apps",
        0.8,
    ),
]

GERMAN = [
    answered("Wie ändere ich meine Kreditkarte?", "billing-update-payment-card-de"),
    answered("Wie kündige ich mein Abo?", "billing-cancel-subscription-de"),
    answered("Rechnungen herunterladen", "billing-download-invoices-de"),
    answered("Passwort vergessen", "account-reset-password-de"),
    answered("Zwei-Faktor-Authentifizierung einrichten", "account-two-factor-authentication-de"),
]

# how often a prompt's trigger fires in a session on its pages
TRIGGER_CHANCE = {
    "delay": 0.9,
    "idle": 0.3,
    "exit_intent": 0.2,
    "scroll_depth": 0.2,
    "click": 0.06,
    "element_visible": 0.35,
    "error_shown": 0.08,
    "repeated_errors": 0.02,
    "rage_clicks": 0.05,
    "visit_count": 0.6,
    "event": 0.03,
}
PREFIXES = ("hi, ", "hey ", "quick question: ", "hello ", "")
SUFFIXES = (" thanks", " pls", "??", " asap", "")
FIRST_NAMES = "anna ben carla david emma felix grace hugo ines jonas kim lena max nora omar paul"
LAST_NAMES = "meyer smith garcia rossi novak kowalski jensen dubois silva tanaka okafor weber"
DOMAINS = ("example.com", "example.org", "example.net", "acme.example", "studio.example")
# what users add above the transcript, and how often (some trip the priority keywords)
TICKET_LINES: tuple[tuple[str, float], ...] = (
    ("I still can't figure this out, can someone help?", 6),
    ("This is not what I asked. Please get back to me.", 4),
    ("Could you do this for me?", 3),
    ("Please call me back.", 2),
    ("Is there a workaround?", 3),
    ("Is this a bug? I get an error every time.", 2),
    ("It's broken since this morning and not working for the whole team.", 1),
    ("The payment failed again with my new card.", 0.7),
    ("I am locked out of my account.", 0.5),
    ("We were charged twice this month.", 0.4),
    ("Everything is down for us, this is urgent!", 0.1),
)
TICKET_LINE_CUM = tuple(itertools.accumulate(w for _, w in TICKET_LINES))


@dataclass(frozen=True)
class ArticleInfo:
    tags: tuple[str, ...]
    sections: tuple[str, ...]  # heading paths joined with " > ", as answers cite them
    pages: tuple[str, ...]


def article_catalog(kb_dir: Path) -> dict[str, ArticleInfo]:
    """Every article of the knowledge base, by id."""
    out = {}
    for article in load_knowledge_base(kb_dir):
        sections = split_sections(article.body, title=article.meta.title)
        paths = tuple(" > ".join(s.path) for s in sections if s.path) or ("",)
        out[article.id] = ArticleInfo(tuple(article.meta.tags), paths, tuple(article.meta.pages))
    return out


# -- the model --------------------------------------------------------------------------------


@dataclass(slots=True)
class Visitor:
    id: str
    german: bool
    identified: bool
    plan: str
    user_id: str | None
    first_session: str = ""
    sessions: int = 0
    prompt_day: int = -1  # the last day a prompt was eligible for them
    prompt_counts: dict[str, int] = field(default_factory=dict)
    prompt_last: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Page:
    route: str
    questions: tuple[Question, ...]
    cum_weights: tuple[float, ...]  # normal days
    spike_cum_weights: tuple[float, ...]  # the last week
    articles: tuple[str, ...]  # articles whose `pages` match
    prompts: tuple[Prompt, ...]  # highest priority first


Row = tuple[str, str, str | None, int, dict[str, Any], str | None]  # type, url, route, ts, data, id


class Session:
    """The events of one session as they happen: the page it is on and the clock."""

    def __init__(self, session_id: str, visitor: Visitor, page: Page, url: str, t: int) -> None:
        self.id = session_id
        self.visitor = visitor
        self.page = page
        self.url = url
        self.t = t
        self.landing = page.route
        self.rows: list[Row] = []
        self.tickets: dict[int, dict[str, Any]] = {}  # index of its event -> ticket row
        self.topics: list[str] = []  # the gap topic of each question asked ("" for none)
        self.last_request: str | None = None

    @property
    def route(self) -> str | None:
        """The route column: the host sends one on its parametrised pages."""
        return self.page.route if ":" in self.page.route else None

    def emit(
        self, kind: str, data: dict[str, Any], after_ms: int, event_id: str | None = None
    ) -> int:
        """Log an event `after_ms` after the previous one; its index, or -1 past the cap."""
        if len(self.rows) >= MAX_SESSION_EVENTS:
            return -1
        self.t += after_ms
        self.rows.append((kind, self.url, self.route, self.t, data, event_id))
        return len(self.rows) - 1

    def full(self) -> bool:
        return len(self.rows) >= MAX_SESSION_EVENTS - 2

    def shift(self, ms: int) -> None:
        """Move the whole session `ms` earlier."""
        self.rows = [(k, u, r, ts - ms, d, i) for k, u, r, ts, d, i in self.rows]
        for ticket in self.tickets.values():
            ticket["created_at"] -= ms
        self.t -= ms


class History:
    """Makes sessions, hour by hour, with the weights, visitors and caps they need."""

    def __init__(self, rng: random.Random, start_ms: int, end_ms: int, rules: TicketRules) -> None:
        self.rng = rng
        self.start_ms = start_ms
        self.end_ms = end_ms
        self.spike_from = end_ms - SPIKE_DAYS * DAY_MS
        self.rules = rules
        self.articles = article_catalog(ROOT / "kb_articles")
        prompt_set = parse_prompts(ROOT / "prompts.yaml")
        self.per_day = prompt_set.limits.per_visitor_per_day
        self.pages = [self._page(route, prompt_set.prompts) for route, _ in PAGES]
        self.page_cum = list(itertools.accumulate(w for _, w in PAGES))
        self.spike_page_cum = list(
            itertools.accumulate(w * (4 if r == SPIKE_PAGE else 1) for r, w in PAGES)
        )
        self.by_text = {t.lower(): q for q in ANSWERED + SUGGESTED + GAPS for t in q.texts}
        self.visitors: list[Visitor] = []
        self.groups: dict[tuple[str, str], str] = {}

    # -- setup

    def _page(self, route: str, prompts: tuple[Prompt, ...]) -> Page:
        def here(patterns: tuple[str, ...]) -> bool:
            return any(compile_pattern(p).match(route) for p in patterns)

        chosen: list[tuple[Question, float, float]] = []
        for q in ANSWERED + SUGGESTED + GAPS:
            if here(q.pages) or not q.pages:
                local = 3.0 if q.pages else 0.4
                spike = 10.0 if q.topic == SPIKE_TOPIC else 1.0
                chosen.append((q, q.weight * local, q.weight * local * spike))
        articles = tuple(a for a, info in self.articles.items() if info.pages and here(info.pages))
        return Page(
            route,
            tuple(q for q, _, _ in chosen),
            tuple(itertools.accumulate(w for _, w, _ in chosen)),
            tuple(itertools.accumulate(w for _, _, w in chosen)),
            articles,
            tuple(sorted((p for p in prompts if here(tuple(p.pages))), key=lambda p: -p.priority)),
        )

    # -- ids, pages and words

    def rid(self) -> str:
        """24 url-safe characters, like the widget's ids."""
        return base64.urlsafe_b64encode(self.rng.getrandbits(144).to_bytes(18, "big")).decode()

    def url(self, route: str) -> str:
        path = route
        for prefix, (low, high) in PARAM_RANGES.items():
            if route.startswith(prefix) and ":id" in route:
                path = route.replace(":id", str(self.rng.randint(low, high)))
        if route in QUERIES and self.rng.random() < 0.2:
            path += QUERIES[route]
        return HOST + path

    def vary(self, text: str) -> str:
        """The small ways people type the same thing."""
        r = self.rng.random()
        if r < 0.4:
            return text
        if r < 0.65:
            return text.lower()
        if r < 0.8:
            return text.lower().rstrip("?")
        if r < 0.9:
            return self.rng.choice(PREFIXES) + text[:1].lower() + text[1:]
        return text + self.rng.choice(SUFFIXES)

    def section(self, question: Question) -> str:
        """The section that answers it: always the same one for a question."""
        paths = self.articles[question.articles[0]].sections
        return paths[sum(map(ord, question.texts[0])) % len(paths)]

    # -- visitors

    def visitor(self) -> Visitor:
        """A returning visitor (from the recent ones) or a new one."""
        rng = self.rng
        known = len(self.visitors)
        if known and rng.random() < 0.45:
            return self.visitors[rng.randrange(max(0, known - 30_000), known)]
        identified = rng.random() < 0.6
        visitor = Visitor(
            self.rid(),
            german=rng.random() < 0.05,
            identified=identified,
            plan=rng.choice(("free", "team", "team", "business")),
            user_id=f"u{rng.randrange(10**7)}" if identified else None,
        )
        self.visitors.append(visitor)
        return visitor

    # -- sessions

    def session(self, start: int) -> Session:
        rng = self.rng
        spike = start >= self.spike_from
        page = self.pages[
            bisect_index(self.spike_page_cum if spike else self.page_cum, rng.random())
        ]
        visitor = self.visitor()
        session = Session(self.rid(), visitor, page, self.url(page.route), start)
        visitor.sessions += 1
        if visitor.sessions == 1:
            visitor.first_session = session.id
        clicked = bool(page.prompts) and self.prompt(session, spike)
        if not clicked:
            r = rng.random()
            if r < 0.42:
                self.asking(session, spike, "launcher" if rng.random() < 0.85 else "api")
            elif r < 0.55:
                self.reading(session)
            elif r < 0.57 and session.visitor.identified:
                self.contact(session)
            else:
                self.browsing(session)
        if session.t >= self.end_ms:  # the last sessions end before end_ms
            session.shift(session.t - self.end_ms + 1)
        return session

    def move(self, session: Session, spike: bool) -> None:
        """The user goes to another page (SPA navigation)."""
        cum = self.spike_page_cum if spike else self.page_cum
        page = self.pages[bisect_index(cum, self.rng.random())]
        previous = session.url
        session.page, session.url = page, self.url(page.route)
        session.emit("page_changed", {"from_url": previous}, self.rng.randint(8_000, 180_000))

    def browsing(self, session: Session) -> None:
        for _ in range(self.rng.choice((1, 1, 1, 2, 2, 3, 4))):
            self.move(session, session.t >= self.spike_from)
        if self.rng.random() < 0.15:
            session.emit("widget_opened", {"source": "launcher"}, self.rng.randint(2_000, 60_000))
            session.emit("widget_closed", {}, self.rng.randint(2_000, 30_000))

    def reading(self, session: Session) -> None:
        rng = self.rng
        session.emit("widget_opened", {"source": "launcher"}, rng.randint(2_000, 90_000))
        choices = session.page.articles or tuple(self.articles)
        for _ in range(rng.choice((1, 1, 2))):
            article = rng.choice(choices)
            session.emit(
                "article_opened",
                {"article_id": article, "source": "search"},
                rng.randint(3_000, 20_000),
            )
        if rng.random() < 0.5:
            session.emit("widget_closed", {}, rng.randint(20_000, 240_000))

    def asking(self, session: Session, spike: bool, source: str) -> None:
        rng = self.rng
        session.emit("widget_opened", {"source": source}, rng.randint(2_000, 90_000))
        for _ in range(rng.choice((1, 1, 1, 1, 1, 1, 1, 2, 2, 3))):
            if session.full():
                break
            if self.ask(session, self.pick_question(session, spike)):
                return
            if rng.random() < 0.1:
                self.move(session, spike)
        if rng.random() < 0.6 and not session.full():
            session.emit("widget_closed", {}, rng.randint(5_000, 120_000))

    def pick_question(self, session: Session, spike: bool) -> Question:
        rng = self.rng
        if session.visitor.german and rng.random() < 0.7:
            return rng.choice(GERMAN)
        page = session.page
        cum = page.spike_cum_weights if spike else page.cum_weights
        return page.questions[bisect_index(cum, rng.random())]

    def ask(self, session: Session, question: Question, text: str | None = None) -> bool:
        """Asks, shows the outcome and what the user does next; True when it ended in a ticket."""
        rng = self.rng
        text = text or self.vary(rng.choice(question.texts))
        if session.full():
            return False
        session.topics.append(question.topic)
        if rng.random() < 0.005:  # the request failed: no request id, nothing shown
            session.emit(
                "question_asked",
                {"question": text, "request_id": None, "status": "error"},
                rng.randint(4_000, 40_000),
            )
            return False
        request = session.last_request = self.rid()
        session.emit(
            "question_asked",
            {"question": text, "request_id": request, "status": question.status},
            rng.randint(4_000, 40_000),
        )
        if question.status == "answered":
            return self.answer(session, question, request)
        if question.status == "suggested":
            ids = list(question.articles)
            session.emit(
                "suggestion_shown",
                {"request_id": request, "article_ids": ids},
                rng.randint(300, 2_000),
            )
            if rng.random() < 0.45:
                opened = rng.choice(ids)
                session.emit(
                    "article_opened",
                    {"article_id": opened, "source": "suggestion"},
                    rng.randint(3_000, 30_000),
                )
                return False
            return rng.random() < 0.2 and self.handoff(session)
        session.emit("no_answer_shown", {"request_id": request}, rng.randint(300, 2_000))
        return rng.random() < 0.3 and self.handoff(session)

    def answer(self, session: Session, question: Question, request: str) -> bool:
        rng = self.rng
        article = question.articles[0]
        shown = {"request_id": request, "article_id": article, "section": self.section(question)}
        session.emit("answer_shown", shown, rng.randint(300, 2_000))
        if rng.random() < 0.25:
            session.emit(
                "article_opened",
                {"article_id": article, "source": "answer"},
                rng.randint(3_000, 30_000),
            )
        if rng.random() < 0.45:
            helpful = rng.random() < question.helpful
            feedback = {"request_id": request, "article_id": article, "helpful": helpful}
            session.emit("feedback", feedback, rng.randint(5_000, 90_000))
            return not helpful and rng.random() < 0.35 and self.handoff(session)
        return False

    def prompt(self, session: Session, spike: bool) -> bool:
        """The highest-priority prompt whose trigger fires and that the visitor may see;
        True when they clicked it."""
        rng = self.rng
        visitor = session.visitor
        day = (session.t - self.start_ms) // DAY_MS
        chosen = next(
            (
                p
                for p in session.page.prompts
                if self.fires(p, visitor) and self.may_show(p, session, day)
            ),
            None,
        )
        if chosen is None:
            return False
        group = self.group(visitor.id, chosen)
        visitor.prompt_day = day
        visitor.prompt_counts[chosen.id] = visitor.prompt_counts.get(chosen.id, 0) + 1
        visitor.prompt_last[chosen.id] = session.t
        payload = {"prompt_id": chosen.id, "group": group}
        session.emit("prompt_eligible", payload, rng.randint(3_000, 60_000))
        if group == "holdout":
            if rng.random() < 0.05:  # with no prompt, some give up and write to support
                self.contact(session)
            return False
        session.emit("prompt_shown", {"prompt_id": chosen.id}, rng.randint(20, 200))
        r = rng.random()
        if r < 0.22:
            self.click(session, chosen, spike)
            return True
        if r < 0.5:
            session.emit("prompt_dismissed", {"prompt_id": chosen.id}, rng.randint(1_000, 15_000))
        return False

    def fires(self, prompt: Prompt, visitor: Visitor) -> bool:
        """Whether the prompt's trigger happens in this session."""
        trigger = prompt.trigger
        if isinstance(trigger, VisitCount) and visitor.sessions < trigger.count:
            return False
        return self.rng.random() < TRIGGER_CHANCE.get(trigger.type, 0.1)

    def may_show(self, prompt: Prompt, session: Session, day: int) -> bool:
        visitor = session.visitor
        audience = prompt.audience
        if visitor.prompt_day == day and self.per_day <= 1:
            return False
        if visitor.prompt_counts.get(prompt.id, 0) >= prompt.max_shows:
            return False
        if session.t - visitor.prompt_last.get(prompt.id, -(10**15)) < prompt.cooldown * 1000:
            return False
        if audience.visitor != "any" and (audience.visitor == "new") != (
            visitor.first_session == session.id
        ):
            return False
        if audience.identified is not None and audience.identified != visitor.identified:
            return False
        plans = audience.traits.get("plan")
        return plans is None or visitor.plan in (plans if isinstance(plans, list) else [plans])

    def group(self, visitor_id: str, prompt: Prompt) -> str:
        key = (visitor_id, prompt.id)
        if key not in self.groups:
            self.groups[key] = holdout_group(visitor_id, prompt)
        return self.groups[key]

    def click(self, session: Session, prompt: Prompt, spike: bool) -> None:
        rng = self.rng
        clicked: dict[str, Any]
        if prompt.questions:
            text = rng.choice(prompt.questions)
            clicked = {"prompt_id": prompt.id, "action": "question", "target": text}
            session.emit("prompt_clicked", clicked, rng.randint(1_000, 20_000))
            session.emit("widget_opened", {"source": "prompt"}, rng.randint(10, 100))
            question = self.by_text.get(text.lower()) or self.pick_question(session, spike)
            self.ask(session, question, text)
        elif prompt.articles:
            article = rng.choice(prompt.articles)
            clicked = {"prompt_id": prompt.id, "action": "article", "target": article}
            session.emit("prompt_clicked", clicked, rng.randint(1_000, 20_000))
            session.emit("widget_opened", {"source": "prompt"}, rng.randint(10, 100))
            session.emit(
                "article_opened", {"article_id": article, "source": "prompt"}, rng.randint(10, 100)
            )
        else:
            clicked = {"prompt_id": prompt.id, "action": "open", "target": None}
            session.emit("prompt_clicked", clicked, rng.randint(1_000, 20_000))
            session.emit("widget_opened", {"source": "prompt"}, rng.randint(10, 100))
            if rng.random() < 0.6:
                self.ask(session, self.pick_question(session, spike))

    def contact(self, session: Session) -> None:
        """Straight to "Contact support", no question asked."""
        session.emit("widget_opened", {"source": "launcher"}, self.rng.randint(2_000, 60_000))
        self.handoff(session)

    def handoff(self, session: Session) -> bool:
        """The contact form opens; most send it. True when a ticket was filed."""
        rng = self.rng
        session.emit(
            "handoff_started", {"request_id": session.last_request}, rng.randint(3_000, 30_000)
        )
        if rng.random() >= 0.8:
            return False
        self.ticket(session)
        return True

    def ticket(self, session: Session) -> None:
        rng = self.rng
        ticket_id = self.rid()
        questions = [r[4]["question"] for r in session.rows if r[0] == "question_asked"]
        line = TICKET_LINES[bisect_index(TICKET_LINE_CUM, rng.random())][0]
        message = "\n\n".join([line, *(f"Q: {q}" for q in questions)])
        tags = [
            t
            for a in shown_articles(session.rows)
            if a in self.articles
            for t in self.articles[a].tags
        ]
        text = " ".join([message, *questions])
        category = self.rules.category(text, tags)
        priority = self.rules.priority(text)
        data = {"ticket_id": ticket_id, "category": category, "priority": priority}
        index = session.emit(
            "ticket_created", data, rng.randint(45_000, 400_000), f"ticket-{ticket_id}"
        )
        if index < 0:
            return
        first, last = rng.choice(FIRST_NAMES.split()), rng.choice(LAST_NAMES.split())
        visitor = session.visitor
        session.tickets[index] = {
            "id": ticket_id,
            "site": SITE,
            "session_id": session.id,
            "visitor_id": visitor.id,
            "email": f"{first}.{last}@{rng.choice(DOMAINS)}",
            "name": f"{first.title()} {last.title()}" if rng.random() < 0.7 else None,
            "message": message,
            "page_url": session.url,
            "user_id": visitor.user_id,
            "user_verified": False,
            "category": category,
            "priority": priority,
            "context": ticket_context(session.rows, questions, session.url, session.route),
            "created_at": session.t,
        }


def bisect_index(cum: list[float] | tuple[float, ...], r: float) -> int:
    """The index a uniform draw r in [0, 1) picks from cumulative weights."""
    target = r * cum[-1]
    low, high = 0, len(cum) - 1
    while low < high:
        mid = (low + high) // 2
        if cum[mid] > target:
            high = mid
        else:
            low = mid + 1
    return low


def shown_articles(rows: list[Row]) -> list[str]:
    out: list[str] = []
    for kind, _, _, _, data, _ in rows:
        if kind in ("answer_shown", "article_opened"):
            out.append(data["article_id"])
        elif kind == "suggestion_shown":
            out.extend(data["article_ids"])
    return out


def ticket_context(
    rows: list[Row], questions: list[str], url: str, route: str | None
) -> dict[str, Any]:
    """What `server.tickets.session_context` finds in the session, plus the form's parts."""
    status = [d["status"] for k, _, _, _, d, _ in rows if k == "question_asked"]
    return {
        "questions": [{"question": q, "status": s} for q, s in zip(questions, status, strict=True)],
        "answers": [
            {"article_id": d["article_id"], "section": d["section"]}
            for k, _, _, _, d, _ in rows
            if k == "answer_shown"
        ],
        "suggestions": [
            a for k, _, _, _, d, _ in rows if k == "suggestion_shown" for a in d["article_ids"]
        ],
        "articles_opened": [d["article_id"] for k, _, _, _, d, _ in rows if k == "article_opened"],
        "feedback": [
            {"article_id": d["article_id"], "helpful": d["helpful"]}
            for k, _, _, _, d, _ in rows
            if k == "feedback"
        ],
        "pages": list(dict.fromkeys(u for _, u, _, _, _, _ in rows)),
        "prompts": list(
            dict.fromkeys(
                d["prompt_id"]
                for k, _, _, _, d, _ in rows
                if k in ("prompt_shown", "prompt_clicked")
            )
        ),
        "user": None,
        "transcript": [{"role": "user", "text": q, "article_id": None} for q in questions],
        "page": {"url": url, "route": route, "title": None, "context": {}},
    }


# -- time -----------------------------------------------------------------------------------

WEEKDAY = (1.0, 1.05, 1.0, 0.97, 0.85, 0.42, 0.36)  # Monday first
HOURLY = (
    0.35, 0.3, 0.3, 0.35, 0.45, 0.6, 0.8, 1.0, 1.25, 1.45, 1.5, 1.45,
    1.35, 1.4, 1.5, 1.45, 1.3, 1.1, 0.95, 0.85, 0.75, 0.6, 0.5, 0.4,
)  # fmt: skip


def hour_targets(events_total: int, start_ms: int, end_ms: int) -> Iterator[tuple[int, int]]:
    """(hour start, events to have written by the end of that hour) for every hour."""
    hours = max(1, (end_ms - start_ms) // HOUR_MS)
    spike_from = end_ms - SPIKE_DAYS * DAY_MS
    weights = []
    for h in range(hours):
        moment = datetime.fromtimestamp((start_ms + h * HOUR_MS) / 1000, UTC)
        growth = 1 + 0.3 * h / hours
        spike = 1.12 if start_ms + h * HOUR_MS >= spike_from else 1.0
        weights.append(WEEKDAY[moment.weekday()] * HOURLY[moment.hour] * growth * spike)
    total = sum(weights)
    running = 0.0
    for h, weight in enumerate(weights):
        running += weight
        yield start_ms + h * HOUR_MS, round(events_total * running / total)


# -- writing --------------------------------------------------------------------------------


class Writer:
    """Buffers rows and inserts them, events and their tickets, ~10,000 events a transaction."""

    def __init__(self, engine: Engine, end_ms: int, rng: random.Random) -> None:
        self.engine = engine
        self.end_ms = end_ms
        self.rng = rng
        self.events: list[dict[str, Any]] = []
        self.tickets: list[dict[str, Any]] = []
        self.serial = itertools.count(1)
        self.types: Counter[str] = Counter()
        self.written = 0

    def pending(self) -> int:
        """Events written or buffered."""
        return self.written + len(self.events)

    def add(self, session: Session) -> None:
        for index, (kind, url, route, ts, data, event_id) in enumerate(session.rows):
            self.events.append(
                {
                    "id": event_id or f"e{next(self.serial):012d}",
                    "site": SITE,
                    "type": kind,
                    "session_id": session.id,
                    "visitor_id": session.visitor.id,
                    "page_url": url,
                    "route": route,
                    "ts": ts,
                    "received_at": min(max(self.end_ms, ts), ts + self.delay()),
                    "data": data,
                }
            )
            self.types[kind] += 1
            if index in session.tickets:
                self.tickets.append(session.tickets[index])
        if len(self.events) >= CHUNK_EVENTS:
            self.flush()

    def delay(self) -> int:
        """Server time minus client time: a batch a second later, sometimes a late beacon."""
        r = self.rng.random()
        if r < 0.97:
            return self.rng.randint(150, 2_500)
        if r < 0.997:
            return self.rng.randint(60_000, 3_600_000)
        return self.rng.randint(3_600_000, 20 * 3_600_000)

    def flush(self) -> None:
        if not self.events:
            return
        with self.engine.begin() as db:
            db.execute(events.insert(), self.events)
            if self.tickets:
                db.execute(tickets.insert(), self.tickets)
        self.written += len(self.events)
        self.events, self.tickets = [], []


# -- the whole run ----------------------------------------------------------------------------


def default_ticket_rules() -> TicketRules:
    """The server's ticket rules with the default settings."""
    fields = Settings.model_fields
    return TicketRules(
        fields["ticket_categories"].get_default(), fields["ticket_priorities"].get_default(), {}
    )


class Tally:
    """What the summary reports: sessions, questions, and the spike against the weeks before."""

    def __init__(self, end_ms: int, days: int) -> None:
        self.end_ms = end_ms
        self.weeks = max(1, days // 7)
        self.sessions = 0
        self.questions: Counter[str] = Counter()
        self.topics: Counter[str] = Counter()
        self.weekly: Counter[tuple[str, int]] = Counter()  # (series, weeks before the end)

    def add(self, session: Session) -> None:
        self.sessions += 1
        week = (self.end_ms - 1 - session.rows[0][3]) // (7 * DAY_MS)
        if session.landing == SPIKE_PAGE:
            self.weekly[("page", week)] += 1
        for kind, _, _, _, data, _ in session.rows:
            if kind == "question_asked":
                self.questions[data["status"]] += 1
        for topic in session.topics:
            if topic:
                self.topics[topic] += 1
                self.weekly[(topic, week)] += topic == SPIKE_TOPIC

    def spike(self, series: str) -> dict[str, float]:
        before = [self.weekly[(series, w)] for w in range(1, self.weeks)]
        return {
            "last_7_days": self.weekly[(series, 0)],
            "mean_of_the_weeks_before": round(sum(before) / len(before), 1) if before else 0.0,
        }


def generate(
    engine: Engine, events_total: int, days: int, seed: int = 7, end_ms: int | None = None
) -> dict[str, Any]:
    """Write `events_total` events over `days` days ending at `end_ms` (default: now) into an
    empty database (migrated first); returns what was written, counted."""
    started = time.perf_counter()
    migrate(engine)
    with engine.connect() as db:
        if db.execute(select(func.count()).select_from(events)).scalar_one():
            raise ValueError("the events table is not empty: generate into a fresh database")
    end_ms = end_ms if end_ms is not None else int(time.time() * 1000)
    start_ms = end_ms - days * DAY_MS
    rng = random.Random(seed)
    history = History(rng, start_ms, end_ms, default_ticket_rules())
    writer = Writer(engine, end_ms, random.Random(seed + 1))
    tally = Tally(end_ms, days)
    for hour_start, target in hour_targets(events_total, start_ms, end_ms):
        while writer.pending() < target:
            session = history.session(hour_start + rng.randrange(HOUR_MS))
            session.rows = session.rows[: events_total - writer.pending()]
            writer.add(session)
            tally.add(session)
    writer.flush()
    return {
        "events": writer.written,
        "seconds": round(time.perf_counter() - started, 1),
        "from": iso(start_ms),
        "to": iso(end_ms),
        "sessions": tally.sessions,
        "visitors": len(history.visitors),
        "returning_visitors": sum(1 for v in history.visitors if v.sessions > 1),
        "tickets": writer.types["ticket_created"],
        "events_by_type": dict(writer.types.most_common()),
        "questions_by_status": dict(tally.questions.most_common()),
        "gap_questions_by_topic": dict(tally.topics.most_common()),
        f"spike_sessions_landing_on {SPIKE_PAGE}": tally.spike("page"),
        f"spike_questions_of_gap_topic {SPIKE_TOPIC}": tally.spike(SPIKE_TOPIC),
    }


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        required=True,
        help="sqlite:////abs/path.db or postgresql://user@host:port/db (an empty database)",
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--end-ms", type=int, default=None, help="default: now")
    args = parser.parse_args()
    engine = create_database_engine(Settings(database_url=args.database_url))
    try:
        summary = generate(engine, args.events, args.days, args.seed, args.end_ms)
    finally:
        engine.dispose()
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
