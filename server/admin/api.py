"""`/api/v1/admin/...`: the deflection log export, every dashboard figure as JSON or CSV, the
weekly report, the rebuild and erasing a visitor; bearer token only."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Annotated, Any, Literal

import anyio.to_thread
import msgspec
from litestar import Controller, Request, Response, Router, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import Body, PathParameter, QueryParameter

from server.admin.auth import bearer_token_guard
from server.admin.erasure import VisitorErased, erase_visitor
from server.admin.exports import deflections_response, query_deflections, table_response
from server.admin.views import Views, check_filters, parse_week, review_draft, scope_dict
from server.fields import ID_PATTERN
from server.helpdesk.api import SOURCE_PATTERN
from server.helpdesk.backfill import BackfillError, backfill_text
from server.helpdesk.store import HelpdeskStore
from server.insights import breakdowns
from server.insights.alerts import recent_alerts
from server.insights.deflection_log import OUTCOMES
from server.insights.gap_summary import draft_file, one_cluster
from server.insights.job import StatisticsJob
from server.insights.report import weekly_report
from server.insights.scope import Scope
from server.insights.spikes import TEST as SPIKE_TEST
from server.insights.spikes import spikes as recent_spikes
from server.platform.days import day_number, today
from server.platform.validation import invalid

Start = Annotated[date | None, QueryParameter(description="First day (UTC), inclusive.")]
End = Annotated[date | None, QueryParameter(description="Last day (UTC), inclusive.")]
Page = Annotated[
    str | None,
    QueryParameter(max_length=512, description="A page pattern, e.g. `/settings/billing*`."),
]
Format = Annotated[Literal["json", "csv"], QueryParameter()]

ClusterId = Annotated[int, PathParameter(ge=1, le=2_147_483_647, description="A gap cluster's id.")]


class GapReview(msgspec.Struct, forbid_unknown_fields=True):
    decision: Literal["accept", "reject"]


class GapReviewed(msgspec.Struct):
    cluster_id: int
    decision: str
    replies: int  # the unreviewed replies the suggestion held
    draft: str | None  # accepted: the article to save
    file: str | None  # accepted: where it goes


@dataclass(frozen=True)
class Figure:
    """A figure being asked for: its scope, the views that make it, and how it is answered:
    as JSON, or its main table as CSV (`format=csv` or `Accept: text/csv`)."""

    views: Views
    scope: Scope
    request: Request[Any, Any, Any]
    format: str

    def reply(self, name: str, body: dict[str, Any], rows: list[Any]) -> Response[Any]:
        return table_response(self.request, self.format, name, body, rows)


def figure_request(
    request: Request[Any, Any, Any],
    views: NamedDependency[Views],
    filters: NamedDependency[Scope],
    format: Format = "json",
) -> Figure:
    return Figure(views, filters, request, format)


def scope_parameters(
    views: NamedDependency[Views], start: Start = None, end: End = None, page: Page = None
) -> Scope:
    """The filters every figure takes: `start`, `end` and `page`."""
    return views.scope(start, end, page)


class AdminController(Controller):
    path = "/"
    tags = ("admin",)
    dependencies = {  # noqa: RUF012
        "filters": Provide(scope_parameters, sync_to_thread=True),
        "figure": Provide(figure_request, sync_to_thread=False),
    }

    @get("/deflections", sync_to_thread=True)
    def deflection_log(
        self,
        request: Request[Any, Any, Any],
        views: NamedDependency[Views],
        start: Start = None,
        end: End = None,
        page: Page = None,
        outcome: Annotated[
            Literal[
                "deflected_confirmed", "deflected_implied", "deflected_form", "ticket", "abandoned"
            ]
            | None,
            QueryParameter(),
        ] = None,
        format: Format = "json",
    ) -> Response[Any]:
        """The deflection log: one row per finished self-service session, as JSON or CSV."""
        check_filters(start, end, page)
        rows = query_deflections(views.engine, start, end, page, outcome)
        return deflections_response(request, format, rows, list(OUTCOMES))

    @post("/deflections/rebuild", status_code=200)
    async def rebuild(self, statistics: NamedDependency[StatisticsJob]) -> dict[str, int]:
        """Compute the whole log and every dashboard statistic again from the events (the
        rows do not change)."""
        counts = await anyio.to_thread.run_sync(statistics.rebuild)
        return {"rows": counts["sessions"], **counts}

    @delete("/visitors/{visitor_id:str}", status_code=200, sync_to_thread=True)
    def erase(
        self,
        visitor_id: Annotated[str, PathParameter(pattern=ID_PATTERN)],
        views: NamedDependency[Views],
        statistics: NamedDependency[StatisticsJob],
    ) -> VisitorErased:
        """Erase a visitor: their events, sessions, tickets (with deliveries), log rows,
        prompt exposures and gap questions; the daily counts of their days are recounted."""
        return erase_visitor(views.engine, statistics, visitor_id)

    @post("/helpdesk/import", status_code=200, request_max_body_size=50 * 1024 * 1024)
    async def import_helpdesk(
        self,
        request: Request[Any, Any, Any],
        helpdesk: NamedDependency[HelpdeskStore],
        source: Annotated[
            str, QueryParameter(pattern=SOURCE_PATTERN, description="The tickets' source.")
        ] = "zendesk",
    ) -> dict[str, int]:
        """Backfill the queue from a helpdesk's CSV export (the body, `text/csv`, one row per
        ticket); importing again stores nothing twice."""
        try:
            text = (await request.body()).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise invalid("body", "the CSV must be UTF-8") from None
        try:
            return await anyio.to_thread.run_sync(backfill_text, helpdesk, source, text)
        except BackfillError as exc:
            raise invalid("body", str(exc)) from None

    @get("/overview", sync_to_thread=True)
    def overview(self, figure: NamedDependency[Figure]) -> Response[Any]:
        """Deflection rate (confirmed / implied), tickets, resolution rate; per day and week.
        CSV: the days."""
        view = figure.views.overview(figure.scope)
        return figure.reply("overview", view, view["overview"].daily)

    @get("/pages", sync_to_thread=True)
    def pages(self, figure: NamedDependency[Figure]) -> Response[Any]:
        """Per page: questions, answers, deflections, tickets, helpful / not helpful."""
        rows = breakdowns.pages(figure.views.engine, figure.scope)
        body = {"scope": scope_dict(figure.scope), "pages": rows}
        return figure.reply("pages", body, rows)

    @get("/articles", sync_to_thread=True)
    def articles(self, figure: NamedDependency[Figure]) -> Response[Any]:
        """Per article, and the ones that rarely help or are stale."""
        view = figure.views.content(figure.scope)
        body = {k: view[k] for k in ("scope", "articles", "rarely_helpful", "stale")}
        return figure.reply("articles", body, view["articles"])

    @get("/prompts", sync_to_thread=True)
    def prompts(self, figure: NamedDependency[Figure]) -> Response[Any]:
        """Per prompt, with the holdout comparison: ticket rates, difference, 95% CI, verdict."""
        rows = figure.views.prompt_rows(figure.scope)
        body = {"scope": scope_dict(figure.scope), "prompts": rows}
        return figure.reply("prompts", body, rows)

    @get("/questions", sync_to_thread=True)
    def questions(self, figure: NamedDependency[Figure]) -> Response[Any]:
        """The most asked questions (lower-cased), with counts."""
        asked = breakdowns.top_questions(figure.views.engine, figure.scope)
        rows = [{"question": q, "count": n} for q, n in asked]
        body = {"scope": scope_dict(figure.scope), "questions": rows}
        return figure.reply("questions", body, rows)

    @get("/gaps", sync_to_thread=True)
    def gaps(self, figure: NamedDependency[Figure]) -> Response[Any]:
        """Knowledge-base gap clusters with counts, trend, questions, pages and a draft article."""
        view = figure.views.gaps(figure.scope)
        rows = [{k: v for k, v in asdict(c).items() if k != "days"} for c in view["clusters"]]
        body = {"scope": view["scope"], "clusters": rows, "by_page": view["by_page"]}
        return figure.reply("gaps", body, rows)

    @get("/gaps/{cluster_id:int}/draft", sync_to_thread=True, media_type="text/markdown")
    def gap_draft(self, views: NamedDependency[Views], cluster_id: ClusterId) -> Response[str]:
        """The cluster's draft article (markdown with front matter), prefilled from agents'
        unreviewed replies; `X-Frontdesk-File` names where it goes."""
        cluster = one_cluster(views.engine, cluster_id, day_number(today()))
        if cluster is None:
            raise NotFoundException(detail=f"no gap cluster {cluster_id} with questions this year")
        return Response(
            cluster.draft,
            media_type="text/markdown; charset=utf-8",
            headers={"X-Frontdesk-File": draft_file(cluster)},
        )

    @post("/gaps/{cluster_id:int}/review", status_code=200, sync_to_thread=True)
    def gap_review(
        self,
        views: NamedDependency[Views],
        statistics: NamedDependency[StatisticsJob],
        cluster_id: ClusterId,
        data: Annotated[GapReview, Body(description="`accept` or `reject`.")],
    ) -> GapReviewed:
        """Accept or reject the cluster's suggestion from agents' replies; an accepted one
        answers the draft and the file to save it as in the knowledge base."""
        cluster, replies = review_draft(
            views.engine, statistics.resolutions, cluster_id, data.decision
        )
        accepted = data.decision == "accept"
        return GapReviewed(
            cluster_id,
            data.decision,
            replies,
            cluster.draft if accepted else None,
            draft_file(cluster) if accepted else None,
        )

    @get("/spikes", sync_to_thread=True)
    def spikes(self, figure: NamedDependency[Figure]) -> Response[Any]:
        """Pages, categories and gap clusters far above their usual weekly level."""
        found = recent_spikes(figure.views.engine, figure.scope)
        body = {"scope": scope_dict(figure.scope), "spikes": found, "test": SPIKE_TEST}
        return figure.reply("spikes", body, found)

    @get("/savings", sync_to_thread=True)
    def savings(self, figure: NamedDependency[Figure]) -> dict[str, Any]:
        """Tickets avoided, time and cost saved, and the backlog projection."""
        return {"scope": scope_dict(figure.scope), "savings": figure.views.savings(figure.scope)}

    @get("/alerts", sync_to_thread=True)
    def alerts(self, figure: NamedDependency[Figure]) -> Response[Any]:
        """Alerts fired in the range."""
        fired = recent_alerts(figure.views.engine, figure.scope.first_day)
        rows = [a for a in fired if a.day <= figure.scope.end]
        body = {"scope": scope_dict(figure.scope), "alerts": rows}
        return figure.reply("alerts", body, rows)

    @get("/queue", sync_to_thread=True)
    def queue(self, figure: NamedDependency[Figure]) -> Response[Any]:
        """The helpdesk queue: created, resolved and open per day, first-response and
        resolution times by priority and category, SLA breaches, the self-service resolution
        rate. CSV: the days."""
        view = figure.views.queue(figure.scope)
        return figure.reply("queue", view, view["queue"].days)

    @get("/queue/times", sync_to_thread=True)
    def queue_times(self, figure: NamedDependency[Figure]) -> Response[Any]:
        """First-response and resolution times (hours: median, 90th percentile) by priority
        and by category."""
        figures = figure.views.queue(figure.scope)["queue"]
        rows = [{"dimension": "priority", **asdict(t)} for t in figures.by_priority] + [
            {"dimension": "category", **asdict(t)} for t in figures.by_category
        ]
        body = {"scope": scope_dict(figure.scope), "overall": figures.overall, "times": rows}
        return figure.reply("queue-times", body, rows)

    @get("/queue/sla", sync_to_thread=True)
    def queue_sla(self, figure: NamedDependency[Figure]) -> Response[Any]:
        """SLA targets per priority with the breaches of the tickets created in the range."""
        figures = figure.views.queue(figure.scope)["queue"]
        body = {
            "scope": scope_dict(figure.scope),
            "sla": figures.sla,
            "self_service_resolution_rate": figures.self_service_resolution_rate,
        }
        return figure.reply("queue-sla", body, figures.sla)

    @get("/report", sync_to_thread=True, media_type="text/markdown")
    def report(
        self,
        views: NamedDependency[Views],
        week: Annotated[
            str | None,
            QueryParameter(
                max_length=32, description="`2026-W47` or a day of it; default: last week."
            ),
        ] = None,
        page: Page = None,
    ) -> Response[str]:
        """The weekly product report as markdown (of these pages only, with `page`)."""
        monday = parse_week(week, today())
        pages = views.scope(None, None, page).pages
        return Response(
            weekly_report(views.engine, monday, pages, views.sla),
            media_type="text/markdown; charset=utf-8",
        )


def admin_api(token: str) -> Router:
    """`/api/v1/admin`, open to `Authorization: Bearer <token>` only."""
    return Router(
        path="/api/v1/admin",
        route_handlers=[AdminController],
        guards=[bearer_token_guard(token)],
    )
