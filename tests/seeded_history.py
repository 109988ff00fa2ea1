"""A small event history whose dashboard figures are worked out by hand in the tests.

Three stretches of time that do not disturb each other:

- week A, Mon 2026-10-05 to Sun 2026-10-11: seven sessions, told one by one below;
- week B, 2026-10-12 to 2026-10-18: the holdout of prompt `billing-holdout` (40 shown
  visitors, 4 of whom file a ticket; 40 in the holdout, 12 of whom do) and article
  `data-sync` marked "No" 10 times and "Yes" twice; a question made of HTML;
- the spike: `/reports` gets 2 questions a week from 2026-07-27 for 8 weeks, then 20 in
  the week of 2026-09-21; `/home` gets 5 a week all along.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from server.tables import events

WEEK_A = date(2026, 10, 5)
WEEK_B = date(2026, 10, 12)
SPIKE_WEEK = date(2026, 9, 21)


def ms(day: date, hour: float = 12) -> int:
    moment = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hour)
    return int(moment.timestamp() * 1000)


class History:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(
        self,
        kind: str,
        session: str,
        visitor: str,
        url: str,
        ts: int,
        route: str | None = None,
        **data: Any,
    ) -> None:
        self.rows.append(
            {
                "id": f"e{len(self.rows):06d}",
                "site": "acme",
                "type": kind,
                "session_id": session,
                "visitor_id": visitor,
                "page_url": f"https://app.example.com{url}",
                "route": route,
                "ts": ts,
                "received_at": ts + 500,
                "data": data,
            }
        )

    def ask(
        self,
        session: str,
        visitor: str,
        url: str,
        ts: int,
        question: str,
        status: str,
        route: str | None = None,
        article: str | None = None,
        helpful: bool | None = None,
        suggested: list[str] | None = None,
    ) -> None:
        request = f"r-{session}-{ts}"
        self.add(
            "question_asked",
            session,
            visitor,
            url,
            ts,
            route,
            question=question,
            request_id=request,
            status=status,
        )
        if article:
            self.add(
                "answer_shown",
                session,
                visitor,
                url,
                ts + 1,
                route,
                request_id=request,
                article_id=article,
                section="",
            )
        if suggested:
            self.add(
                "suggestion_shown",
                session,
                visitor,
                url,
                ts + 1,
                route,
                request_id=request,
                article_ids=suggested,
            )
        if status == "no_answer":
            self.add("no_answer_shown", session, visitor, url, ts + 1, route, request_id=request)
        if helpful is not None:
            self.add(
                "feedback",
                session,
                visitor,
                url,
                ts + 2,
                route,
                request_id=request,
                article_id=article,
                helpful=helpful,
            )

    def ticket(self, session: str, visitor: str, url: str, ts: int, category: str) -> None:
        self.add("handoff_started", session, visitor, url, ts - 1)
        self.add(
            "ticket_created",
            session,
            visitor,
            url,
            ts,
            ticket_id=f"t-{session}",
            category=category,
            priority="low",
        )


def week_a(h: History) -> None:
    billing = "/settings/billing"
    board, board_url = "/projects/:id/board", "/projects/7/board"
    monday, tuesday, wednesday, thursday = (WEEK_A + timedelta(days=d) for d in range(4))
    # S1: answered, "Yes" -> deflected_confirmed
    h.add("widget_opened", "s1", "v1", billing, ms(monday, 9), source="launcher")
    h.ask(
        "s1",
        "v1",
        billing,
        ms(monday, 9.1),
        "How do I change my card?",
        "answered",
        article="billing-card",
        helpful=True,
    )
    # S2: answered, nothing after -> deflected_implied (the window passes)
    h.ask(
        "s2",
        "v2",
        billing,
        ms(monday, 10),
        "What is the refund policy?",
        "answered",
        article="billing-card",
    )
    # S3: no answer, then a ticket (billing)
    h.ask("s3", "v3", billing, ms(tuesday, 10), "Export to QuickBooks", "no_answer")
    h.ticket("s3", "v3", billing, ms(tuesday, 10.2), "billing")
    # S7: straight to a ticket (account), the same day
    h.ticket("s7", "v7", billing, ms(tuesday, 15), "account")
    # S4: only suggestions -> abandoned, a gap (suggested)
    h.ask(
        "s4",
        "v4",
        board_url,
        ms(wednesday, 10),
        "quickbooks export?",
        "suggested",
        route=board,
        suggested=["billing-card", "data-sync"],
    )
    # S5: answered, "No" -> abandoned, a gap (not helpful)
    h.ask(
        "s5",
        "v5",
        board_url,
        ms(wednesday, 11),
        "Why is the board so slow",
        "answered",
        route=board,
        article="data-sync",
        helpful=False,
    )
    # S6: the billing prompt, clicked, asked, "Yes" -> deflected_confirmed via the prompt
    h.add(
        "prompt_eligible",
        "s6",
        "v6",
        billing,
        ms(thursday, 9),
        prompt_id="billing-card",
        group="shown",
    )
    h.add("prompt_shown", "s6", "v6", billing, ms(thursday, 9.01), prompt_id="billing-card")
    h.add(
        "prompt_clicked",
        "s6",
        "v6",
        billing,
        ms(thursday, 9.02),
        prompt_id="billing-card",
        action="question",
        target="update card",
    )
    h.ask(
        "s6",
        "v6",
        billing,
        ms(thursday, 9.03),
        "update card",
        "answered",
        article="billing-card",
        helpful=True,
    )


def week_b(h: History) -> None:
    url = "/settings/billing"
    day = WEEK_B + timedelta(days=1)
    for group, visitors, ticketed in (("shown", 40, 4), ("holdout", 40, 12)):
        for n in range(visitors):
            visitor = f"hold-{group}-{n}"
            ts = ms(day, 8) + n * 60_000
            h.add(
                "prompt_eligible",
                f"x-{visitor}",
                visitor,
                url,
                ts,
                prompt_id="billing-holdout",
                group=group,
            )
            if n < ticketed:  # a ticket an hour later, in another session
                h.ticket(f"y-{visitor}", visitor, url, ts + 3_600_000, "billing")
    h.ask(
        "xss",
        "vx",
        "/data",
        ms(day, 13),
        "<img src=x onerror=alert(1)> [link](http://x)",
        "no_answer",
    )
    for n in range(12):
        h.ask(
            f"ds-{n}",
            f"vds-{n}",
            "/data",
            ms(day, 14) + n * 60_000,
            "sync my data",
            "answered",
            article="data-sync",
            helpful=n < 2,
        )


def spike(h: History) -> None:
    start = SPIKE_WEEK - timedelta(weeks=8)
    for week in range(9):
        monday = start + timedelta(weeks=week)
        count = 20 if monday == SPIKE_WEEK else 2
        for n in range(count):
            h.ask(
                f"rp-{week}-{n}",
                f"vr-{week}-{n}",
                "/reports",
                ms(monday, 8) + n * 60_000,
                "how do I export a report",
                "answered",
                article="reports-export",
            )
        for n in range(5):
            h.ask(
                f"hm-{week}-{n}",
                f"vh-{week}-{n}",
                "/home",
                ms(monday, 9) + n * 60_000,
                "where is my dashboard",
                "answered",
                article="home-tour",
            )


def seed(engine: Engine) -> int:
    h = History()
    week_a(h)
    week_b(h)
    spike(h)
    with engine.begin() as db:
        db.execute(events.insert(), h.rows)
    return len(h.rows)
