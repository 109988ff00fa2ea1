"""Daily counts: what the dashboard sums, one row per (dimension, UTC day, page, key, metric).

Each day's rows are a pure function of that day's events and of the deflection log rows
(and reversals) of the sessions that started that day, so a day is refreshed by computing
it again whole; the scheduled job refreshes the days whose events or sessions changed.

Dimensions and their metrics:

- `all` (key ""): `opens`, `questions`, `answered`, `suggested`, `no_answer`, `helpful`,
  `not_helpful`, `tickets`, `articles_opened`, `prompts_eligible`, `page_help_shown` (the
  panel opened with articles or questions for the page), `page_help_clicked` (one of them
  opened or asked), `form_suggestions_shown`, the sessions' outcomes
  (`deflected_confirmed`, `deflected_implied`, `deflected_form`, `ticket`, `abandoned`),
  and `deflected_reversed`: deflected sessions a later ticket on the same topic undid
  (`server.insights.durable`);
- `article`: `questions` (answered or suggested with it), `answers`, `opened`, `helpful`,
  `not_helpful`, and the sessions that were shown it ending `deflected` or in a `ticket`;
- `prompt`: `eligible_shown`, `eligible_holdout`, `shown`, `clicked`, `dismissed`, the
  `questions`, `answers`, `helpful`, `not_helpful` that followed a click in its session,
  and the sessions it opened ending `deflected` or in a `ticket`;
- `question` (key: the question, lower-cased): `asked`;
- `category` (key: the ticket category): `tickets`.

The page is the host's route when the widget sent one, else the URL's path.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, delete, select

from server.fields import page_key
from server.platform.database import writer_lock
from server.platform.days import DAY_MS
from server.tables import daily_counts, deflection_reversals, deflections, events

Key = tuple[str, str, str, str]  # dimension, page, key, metric


def normalize_question(text: str) -> str:
    """How questions are grouped: lower case, single spaces, no trailing punctuation."""
    return " ".join(text.lower().split()).rstrip("?!. \u3002\uff1f\uff01")  # and CJK ones


def count_events(rows: Iterable[Any]) -> Counter[Key]:
    """Counts of one day's events (rows with type, session_id, page_url, route, ts, data)."""
    counts: Counter[Key] = Counter()
    prompt_of_session: dict[str, str] = {}
    for row in sorted(rows, key=lambda r: (r.session_id, r.ts)):
        page = page_key(row.route, row.page_url)
        data = row.data
        kind = row.type
        prompt = prompt_of_session.get(row.session_id)

        def add(dimension: str, key: str, metric: str, page: str = page) -> None:
            counts[(dimension, page, key, metric)] += 1

        if kind == "widget_opened":
            add("all", "", "opens")
        elif kind == "question_asked":
            add("all", "", "questions")
            if data["status"] in ("answered", "suggested", "no_answer"):
                add("all", "", data["status"])
            add("question", normalize_question(data["question"]), "asked")
            if data.get("source") == "page":
                add("all", "", "page_help_clicked")
            if prompt:
                add("prompt", prompt, "questions")
        elif kind == "answer_shown":
            add("article", data["article_id"], "answers")
            add("article", data["article_id"], "questions")
            if prompt:
                add("prompt", prompt, "answers")
        elif kind == "suggestion_shown":
            for article_id in dict.fromkeys(data["article_ids"]):
                add("article", article_id, "questions")
        elif kind == "article_opened":
            add("all", "", "articles_opened")
            add("article", data["article_id"], "opened")
            if data["source"] == "page":
                add("all", "", "page_help_clicked")
        elif kind in ("page_help_shown", "form_suggestions_shown"):
            add("all", "", kind)
        elif kind == "feedback":
            metric = "helpful" if data["helpful"] else "not_helpful"
            add("all", "", metric)
            if data.get("article_id"):
                add("article", data["article_id"], metric)
            if prompt:
                add("prompt", prompt, metric)
        elif kind == "ticket_created":
            add("all", "", "tickets")
            add("category", data.get("category") or "other", "tickets")
        elif kind == "prompt_eligible":
            add("all", "", "prompts_eligible")
            add("prompt", data["prompt_id"], f"eligible_{data['group']}")
        elif kind in ("prompt_shown", "prompt_dismissed"):
            add("prompt", data["prompt_id"], kind.removeprefix("prompt_"))
        elif kind == "prompt_clicked":
            add("prompt", data["prompt_id"], "clicked")
            prompt_of_session.setdefault(row.session_id, data["prompt_id"])
    return counts


