"""Figures per page, per article and per prompt, and the most asked questions.

Articles get the signals for "rarely helps" (mostly "No") and "stale" (not updated for a
while, or helpfulness falling); prompts get their click rate and holdout comparison.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine, func, select

from server.insights.holdout import HoldoutComparison, compare_holdout, holdout_groups
from server.insights.scope import (
    Scope,
    deflected,
    deflection_rate,
    helpfulness,
    rate,
    sums_by,
    where,
)
from server.platform.days import today as utc_today
from server.tables import daily_counts


@dataclass
class Row:
    key: str
    label: str
    questions: int
    answers: int
    deflections: int
    tickets: int
    helpful: int
    not_helpful: int
    helpfulness: float | None
    extra: dict[str, Any] = field(default_factory=dict)


def session_row(key: str, label: str, m: Mapping[str, int], **extra: Any) -> Row:
    """An article's or prompt's row: its own counts and those of the sessions it was in."""
    return Row(
        key=key,
        label=label,
        questions=m.get("questions", 0),
        answers=m.get("answers", 0),
        deflections=m.get("deflected", 0),
        tickets=m.get("ticket", 0),
        helpful=m.get("helpful", 0),
        not_helpful=m.get("not_helpful", 0),
        helpfulness=helpfulness(m),
        extra=extra,
    )


def pages(engine: Engine, scope: Scope) -> list[Row]:
    rows = [
        Row(
            key=page,
            label=page,
            questions=m.get("questions", 0),
            answers=m.get("answered", 0),
            deflections=deflected(m),
            tickets=m.get("tickets", 0),
            helpful=m.get("helpful", 0),
            not_helpful=m.get("not_helpful", 0),
            helpfulness=helpfulness(m),
            extra={
                "no_answer": m.get("no_answer", 0),
                "suggested": m.get("suggested", 0),
                "deflection_rate": deflection_rate(m),
                "deflected_form": m.get("deflected_form", 0),
                "page_help_shown": m.get("page_help_shown", 0),
                "page_help_clicked": m.get("page_help_clicked", 0),
            },
        )
        for page, m in sums_by(engine, scope, "all", "page").items()
    ]
    return sorted(rows, key=lambda r: (-(r.questions + r.tickets), r.key))


@dataclass(frozen=True)
class ArticleMeta:
    title: str
    url: str
    updated: str


def articles(
    engine: Engine, scope: Scope, meta: Mapping[str, ArticleMeta], today: date | None = None
) -> list[Row]:
    """Every article shown in the scope, with the signals for "rarely helps" and "stale"."""
    today = today or utc_today()
    counts = sums_by(engine, scope, "article", "key")
    recent_from = scope.last_day - 27
    recent = sums_by(engine, scope, "article", "key", first_day=recent_from)
    before = sums_by(
        engine,
        Scope(recent_from - 28, recent_from - 1, scope.page, scope.pages),
        "article",
        "key",
    )
    rows = []
    for article_id in sorted(set(counts) | set(meta)):
        m = counts.get(article_id, {})
        info = meta.get(article_id)
        age = _age_days(info.updated, today) if info else None
        now_help, then_help = (
            helpfulness(recent.get(article_id, {})),
            helpfulness(before.get(article_id, {})),
        )
        enough = (
            _votes(recent.get(article_id, {})) >= 10 and _votes(before.get(article_id, {})) >= 10
        )
        falling = bool(
            enough
            and now_help is not None
            and then_help is not None
            and then_help - now_help >= 0.15
        )
        rows.append(
            session_row(
                article_id,
                info.title if info else article_id,
                m,
                opened=m.get("opened", 0),
                url=info.url if info else None,
                updated=info.updated if info else None,
                age_days=age,
                helpfulness_recent=now_help,
                helpfulness_before=then_help,
                helpfulness_falling=falling,
                in_index=info is not None,
            )
        )
    return sorted(rows, key=lambda r: (-(r.answers + r.extra["opened"]), r.key))


def rarely_helpful(rows: list[Row], min_votes: int = 10) -> list[Row]:
    """Articles shown often whose answers mostly got a "No"."""
    flagged = [
        r
        for r in rows
        if r.helpful + r.not_helpful >= min_votes
        and r.helpfulness is not None
        and r.helpfulness < 0.5
    ]
    return sorted(flagged, key=lambda r: (r.helpfulness or 0, -r.answers))


def stale(rows: list[Row], stale_after_days: int) -> list[Row]:
    """Articles not updated for `stale_after_days`, or whose helpfulness is falling."""
    flagged = [
        r
        for r in rows
        if r.extra["helpfulness_falling"]
        or (r.extra["age_days"] is not None and r.extra["age_days"] > stale_after_days)
    ]
    return sorted(
        flagged,
        key=lambda r: (not r.extra["helpfulness_falling"], -(r.extra["age_days"] or 0)),
    )


def _votes(metrics: Mapping[str, int]) -> int:
    return metrics.get("helpful", 0) + metrics.get("not_helpful", 0)


def _age_days(updated: str, today: date) -> int | None:
    try:
        return (today - date.fromisoformat(str(updated)[:10])).days
    except ValueError:
        return None


@dataclass
class PromptRow:
    row: Row
    eligible: int
    shown: int
    clicked: int
    dismissed: int
    click_rate: float | None
    holdout: HoldoutComparison


def prompts(engine: Engine, scope: Scope, known: list[str]) -> list[PromptRow]:
    counts = sums_by(engine, scope, "prompt", "key")
    groups = holdout_groups(engine, scope)
    out = []
    for prompt_id in sorted(set(counts) | set(known) | set(groups)):
        m = counts.get(prompt_id, {})
        g = groups.get(prompt_id, {})
        shown_n, shown_t = g.get("shown", (0, 0))
        hold_n, hold_t = g.get("holdout", (0, 0))
        out.append(
            PromptRow(
                row=session_row(prompt_id, prompt_id, m),
                eligible=m.get("eligible_shown", 0) + m.get("eligible_holdout", 0),
                shown=m.get("shown", 0),
                clicked=m.get("clicked", 0),
                dismissed=m.get("dismissed", 0),
                click_rate=rate(m.get("clicked", 0), m.get("shown", 0)),
                holdout=compare_holdout(shown_n, shown_t, hold_n, hold_t),
            )
        )
    return sorted(out, key=lambda p: (-p.eligible, p.row.key))


def top_questions(engine: Engine, scope: Scope, limit: int = 50) -> list[tuple[str, int]]:
    with engine.connect() as db:
        total = func.sum(daily_counts.c.value)
        rows = db.execute(
            select(daily_counts.c.key, total)
            .where(*where(scope, "question"))
            .group_by(daily_counts.c.key)
            .order_by(total.desc(), daily_counts.c.key)
            .limit(limit)
        ).all()
    return [(question, int(n)) for question, n in rows]
