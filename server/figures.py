"""What each dashboard view shows, assembled from `server.insights`; the HTML pages under
`/admin` and the JSON/CSV API under `/api/v1/admin` serve the same figures.

A view is a plain dict of dataclasses and numbers; `table_rows` flattens its tables for CSV.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

from litestar.datastructures import State

from ingest.pages import PatternError, compile_pattern
from server import insights
from server.alerts import recent_alerts
from server.answering import IndexNotReadyError
from server.charts import Chart, bar_chart, line_chart
from server.insights import ArticleMeta, Scope
from server.problems import invalid
from server.report import week_of
from server.settings import Settings

MAX_RANGE_DAYS = 731


def parse_scope(state: State, start: date | None, end: date | None, page: str | None) -> Scope:
    """The filters every view takes; a bad one is a 400 naming the parameter."""
    if start and end and end < start:
        raise invalid("end", f"{end} is before start {start}")
    if page:
        try:
            compile_pattern(page)
        except PatternError as exc:
            raise invalid("page", str(exc)) from None
    scope = insights.make_scope(state.engine, start, end, page)
    if scope.days > MAX_RANGE_DAYS:
        raise invalid("start", f"the range is {scope.days} days; at most {MAX_RANGE_DAYS}")
    return scope


def scope_dict(scope: Scope) -> dict[str, Any]:
    return {"start": scope.start, "end": scope.end, "page": scope.page}


def article_meta(state: State) -> dict[str, ArticleMeta]:
    try:
        snapshot, _ = state.answerer.current()
    except (IndexNotReadyError, Exception):  # the dashboard works without an index
        return {}
    return {a.id: ArticleMeta(a.title, a.url, a.updated) for a in snapshot.articles.values()}


def overview_view(state: State, scope: Scope) -> dict[str, Any]:
    engine = state.engine
    summary = insights.overview(engine, scope)
    return {
        "scope": scope_dict(scope),
        "overview": summary,
        "savings": savings(state, scope, summary),
        "spikes": insights.spikes(engine, scope),
        "alerts": recent_alerts(engine, scope.last_day - 13),
    }


def savings(
    state: State, scope: Scope, summary: insights.Overview | None = None
) -> insights.Savings:
    settings: Settings = state.settings
    return insights.savings(
        summary or insights.overview(state.engine, scope),
        scope.days,
        settings.minutes_per_ticket,
        settings.cost_per_ticket,
        settings.currency,
        settings.team_daily_capacity,
    )


def overview_charts(view: dict[str, Any]) -> dict[str, Chart]:
    summary: insights.Overview = view["overview"]
    savings: insights.Savings = view["savings"]
    days = [p.start.strftime("%b %d") for p in summary.daily]
    weeks = [p.start.strftime("%b %d") for p in summary.weekly]
    horizon = [f"+{d}" for d in range(1, savings.projection_days + 1)]
    return {
        "daily": bar_chart(
            "Tickets and deflected sessions per day",
            days,
            {
                "Tickets": [float(p.tickets) for p in summary.daily],
                "Deflected, confirmed": [float(p.deflected_confirmed) for p in summary.daily],
                "Deflected, implied": [float(p.deflected_implied) for p in summary.daily],
            },
        ),
        "rates": line_chart(
            "Deflection and self-service resolution rate per week",
            weeks,
            {
                "Deflection rate": [p.deflection_rate for p in summary.weekly],
                "Resolution rate": [p.resolution_rate for p in summary.weekly],
            },
            percent=True,
        ),
        "backlog": line_chart(
            "Projected backlog over the next days",
            horizon,
            {
                "Without self-service": list[float | None](savings.backlog_without),
                "With self-service": list[float | None](savings.backlog_with),
            },
        ),
    }


def content_view(state: State, scope: Scope) -> dict[str, Any]:
    settings: Settings = state.settings
    engine = state.engine
    articles = insights.articles(engine, scope, article_meta(state))
    return {
        "scope": scope_dict(scope),
        "pages": insights.pages(engine, scope),
        "articles": articles,
        "rarely_helpful": insights.rarely_helpful(articles),
        "stale": insights.stale(articles, settings.stale_after_days),
        "prompts": insights.prompts(engine, scope, known_prompts(state)),
        "questions": insights.top_questions(engine, scope),
    }


def known_prompts(state: State) -> list[str]:
    try:
        return [p.id for p in state.prompts.current().prompts]
    except Exception:
        return []


def gaps_view(state: State, scope: Scope) -> dict[str, Any]:
    return {
        "scope": scope_dict(scope),
        "clusters": insights.gaps(state.engine, scope),
        "by_page": [
            {"page": page, "gaps": count, "reasons": reasons}
            for page, count, reasons in insights.gaps_by_page(state.engine, scope)
        ],
    }


def parse_week(text: str | None, today: date) -> date:
    """`2026-W47`, or any day of the week, or None for last week; the week's Monday."""
    if not text:
        return week_of(today) - timedelta(days=7)
    try:
        if "W" in text:
            year, week = text.split("-W")
            return date.fromisocalendar(int(year), int(week), 1)
        return week_of(date.fromisoformat(text))
    except ValueError:
        raise invalid(
            "week", f"{text!r} is not a week like 2026-W47 or a day like 2026-11-16"
        ) from None


def flat(value: Any) -> Any:
    """A dataclass as a dict of CSV-friendly values (nested ones as text)."""
    row = asdict(value) if hasattr(value, "__dataclass_fields__") else dict(value)
    out: dict[str, Any] = {}
    for key, item in row.items():
        if isinstance(item, dict) and key in ("extra", "row"):
            out.update({k: v for k, v in item.items() if not isinstance(v, (dict, list))})
        elif isinstance(item, dict) and key == "holdout":
            out.update({f"holdout_{k}": v for k, v in item.items()})
        elif isinstance(item, (list, dict)):
            out[key] = _text(item)
        else:
            out[key] = item
    return out


def _text(item: Any) -> str:
    if isinstance(item, dict):
        return "; ".join(f"{k}={v}" for k, v in item.items())
    return "; ".join(
        f"{x[0]} ({x[1]})" if isinstance(x, (list, tuple)) and len(x) == 2 else str(x) for x in item
    )
