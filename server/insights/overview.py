"""The overview: deflected sessions, tickets and the rates (the durable one too), in total,
per day and per week."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine

from server.insights.deflection_log import OUTCOMES
from server.insights.scope import (
    Scope,
    deflected,
    deflection_rate,
    durable_rate,
    durably_deflected,
    helpfulness,
    rate,
    resolution_rate,
    sums_by,
)
from server.platform.days import day_date


@dataclass
class Period:
    start: date
    deflected_confirmed: int
    deflected_implied: int
    deflected_form: int
    tickets: int
    sessions: int
    deflection_rate: float | None
    resolution_rate: float | None
    durable_rate: float | None


@dataclass
class Overview:
    totals: dict[str, int]
    deflected: int
    deflection_rate: float | None
    durably_deflected: int
    durable_rate: float | None
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
        deflected_form=metrics.get("deflected_form", 0),
        tickets=metrics.get("tickets", 0),
        sessions=sum(metrics.get(o, 0) for o in OUTCOMES),
        deflection_rate=deflection_rate(metrics),
        resolution_rate=resolution_rate(metrics),
        durable_rate=durable_rate(metrics),
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
        durably_deflected=durably_deflected(totals),
        durable_rate=durable_rate(totals),
        resolution_rate=resolution_rate(totals),
        helpfulness=helpfulness(totals),
        no_answer_share=rate(totals.get("no_answer", 0), totals.get("questions", 0)),
        daily=daily,
        weekly=weekly,
    )
