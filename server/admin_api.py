"""`/api/v1/admin/...`: the deflection log export and erasing a visitor; bearer token only."""

from __future__ import annotations

import csv
import hmac
import io
import json
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Literal

import anyio.to_thread
import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import PathParameter, QueryParameter
from sqlalchemy import Engine, select
from sqlalchemy import delete as sql_delete

from ingest.pages import PatternError, compile_pattern, page_path
from server.deflections import OUTCOMES, DeflectionLog
from server.problems import invalid
from server.settings import Settings
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


class AdminController(Controller):
    path = "/api/v1/admin"
    tags = ("admin",)
    guards = (admin_token_guard,)

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
        """Compute the whole log again from the events (the rows do not change)."""
        log: DeflectionLog = state.deflection_log
        return {"rows": await anyio.to_thread.run_sync(log.rebuild)}

    @delete("/visitors/{visitor_id:str}", status_code=200, sync_to_thread=True)
    def erase(
        self,
        visitor_id: Annotated[str, PathParameter(pattern=r"^[A-Za-z0-9_.:-]{1,128}$")],
        state: State,
    ) -> VisitorErased:
        """Erase a visitor: their events, sessions, tickets (with deliveries) and log rows."""
        return erase_visitor(state.engine, visitor_id)
