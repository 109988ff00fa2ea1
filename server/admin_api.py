"""`/api/v1/admin/...`: the deflection log export and erasing a visitor; bearer token only."""

from __future__ import annotations

import csv
import hmac
import io
import json
from dataclasses import asdict
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Literal

import anyio.to_thread
import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import PathParameter, QueryParameter
from sqlalchemy import Engine, select
from sqlalchemy import delete as sql_delete

from ingest.pages import PatternError, compile_pattern, page_path
from server import figures, insights
from server.alerts import recent_alerts
from server.deflections import OUTCOMES
from server.figures import parse_scope
from server.insights import Scope
from server.problems import invalid
from server.report import weekly_report
from server.settings import Settings
from server.statistics_job import StatisticsJob
from server.tables import deflections, events, tickets


def admin_token_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    settings: Settings = connection.app.state.settings
    if not settings.admin_token:
        raise PermissionDeniedException(
            detail="the admin API is closed: set FRONTDESK_ADMIN_TOKEN to open it"
        )
    given = connection.headers.get("authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {settings.admin_token}".encode()):
        raise NotAuthorizedException(detail="send `Authorization: Bearer <FRONTDESK_ADMIN_TOKEN>`")


SPIKE_TEST = (
    "one-sided exact Poisson test of the last 7 days against the mean of the 8 weeks "
    "before, Bonferroni-corrected over every series, family-wise alpha 0.01; at least 10 "
    "and 1.5 times the usual level"
)


class DeflectionRow(msgspec.Struct):
    session_id: str
    site: str
    visitor_id: str
    outcome: str
    page_url: str
    questions: list[str]
    answers: list[dict[str, str]]
    prompt_id: str | None
    started_at: str
    ended_at: str


class VisitorErased(msgspec.Struct):
    visitor_id: str
    events: int
    tickets: int
    deflections: int


def _iso(ms: int) -> str:
    return (
        datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    )


def _ms(day: date, end: bool = False) -> int:
    moment = datetime.combine(day, time.max if end else time.min, UTC)
    return int(moment.timestamp() * 1000)


def query_deflections(
    engine: Engine, start: date | None, end: date | None, page: str | None, outcome: str | None
) -> list[DeflectionRow]:
    query = select(deflections).order_by(deflections.c.started_at)
    if start:
        query = query.where(deflections.c.started_at >= _ms(start))
    if end:
        query = query.where(deflections.c.started_at <= _ms(end, end=True))
    if outcome:
        query = query.where(deflections.c.outcome == outcome)
    with engine.connect() as db:
        rows = db.execute(query).all()
    pattern = compile_pattern(page) if page else None
    return [
        DeflectionRow(
            session_id=r.session_id,
            site=r.site,
            visitor_id=r.visitor_id,
            outcome=r.outcome,
            page_url=r.page_url,
            questions=list(r.questions),
            answers=list(r.answers),
            prompt_id=r.prompt_id,
            started_at=_iso(r.started_at),
            ended_at=_iso(r.ended_at),
        )
        for r in rows
        if pattern is None or pattern.match(page_path(r.page_url))
    ]


