"""What each dashboard view shows, assembled from `server.insights`; the HTML pages under
`/admin` and the JSON/CSV API under `/api/v1/admin` serve the same figures.

A view is a plain dict of dataclasses and numbers; `flat` flattens a table's rows for CSV.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from litestar.exceptions import NotFoundException
from sqlalchemy import Engine

from ingest.pages import PatternError, compile_pattern
from server.admin.charts import Chart, bar_chart, line_chart
from server.ask.answerer import Answerer
from server.insights import breakdowns, gap_summary
from server.insights.alerts import recent_alerts
from server.insights.breakdowns import ArticleMeta
from server.insights.gap_summary import GapCluster
from server.insights.overview import Overview, overview
from server.insights.queue import Queue, SlaTargets, queue, throughput
from server.insights.resolutions import Decision, Resolutions
from server.insights.savings import Savings, savings
from server.insights.scope import Scope, make_scope
from server.insights.spikes import spikes
from server.platform.days import day_number, today, week_of
from server.platform.validation import invalid
from server.prompts.live import LivePrompts
from server.settings import Settings

MAX_RANGE_DAYS = 731
FIRST_YEAR, LAST_YEAR = 1970, 9998  # a figure also reads the weeks around its range


@dataclass(frozen=True)
class Views:
    """The figures of every dashboard view, from the database, the index and the prompts."""

    engine: Engine
    settings: Settings
    answerer: Answerer
    prompts: LivePrompts

    def scope(self, start: date | None, end: date | None, page: str | None) -> Scope:
        """The filters every view takes; a bad one is a 400 naming the parameter."""
        check_filters(start, end, page)
        scope = make_scope(self.engine, start, end, page)
        if scope.days > MAX_RANGE_DAYS:
            raise invalid("start", f"the range is {scope.days} days; at most {MAX_RANGE_DAYS}")
        return scope

    def article_meta(self) -> dict[str, ArticleMeta]:
        try:
            snapshot, _ = self.answerer.current()
        except Exception:  # the dashboard works without an index
            return {}
        return {a.id: ArticleMeta(a.title, a.url, a.updated) for a in snapshot.articles.values()}

    def known_prompts(self) -> list[str]:
        try:
            return [p.id for p in self.prompts.current().prompts]
        except Exception:
            return []

    def overview(self, scope: Scope) -> dict[str, Any]:
        summary = overview(self.engine, scope)
        return {
            "scope": scope_dict(scope),
            "overview": summary,
            "savings": self.savings(scope, summary),
            "spikes": spikes(self.engine, scope),
            "alerts": recent_alerts(self.engine, scope.last_day - 13),
        }

    def savings(self, scope: Scope, summary: Overview | None = None) -> Savings:
        settings = self.settings
        return savings(
            summary or overview(self.engine, scope),
            scope.days,
            settings.minutes_per_ticket,
            settings.cost_per_ticket,
            settings.currency,
            settings.team_daily_capacity,
            measured=throughput(self.engine, scope),
        )

    @property
    def sla(self) -> SlaTargets:
        return SlaTargets.from_settings(self.settings)

    def queue(self, scope: Scope) -> dict[str, Any]:
        return {"scope": scope_dict(scope), "queue": queue(self.engine, scope, self.sla)}

    def content(self, scope: Scope) -> dict[str, Any]:
        articles = breakdowns.articles(self.engine, scope, self.article_meta())
        return {
            "scope": scope_dict(scope),
            "pages": breakdowns.pages(self.engine, scope),
            "articles": articles,
            "rarely_helpful": breakdowns.rarely_helpful(articles),
            "stale": breakdowns.stale(articles, self.settings.stale_after_days),
            "prompts": self.prompt_rows(scope),
            "questions": breakdowns.top_questions(self.engine, scope),
        }

    def prompt_rows(self, scope: Scope) -> list[breakdowns.PromptRow]:
        return breakdowns.prompts(self.engine, scope, self.known_prompts())

    def gaps(self, scope: Scope) -> dict[str, Any]:
        return {
            "scope": scope_dict(scope),
            "clusters": gap_summary.gaps(self.engine, scope),
            "by_page": [
                {"page": page, "gaps": count, "reasons": reasons}
                for page, count, reasons in gap_summary.gaps_by_page(self.engine, scope)
            ],
        }


def review_draft(
    engine: Engine, statistics_resolutions: Resolutions, cluster_id: int, decision: Decision
) -> tuple[GapCluster, int]:
    """Accept or reject a cluster's suggestion: the draft as it was (prefilled from the
    unreviewed replies), and how many replies the suggestion held; 404 without the cluster."""
    cluster = gap_summary.one_cluster(engine, cluster_id, day_number(today()))
    if cluster is None:
        raise NotFoundException(detail=f"no gap cluster {cluster_id} with questions this year")
    return cluster, statistics_resolutions.review(cluster_id, decision)


def check_filters(start: date | None, end: date | None, page: str | None) -> None:
    """400 naming the parameter when a day is outside the years 1970 to 9998 (figures read
    weeks around it), the range runs backwards or the page pattern is bad."""
    for name, day in (("start", start), ("end", end)):
        if day and not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise invalid(name, f"{day}: figures cover the years {FIRST_YEAR} to {LAST_YEAR}")
    if start and end and end < start:
        raise invalid("end", f"{end} is before start {start}")
    if page:
        try:
            compile_pattern(page)
        except PatternError as exc:
            raise invalid("page", str(exc)) from None


def scope_dict(scope: Scope) -> dict[str, Any]:
    return {"start": scope.start, "end": scope.end, "page": scope.page}


def overview_charts(view: dict[str, Any]) -> dict[str, Chart]:
    summary: Overview = view["overview"]
    saved: Savings = view["savings"]
    days = [p.start.strftime("%b %d") for p in summary.daily]
    weeks = [p.start.strftime("%b %d") for p in summary.weekly]
    horizon = [f"+{d}" for d in range(1, saved.projection_days + 1)]
    return {
        "daily": bar_chart(
            "Tickets and deflected sessions per day",
            days,
            {
                "Tickets": [float(p.tickets) for p in summary.daily],
                "Deflected, confirmed": [float(p.deflected_confirmed) for p in summary.daily],
                "Deflected, implied": [float(p.deflected_implied) for p in summary.daily],
                "Deflected, by a form": [float(p.deflected_form) for p in summary.daily],
            },
        ),
        "rates": line_chart(
            "Deflection rate (24 hours and durable) and self-service resolution rate per week",
            weeks,
            {
                "Deflection rate": [p.deflection_rate for p in summary.weekly],
                "Durable deflection rate": [p.durable_rate for p in summary.weekly],
                "Resolution rate": [p.resolution_rate for p in summary.weekly],
            },
            percent=True,
        ),
        "backlog": line_chart(
            "Projected backlog over the next days",
            horizon,
            {
                "Without self-service": list[float | None](saved.backlog_without),
                "With self-service": list[float | None](saved.backlog_with),
            },
        ),
    }


def queue_charts(figures: Queue) -> dict[str, Chart]:
    days = [d.day.strftime("%b %d") for d in figures.days]
    return {
        "flow": line_chart(
            "Helpdesk tickets created and resolved per day",
            days,
            {
                "Created": [float(d.created) for d in figures.days],
                "Resolved": [float(d.resolved) for d in figures.days],
            },
        ),
        "depth": line_chart(
            "Open tickets at the end of each day",
            days,
            {"Open": [float(d.open) for d in figures.days]},
        ),
    }


def parse_week(text: str | None, today: date) -> date:
    """`2026-W47`, or any day of the week, or None for last week; the week's Monday, in the
    years 1970 to 9998 (400 naming `week` otherwise)."""
    if not text:
        return week_of(today) - timedelta(days=7)
    try:
        if "W" in text:
            year, week = text.split("-W")
            monday = date.fromisocalendar(int(year), int(week), 1)
        else:
            monday = week_of(date.fromisoformat(text))
    except (ValueError, OverflowError):
        raise invalid(
            "week", f"{text!r} is not a week like 2026-W47 or a day like 2026-11-16"
        ) from None
    if not FIRST_YEAR <= monday.year <= LAST_YEAR:
        raise invalid("week", f"{text!r}: reports cover weeks of {FIRST_YEAR} to {LAST_YEAR}")
    return monday


def flat(value: Any) -> dict[str, Any]:
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