def count_sessions(rows: Iterable[Any]) -> Counter[Key]:
    """Counts of the deflection log rows of the sessions that started that day."""
    counts: Counter[Key] = Counter()
    for row in rows:
        page = page_key(row.page, row.page_url)
        counts[("all", page, "", row.outcome)] += 1
        if row.reversed and row.outcome in ("deflected_confirmed", "deflected_implied"):
            counts[("all", page, "", "deflected_reversed")] += 1
        if row.outcome == "abandoned":
            continue
        metric = "ticket" if row.outcome == "ticket" else "deflected"
        for article_id in dict.fromkeys(a["article_id"] for a in row.answers):
            counts[("article", page, article_id, metric)] += 1
        if row.prompt_id:
            counts[("prompt", page, row.prompt_id, metric)] += 1
    return counts


class DailyCounts:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def compute(self, day: int) -> Counter[Key]:
        start, end = day * DAY_MS, (day + 1) * DAY_MS
        with self.engine.connect() as db:
            day_events = db.execute(
                select(
                    events.c.type,
                    events.c.session_id,
                    events.c.page_url,
                    events.c.route,
                    events.c.ts,
                    events.c.data,
                ).where(events.c.ts >= start, events.c.ts < end)
            ).all()
            sessions = db.execute(
                select(
                    deflections.c.outcome,
                    deflections.c.page,
                    deflections.c.page_url,
                    deflections.c.answers,
                    deflections.c.prompt_id,
                    deflection_reversals.c.session_id.is_not(None).label("reversed"),
                )
                .select_from(
                    deflections.outerjoin(
                        deflection_reversals,
                        deflection_reversals.c.session_id == deflections.c.session_id,
                    )
                )
                .where(deflections.c.started_at >= start, deflections.c.started_at < end)
            ).all()
        return count_events(day_events) + count_sessions(sessions)

    def refresh(self, days: Iterable[int]) -> int:
        """Compute these days again; returns how many rows they have now."""
        written = 0
        for day in sorted(set(days)):
            counts = self.compute(day)
            rows = [
                {
                    "dimension": dimension,
                    "day": day,
                    "page": page,
                    "key": key,
                    "metric": metric,
                    "value": value,
                }
                for (dimension, page, key, metric), value in _merge_truncated(counts).items()
            ]
            with writer_lock(self.engine), self.engine.begin() as db:
                db.execute(delete(daily_counts).where(daily_counts.c.day == day))
                if rows:
                    db.execute(daily_counts.insert(), rows)
            written += len(rows)
        return written

    def days_with_events(self, received_since: int = 0) -> list[int]:
        """The days (of the events' own time) of every event received since then."""
        with self.engine.connect() as db:
            days = db.execute(
                select((events.c.ts // DAY_MS).label("day"))
                .where(events.c.received_at >= received_since)
                .distinct()
            ).scalars()
            return sorted({int(d) for d in days})


def _merge_truncated(counts: Counter[Key]) -> dict[Key, int]:
    """Keys cut to the columns' sizes; two keys that become one add up."""
    merged: dict[Key, int] = defaultdict(int)
    for (dimension, page, key, metric), value in counts.items():
        merged[(dimension, page[:2048], key[:1024], metric)] += value
    return merged
