"""The deflection log: how each self-service session ended, computed from events alone.

A session that asked, was shown an answer or opened an article ends in exactly one outcome:

- `ticket`: the user filed a ticket in the session;
- `deflected_confirmed`: the user said an answer solved it (and filed no ticket);
- `deflected_implied`: an answer or article was shown, the last feedback was not "No", and
  no ticket from the visitor followed within the window (`FRONTDESK_DEFLECTION_WINDOW_HOURS`);
- `deflected_form`: while typing a ticket in a contact form (the widget's or a host's form
  with `Frontdesk('deflect', …)`), the user opened an answer or article suggested for it,
  then did not submit the form, and no ticket from the visitor followed within the window;
- `abandoned`: nothing useful was shown (or the answer got a "No"), or the visitor filed a
  ticket in a later session within the window, which counts there.

A session in which a host's form with suggestions was submitted counts as a `ticket`.

Until the window has passed, a session without a ticket or a "Yes" has no row yet. The
computation is a pure function of the events (tickets write a `ticket_created` event), so
rebuilding the log from scratch gives the same rows; the scheduled job recomputes only
the sessions that can still change.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, Engine, delete, func, select

from server.events.visitors import VisitorTrace
from server.fields import page_key
from server.platform.locks import release_lease, take_lease
from server.tables import deflections, events

Outcome = Literal[
    "deflected_confirmed", "deflected_implied", "deflected_form", "ticket", "abandoned"
]
OUTCOMES: tuple[Outcome, ...] = (
    "deflected_confirmed",
    "deflected_implied",
    "deflected_form",
    "ticket",
    "abandoned",
)
SELF_SERVICE = {
    "question_asked",
    "answer_shown",
    "article_opened",
    "feedback",
    "ticket_created",
    "form_suggestions_shown",
}
JOB = "deflections"
BATCH = 500


@dataclass(frozen=True)
class Event:
    type: str
    ts: int
    page_url: str
    data: dict[str, Any]
    route: str | None = None

    @property
    def page(self) -> str:
        """The page as the dashboard groups it: the host's route, else the URL's path."""
        return page_key(self.route, self.page_url)


def outcome_row(
    session_id: str,
    site: str,
    visitor_id: str,
    session: Sequence[Event],
    visitor_tickets: Sequence[int],
    now: int,
    window_ms: int,
) -> dict[str, Any] | None:
    """The session's log row, or None while it can still change (or was no self-service)."""
    kinds = {e.type for e in session}
    if not kinds & SELF_SERVICE:
        return None
    first, last = session[0].ts, session[-1].ts
    feedback = [e.data["helpful"] for e in session if e.type == "feedback"]
    shown = any(e.type in ("answer_shown", "article_opened") for e in session)
    read_in_form = any(e.type == "article_opened" and e.data["source"] == "form" for e in session)
    outcome: Outcome
    if "ticket_created" in kinds or "form_submitted" in kinds:
        outcome = "ticket"
    elif True in feedback:
        outcome = "deflected_confirmed"
    elif now < last + window_ms:
        return None  # a ticket may still follow
    elif any(last <= t <= last + window_ms for t in visitor_tickets) or not shown:
        outcome = "abandoned"
    elif read_in_form:
        outcome = "deflected_form"
    else:
        outcome = "abandoned" if feedback and feedback[-1] is False else "deflected_implied"
    answers: list[dict[str, Any]] = []
    for e in session:
        if e.type == "answer_shown":
            answers.append({"article_id": e.data["article_id"], "section": e.data["section"]})
        elif e.type == "article_opened":
            answers.append({"article_id": e.data["article_id"], "section": ""})
    prompts = [e.data["prompt_id"] for e in session if e.type == "prompt_clicked"]
    return {
        "session_id": session_id,
        "site": site,
        "visitor_id": visitor_id,
        "outcome": outcome,
        "page_url": session[0].page_url,
        "page": session[0].page,
        "questions": [e.data["question"] for e in session if e.type == "question_asked"],
        "answers": answers,
        "prompt_id": prompts[0] if prompts else None,
        "started_at": first,
        "ended_at": last,
    }


