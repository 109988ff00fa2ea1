"""Every figure of the dashboard, from the daily counts, the gaps and the prompt exposures.

All figures take the same `Scope`: a range of UTC days and, optionally, a page pattern.
Definitions (the README's dashboard section says the same):

- deflected sessions: sessions whose outcome is `deflected_confirmed` or `deflected_implied`;
- deflection rate: deflected sessions / (deflected sessions + tickets);
- self-service resolution rate: deflected sessions / every self-service session (deflected,
  ticket or abandoned);
- helpfulness: "Yes" / ("Yes" + "No").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, case, func, select

from ingest.pages import compile_pattern
from server.gaps import GapCluster, cluster_titles, summarize
from server.statistics import (
    HoldoutComparison,
    Spike,
    compare_holdout,
    find_spikes,
    project_backlog,
)
from server.tables import daily_counts, gap_questions, prompt_exposures

DEFAULT_DAYS = 28
OUTCOMES = ("deflected_confirmed", "deflected_implied", "ticket", "abandoned")
BASELINE_WEEKS = 8


def day_number(day: date) -> int:
    return (day - date(1970, 1, 1)).days


def day_date(day: int) -> date:
    return date(1970, 1, 1) + timedelta(days=day)


@dataclass(frozen=True)
class Scope:
    first_day: int
    last_day: int
    page: str | None = None  # a page pattern, e.g. `/settings/billing*`
    pages: frozenset[str] | None = None  # the known pages it matches (None: every page)

    @property
    def start(self) -> date:
        return day_date(self.first_day)

    @property
    def end(self) -> date:
        return day_date(self.last_day)

    @property
    def days(self) -> int:
        return self.last_day - self.first_day + 1


def make_scope(
    engine: Engine,
    start: date | None,
    end: date | None,
    page: str | None,
    today: date | None = None,
) -> Scope:
    """The range (default: the last 28 days up to today, UTC) and the pages the pattern matches."""
    today = today or datetime.now(UTC).date()
    last = end or today
    first = start or last - timedelta(days=DEFAULT_DAYS - 1)
    pages = None
    if page:
        pattern = compile_pattern(page)
        pages = frozenset(p for p in known_pages(engine) if pattern.match(p))
    return Scope(day_number(first), day_number(last), page, pages)


def known_pages(engine: Engine) -> list[str]:
    with engine.connect() as db:
        return list(
            db.execute(
                select(daily_counts.c.page).where(daily_counts.c.dimension == "all").distinct()
            ).scalars()
        )


def _where(scope: Scope, dimension: str, first_day: int | None = None) -> list[Any]:
    where = [
        daily_counts.c.dimension == dimension,
        daily_counts.c.day >= (scope.first_day if first_day is None else first_day),
        daily_counts.c.day <= scope.last_day,
    ]
    if scope.pages is not None:
        where.append(daily_counts.c.page.in_(sorted(scope.pages)))
    return where


def sums_by(
    engine: Engine, scope: Scope, dimension: str, by: str, first_day: int | None = None
) -> dict[Any, dict[str, int]]:
    """{key, page or day: {metric: sum}} of one dimension in the scope."""
    column = {"key": daily_counts.c.key, "page": daily_counts.c.page, "day": daily_counts.c.day}[by]
    with engine.connect() as db:
        rows = db.execute(
            select(column, daily_counts.c.metric, func.sum(daily_counts.c.value))
            .where(*_where(scope, dimension, first_day))
            .group_by(column, daily_counts.c.metric)
        ).all()
    out: dict[Any, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for key, metric, value in rows:
        out[key][metric] += int(value)
    return out


def _rate(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def deflected(metrics: Mapping[str, int]) -> int:
    return metrics.get("deflected_confirmed", 0) + metrics.get("deflected_implied", 0)


def deflection_rate(metrics: Mapping[str, int]) -> float | None:
    return _rate(deflected(metrics), deflected(metrics) + metrics.get("tickets", 0))


def resolution_rate(metrics: Mapping[str, int]) -> float | None:
    return _rate(deflected(metrics), sum(metrics.get(o, 0) for o in OUTCOMES))


def helpfulness(metrics: Mapping[str, int]) -> float | None:
    votes = metrics.get("helpful", 0) + metrics.get("not_helpful", 0)
    return _rate(metrics.get("helpful", 0), votes)


# -- overview -------------------------------------------------------------------------------


@dataclass
class Period:
    start: date
    deflected_confirmed: int
    deflected_implied: int
    tickets: int
    sessions: int
    deflection_rate: float | None
    resolution_rate: float | None


@dataclass
class Overview:
    totals: dict[str, int]
    deflected: int
    deflection_rate: float | None
    resolution_rate: float | None
    helpfulness: float | None
    no_answer_share: float | None
    daily: list[Period]
    weekly: list[Period]


def _period(start: date, metrics: Mapping[str, int]) -> Period:
    return Period(
        start=start,
        deflected_confirmed=metrics.get("deflected_confirmed", 0),
        deflected_implied=metrics.get("deflected_implied", 0),
        tickets=metrics.get("tickets", 0),
        sessions=sum(metrics.get(o, 0) for o in OUTCOMES),
        deflection_rate=deflection_rate(metrics),
        resolution_rate=resolution_rate(metrics),
    )


def overview(engine: Engine, scope: Scope) -> Overview:
    per_day = sums_by(engine, scope, "all", "day")
    totals: dict[str, int] = defaultdict(int)
    for metrics in per_day.values():
        for metric, value in metrics.items():
            totals[metric] += value
    daily = [
        _period(day_date(d), per_day.get(d, {})) for d in range(scope.first_day, scope.last_day + 1)
    ]
    weekly = []
    for week_start in range(scope.first_day, scope.last_day + 1, 7):
        week: dict[str, int] = defaultdict(int)
        for d in range(week_start, min(week_start + 7, scope.last_day + 1)):
            for metric, value in per_day.get(d, {}).items():
                week[metric] += value
        weekly.append(_period(day_date(week_start), week))
    return Overview(
        totals=dict(totals),
        deflected=deflected(totals),
        deflection_rate=deflection_rate(totals),
        resolution_rate=resolution_rate(totals),
        helpfulness=helpfulness(totals),
        no_answer_share=_rate(totals.get("no_answer", 0), totals.get("questions", 0)),
        daily=daily,
        weekly=weekly,
    )


# -- per page, per article, per prompt -----------------------------------------------------


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
    today = today or datetime.now(UTC).date()
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
                click_rate=_rate(m.get("clicked", 0), m.get("shown", 0)),
                holdout=compare_holdout(shown_n, shown_t, hold_n, hold_t),
            )
        )
    return sorted(out, key=lambda p: (-p.eligible, p.row.key))


def holdout_groups(engine: Engine, scope: Scope) -> dict[str, dict[str, tuple[int, int]]]:
    """{prompt: {group: (visitors, visitors with a ticket)}} of the visitors first made
    eligible in the scope."""
    where = [prompt_exposures.c.day >= scope.first_day, prompt_exposures.c.day <= scope.last_day]
    if scope.pages is not None:
        where.append(prompt_exposures.c.page.in_(sorted(scope.pages)))
    with engine.connect() as db:
        rows = db.execute(
            select(
                prompt_exposures.c.prompt_id,
                prompt_exposures.c.grp,
                func.count(),
                func.sum(case((prompt_exposures.c.ticket_ts.is_not(None), 1), else_=0)),
            )
            .where(*where)
            .group_by(prompt_exposures.c.prompt_id, prompt_exposures.c.grp)
        ).all()
    out: dict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
    for prompt_id, group, visitors, ticketed in rows:
        out[prompt_id][group] = (int(visitors), int(ticketed or 0))
    return out


# -- questions, gaps, spikes ------------------------------------------------------------------


def top_questions(engine: Engine, scope: Scope, limit: int = 50) -> list[tuple[str, int]]:
    with engine.connect() as db:
        total = func.sum(daily_counts.c.value)
        rows = db.execute(
            select(daily_counts.c.key, total)
            .where(*_where(scope, "question"))
            .group_by(daily_counts.c.key)
            .order_by(total.desc(), daily_counts.c.key)
            .limit(limit)
        ).all()
    return [(question, int(n)) for question, n in rows]


def gaps(engine: Engine, scope: Scope, limit: int = 25) -> list[GapCluster]:
    return summarize(engine, scope.first_day, scope.last_day, scope.pages, limit)


def gaps_by_page(engine: Engine, scope: Scope) -> list[tuple[str, int, dict[str, int]]]:
    """(page, gaps, {reason: count}) for every page with gaps in the scope, most first."""
    where = [gap_questions.c.day >= scope.first_day, gap_questions.c.day <= scope.last_day]
    if scope.pages is not None:
        where.append(gap_questions.c.page.in_(sorted(scope.pages)))
    with engine.connect() as db:
        rows = db.execute(
            select(gap_questions.c.page, gap_questions.c.reason, func.count())
            .where(*where)
            .group_by(gap_questions.c.page, gap_questions.c.reason)
        ).all()
    per_page: dict[str, dict[str, int]] = defaultdict(dict)
    for page, reason, n in rows:
        per_page[page][reason] = int(n)
    return sorted(
        ((page, sum(r.values()), r) for page, r in per_page.items()), key=lambda x: (-x[1], x[0])
    )


def spikes(engine: Engine, scope: Scope) -> list[Spike]:
    """Pages, ticket categories and gap clusters whose last 7 days of the scope are far above
    their mean of the 8 weeks before (see `server.statistics.find_spikes`)."""
    week_start = scope.last_day - 6
    first = week_start - 7 * BASELINE_WEEKS
    wide = Scope(first, scope.last_day, scope.page, scope.pages)
    series: list[tuple[str, str, str, int, list[int]]] = []

    def weeks(per_day: Mapping[int, int]) -> tuple[int, list[int]]:
        buckets = [0] * BASELINE_WEEKS
        this = 0
        for day, n in per_day.items():
            if day >= week_start:
                this += n
            elif day >= first:
                buckets[(day - first) // 7] += n
        return this, buckets

    with engine.connect() as db:
        page_rows = db.execute(
            select(daily_counts.c.page, daily_counts.c.day, func.sum(daily_counts.c.value))
            .where(*_where(wide, "all"), daily_counts.c.metric.in_(["questions", "tickets"]))
            .group_by(daily_counts.c.page, daily_counts.c.day)
        ).all()
        category_rows = db.execute(
            select(daily_counts.c.key, daily_counts.c.day, func.sum(daily_counts.c.value))
            .where(*_where(wide, "category"))
            .group_by(daily_counts.c.key, daily_counts.c.day)
        ).all()
        gap_where = [gap_questions.c.day >= first, gap_questions.c.day <= scope.last_day]
        gap_where.append(gap_questions.c.cluster_id.is_not(None))
        if scope.pages is not None:
            gap_where.append(gap_questions.c.page.in_(sorted(scope.pages)))
        gap_rows = db.execute(
            select(gap_questions.c.cluster_id, gap_questions.c.day, func.count())
            .where(*gap_where)
            .group_by(gap_questions.c.cluster_id, gap_questions.c.day)
        ).all()
    for kind, rows in (("page", page_rows), ("category", category_rows), ("gap", gap_rows)):
        per_key: dict[Any, dict[int, int]] = defaultdict(dict)
        for key, day, n in rows:
            per_key[key][int(day)] = int(n)
        for key, per_day in per_key.items():
            this, baseline = weeks(per_day)
            series.append((kind, str(key), str(key), this, baseline))
    found = find_spikes(series)
    gap_ids = [int(s.key) for s in found if s.kind == "gap"]
    titles = cluster_titles(engine, gap_ids, first, scope.last_day)
    return [
        replace(s, label=titles.get(int(s.key), f"Gap {s.key}")) if s.kind == "gap" else s
        for s in found
    ]


# -- savings and backlog --------------------------------------------------------------------


@dataclass
class Savings:
    tickets_avoided: int
    hours_saved: float
    cost_saved: float
    currency: str
    daily_tickets: float  # inflow with self-service
    daily_without: float  # inflow if every deflected session had been a ticket
    capacity: float
    backlog_with: list[float]
    backlog_without: list[float]
    projection_days: int


def savings(
    overview_: Overview,
    days: int,
    minutes_per_ticket: float,
    cost_per_ticket: float,
    currency: str,
    capacity: float,
    projection_days: int = 28,
) -> Savings:
    avoided = overview_.deflected
    daily_tickets = overview_.totals.get("tickets", 0) / days
    daily_without = (overview_.totals.get("tickets", 0) + avoided) / days
    return Savings(
        tickets_avoided=avoided,
        hours_saved=avoided * minutes_per_ticket / 60,
        cost_saved=avoided * cost_per_ticket,
        currency=currency,
        daily_tickets=daily_tickets,
        daily_without=daily_without,
        capacity=capacity,
        backlog_with=project_backlog(daily_tickets, capacity, projection_days),
        backlog_without=project_backlog(daily_without, capacity, projection_days),
        projection_days=projection_days,
    )