def as_csv(rows: list[DeflectionRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    fields = list(DeflectionRow.__struct_fields__)
    writer.writerow(fields)
    for row in rows:
        values = [getattr(row, f) for f in fields]
        writer.writerow(
            [json.dumps(v) if isinstance(v, list) else ("" if v is None else v) for v in values]
        )
    return out.getvalue()


def erase_visitor(engine: Engine, visitor_id: str) -> VisitorErased:
    with engine.begin() as db:
        counts = [
            db.execute(sql_delete(table).where(table.c.visitor_id == visitor_id)).rowcount
            for table in (events, tickets, deflections)  # the outbox goes with its tickets
        ]
    return VisitorErased(visitor_id, *counts)


Start = Annotated[date | None, QueryParameter(description="First day (UTC), inclusive.")]
End = Annotated[date | None, QueryParameter(description="Last day (UTC), inclusive.")]
Page = Annotated[
    str | None,
    QueryParameter(max_length=512, description="A page pattern, e.g. `/settings/billing*`."),
]
Format = Annotated[Literal["json", "csv"], QueryParameter()]


def table_response(
    request: Request[Any, Any, State], format: str, name: str, body: dict[str, Any], rows: list[Any]
) -> Response[Any]:
    """The view as JSON, or its main table as CSV (`format=csv` or `Accept: text/csv`)."""
    if format == "csv" or "text/csv" in request.headers.get("accept", ""):
        flat_rows = [figures.flat(row) for row in rows]
        out = io.StringIO()
        columns = list(dict.fromkeys(k for row in flat_rows for k in row))
        writer = csv.DictWriter(out, fieldnames=columns or ["empty"])
        writer.writeheader()
        writer.writerows(flat_rows)
        return Response(
            out.getvalue(),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    return Response(body)


def scope_parameters(
    state: State, start: Start = None, end: End = None, page: Page = None
) -> Scope:
    """The filters every figure takes: `start`, `end` and `page`."""
    return parse_scope(state, start, end, page)


class AdminController(Controller):
    path = "/api/v1/admin"
    tags = ("admin",)
    guards = (admin_token_guard,)
    dependencies = {"filters": Provide(scope_parameters, sync_to_thread=True)}  # noqa: RUF012

    @get("/deflections", sync_to_thread=True)
    def deflection_log(
        self,
        request: Request[Any, Any, State],
        state: State,
        start: Annotated[
            date | None, QueryParameter(description="First day (UTC), inclusive.")
        ] = None,
        end: Annotated[
            date | None, QueryParameter(description="Last day (UTC), inclusive.")
        ] = None,
        page: Annotated[
            str | None,
            QueryParameter(
                max_length=512, description="A page pattern, e.g. `/settings/billing*`."
            ),
        ] = None,
        outcome: Annotated[
            Literal["deflected_confirmed", "deflected_implied", "ticket", "abandoned"] | None,
            QueryParameter(),
        ] = None,
        format: Annotated[Literal["json", "csv"], QueryParameter()] = "json",
    ) -> Response[Any]:
        """The deflection log: one row per finished self-service session, as JSON or CSV."""
        if start and end and end < start:
            raise invalid("end", f"{end} is before start {start}")
        if page:
            try:
                compile_pattern(page)
            except PatternError as exc:
                raise invalid("page", str(exc)) from None
        rows = query_deflections(state.engine, start, end, page, outcome)
        if format == "csv" or "text/csv" in request.headers.get("accept", ""):
            return Response(
                as_csv(rows),
                media_type="text/csv",
                headers={"Content-Disposition": 'attachment; filename="deflections.csv"'},
            )
        return Response({"deflections": rows, "count": len(rows), "outcomes": list(OUTCOMES)})

    @post("/deflections/rebuild", status_code=200)
    async def rebuild(self, state: State) -> dict[str, int]:
        """Compute the whole log and every dashboard statistic again from the events (the
        rows do not change)."""
        job: StatisticsJob = state.statistics
        counts = await anyio.to_thread.run_sync(job.rebuild)
        return {"rows": counts["sessions"], **counts}

    @delete("/visitors/{visitor_id:str}", status_code=200, sync_to_thread=True)
    def erase(
        self,
        visitor_id: Annotated[str, PathParameter(pattern=r"^[A-Za-z0-9_.:-]{1,128}$")],
        state: State,
    ) -> VisitorErased:
        """Erase a visitor: their events, sessions, tickets (with deliveries) and log rows."""
        return erase_visitor(state.engine, visitor_id)

    @get("/overview", sync_to_thread=True)
    def overview(
        self,
        request: Request[Any, Any, State],
        state: State,
        filters: NamedDependency[Scope],
        format: Format = "json",
    ) -> Response[Any]:
        """Deflection rate (confirmed / implied), tickets, resolution rate; per day and week.
        CSV: the days."""
        view = figures.overview_view(state, filters)
        return table_response(request, format, "overview", view, view["overview"].daily)

    @get("/pages", sync_to_thread=True)
    def pages(
        self,
        request: Request[Any, Any, State],
        state: State,
        filters: NamedDependency[Scope],
        format: Format = "json",
    ) -> Response[Any]:
        """Per page: questions, answers, deflections, tickets, helpful / not helpful."""
        rows = insights.pages(state.engine, filters)
        return table_response(
            request, format, "pages", {"scope": figures.scope_dict(filters), "pages": rows}, rows
        )

    @get("/articles", sync_to_thread=True)
    def articles(
        self,
        request: Request[Any, Any, State],
        state: State,
        filters: NamedDependency[Scope],
        format: Format = "json",
    ) -> Response[Any]:
        """Per article, and the ones that rarely help or are stale."""
        view = figures.content_view(state, filters)
        body = {k: view[k] for k in ("scope", "articles", "rarely_helpful", "stale")}
        return table_response(request, format, "articles", body, view["articles"])

    @get("/prompts", sync_to_thread=True)
    def prompts(
        self,
        request: Request[Any, Any, State],
        state: State,
        filters: NamedDependency[Scope],
        format: Format = "json",
    ) -> Response[Any]:
        """Per prompt, with the holdout comparison: ticket rates, difference, 95% CI, verdict."""
        rows = insights.prompts(state.engine, filters, figures.known_prompts(state))
        return table_response(
            request,
            format,
            "prompts",
            {"scope": figures.scope_dict(filters), "prompts": rows},
            rows,
        )

    @get("/questions", sync_to_thread=True)
    def questions(
        self,
        request: Request[Any, Any, State],
        state: State,
        filters: NamedDependency[Scope],
        format: Format = "json",
    ) -> Response[Any]:
        """The most asked questions (lower-cased), with counts."""
        rows = [
            {"question": q, "count": n} for q, n in insights.top_questions(state.engine, filters)
        ]
        return table_response(
            request,
            format,
            "questions",
            {"scope": figures.scope_dict(filters), "questions": rows},
            rows,
        )

    @get("/gaps", sync_to_thread=True)
    def gaps(
        self,
        request: Request[Any, Any, State],
        state: State,
        filters: NamedDependency[Scope],
        format: Format = "json",
    ) -> Response[Any]:
        """Knowledge-base gap clusters with counts, trend, questions, pages and a draft article."""
        view = figures.gaps_view(state, filters)
        rows = [{k: v for k, v in asdict(c).items() if k != "days"} for c in view["clusters"]]
        body = {"scope": view["scope"], "clusters": rows, "by_page": view["by_page"]}
        return table_response(request, format, "gaps", body, rows)

    @get("/spikes", sync_to_thread=True)
    def spikes(
        self,
        request: Request[Any, Any, State],
        state: State,
        filters: NamedDependency[Scope],
        format: Format = "json",
    ) -> Response[Any]:
        """Pages, categories and gap clusters far above their usual weekly level."""
        found = insights.spikes(state.engine, filters)
        body = {"scope": figures.scope_dict(filters), "spikes": found, "test": SPIKE_TEST}
        return table_response(request, format, "spikes", body, found)

    @get("/savings", sync_to_thread=True)
    def savings(self, state: State, filters: NamedDependency[Scope]) -> dict[str, Any]:
        """Tickets avoided, time and cost saved, and the backlog projection."""
        return {"scope": figures.scope_dict(filters), "savings": figures.savings(state, filters)}

    @get("/alerts", sync_to_thread=True)
    def alerts(
        self,
        request: Request[Any, Any, State],
        state: State,
        filters: NamedDependency[Scope],
        format: Format = "json",
    ) -> Response[Any]:
        """Alerts fired in the range."""
        rows = [a for a in recent_alerts(state.engine, filters.first_day) if a.day <= filters.end]
        return table_response(
            request,
            format,
            "alerts",
            {"scope": figures.scope_dict(filters), "alerts": rows},
            rows,
        )

    @get("/report", sync_to_thread=True, media_type="text/markdown")
    def report(
        self,
        state: State,
        week: Annotated[
            str | None,
            QueryParameter(
                max_length=32, description="`2026-W47` or a day of it; default: last week."
            ),
        ] = None,
        page: Page = None,
    ) -> Response[str]:
        """The weekly product report as markdown (of these pages only, with `page`)."""
        monday = figures.parse_week(week, datetime.now(UTC).date())
        pages = parse_scope(state, None, None, page).pages
        return Response(
            weekly_report(state.engine, monday, pages), media_type="text/markdown; charset=utf-8"
        )