class DeflectionLog:
    """Computes and stores rows; `run_once` is the scheduled job, `rebuild` starts over."""

    def __init__(self, engine: Engine, window_ms: int) -> None:
        self.engine = engine
        self.window_ms = window_ms

    def sessions_to_update(self, since_received: int) -> list[str]:
        with self.engine.connect() as db:
            return list(
                db.execute(
                    select(events.c.session_id)
                    .where(events.c.received_at >= since_received)
                    .distinct()
                ).scalars()
            )

    def recompute(self, session_ids: Iterable[str], now: int) -> int:
        """Write the rows of these sessions as of `now`; returns how many rows exist for them."""
        ids = list(session_ids)
        written = 0
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            with self.engine.begin() as db:
                rows = db.execute(
                    select(
                        events.c.session_id,
                        events.c.site,
                        events.c.visitor_id,
                        events.c.type,
                        events.c.ts,
                        events.c.page_url,
                        events.c.route,
                        events.c.data,
                    )
                    .where(events.c.session_id.in_(chunk))
                    .order_by(events.c.session_id, events.c.ts, events.c.id)
                ).all()
                sessions: dict[str, list[Any]] = defaultdict(list)
                for event_row in rows:
                    sessions[event_row.session_id].append(event_row)
                visitors = {r[0].visitor_id for r in sessions.values()}
                tickets: dict[str, list[int]] = defaultdict(list)
                for visitor, ts in db.execute(
                    select(events.c.visitor_id, events.c.ts).where(
                        events.c.type == "ticket_created", events.c.visitor_id.in_(visitors)
                    )
                ):
                    tickets[visitor].append(ts)
                log_rows: list[dict[str, Any]] = []
                for session_id, session in sessions.items():
                    head = session[0]
                    log_row = outcome_row(
                        session_id,
                        head.site,
                        head.visitor_id,
                        [Event(e.type, e.ts, e.page_url, e.data, e.route) for e in session],
                        tickets[head.visitor_id],
                        now,
                        self.window_ms,
                    )
                    if log_row is not None:
                        log_rows.append(log_row)
                db.execute(delete(deflections).where(deflections.c.session_id.in_(chunk)))
                if log_rows:
                    db.execute(deflections.insert(), log_rows)
                written += len(log_rows)
        return written

    def rebuild(self, now: int | None = None) -> int:
        """Delete the log and compute it again from every event."""
        now = now or int(time.time() * 1000)
        with self.engine.begin() as db:
            db.execute(delete(deflections))
            every = list(db.execute(select(events.c.session_id).distinct()).scalars())
        return self.recompute(every, now)

    def run_once(self, owner: str, now: int | None = None, lease_ms: int = 120_000) -> int | None:
        """One pass: the sessions that got events, or may have become final, since the last."""
        now = now or int(time.time() * 1000)
        watermark = take_lease(self.engine, JOB, owner, now, lease_ms)
        if watermark is None:
            return None
        with self.engine.connect() as db:
            newest = db.execute(select(func.max(events.c.received_at))).scalar_one() or 0
        # sessions still inside their window may turn final without new events
        since = max(0, min(watermark, now) - self.window_ms - lease_ms)
        written = self.recompute(self.sessions_to_update(since), now)
        release_lease(self.engine, JOB, owner, max(watermark, newest))
        return written

    @staticmethod
    def forget(db: Connection, visitor: VisitorTrace) -> int:
        """Delete the log rows of the visitor's sessions; returns how many."""
        deleted = db.execute(
            delete(deflections).where(
                (deflections.c.visitor_id == visitor.id)
                | deflections.c.session_id.in_(sorted(visitor.sessions))
            )
        )
        return int(deleted.rowcount)
