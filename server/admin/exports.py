"""What the admin API exports: the deflection log's rows, and any table as CSV (one writer
for every export, which keeps a spreadsheet from running a cell as a formula) or JSON."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import msgspec
from litestar import Request, Response
from sqlalchemy import Engine, select

from ingest.pages import compile_pattern, page_path
from server.admin.views import flat
from server.platform.days import end_ms, iso, start_ms
from server.tables import deflections


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


def query_deflections(
    engine: Engine, start: date | None, end: date | None, page: str | None, outcome: str | None
) -> list[DeflectionRow]:
    query = select(deflections).order_by(deflections.c.started_at)
    if start:
        query = query.where(deflections.c.started_at >= start_ms(start))
    if end:
        query = query.where(deflections.c.started_at <= end_ms(end))
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
            started_at=iso(r.started_at),
            ended_at=iso(r.ended_at),
        )
        for r in rows
        if pattern is None or pattern.match(page_path(r.page_url))
    ]


# what a spreadsheet runs as a formula when a cell starts with it (CSV injection)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?[0-9][0-9.,]*%?")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    if isinstance(value, str) and value.startswith(FORMULA_START) and not NUMBER.fullmatch(value):
        return "'" + value  # shown as text, never run
    return value


def csv_text(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> str:
    """Rows as CSV with a header: the columns given, else every key in order of appearance."""
    fields = list(columns or dict.fromkeys(k for row in rows for k in row)) or ["empty"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in fields})
    return out.getvalue()


def wants_csv(request: Request[Any, Any, Any], format: str) -> bool:
    return format == "csv" or "text/csv" in request.headers.get("accept", "")


def csv_response(text: str, name: str) -> Response[str]:
    return Response(
        text,
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def deflections_response(
    request: Request[Any, Any, Any], format: str, rows: list[DeflectionRow], outcomes: list[str]
) -> Response[Any]:
    if wants_csv(request, format):
        columns = list(DeflectionRow.__struct_fields__)
        return csv_response(
            csv_text([msgspec.structs.asdict(r) for r in rows], columns), "deflections"
        )
    return Response({"deflections": rows, "count": len(rows), "outcomes": outcomes})


def table_response(
    request: Request[Any, Any, Any], format: str, name: str, body: dict[str, Any], rows: list[Any]
) -> Response[Any]:
    """The view as JSON, or its main table as CSV (`format=csv` or `Accept: text/csv`)."""
    if wants_csv(request, format):
        return csv_response(csv_text([flat(row) for row in rows]), name)
    return Response(body)
