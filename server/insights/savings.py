"""Savings and the backlog: tickets avoided, time and cost saved, and the queue projected.

The backlog is the tickets waiting, day by day, when a team that closes `capacity` tickets
a day receives the measured inflow, with self-service and without it. When the helpdesk
reports back (`server.insights.queue.throughput`), the projection starts from the open
queue, with the tickets the team measurably received and resolved a day over the range;
otherwise from an empty queue with Frontdesk's tickets and the capacity setting.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.insights.overview import Overview
from server.insights.queue import Throughput


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
    capacity_source: str = "setting"  # or "measured": the helpdesk's resolved tickets a day
    backlog_start: float = 0  # the open queue the projection starts from


def savings(
    overview_: Overview,
    days: int,
    minutes_per_ticket: float,
    cost_per_ticket: float,
    currency: str,
    capacity: float,
    projection_days: int = 28,
    measured: Throughput | None = None,
) -> Savings:
    avoided = overview_.deflected
    daily_tickets = overview_.totals.get("tickets", 0) / days
    start = 0.0
    if measured is not None:
        daily_tickets, capacity = measured.created_per_day, measured.resolved_per_day
        start = float(measured.open_now)
    daily_without = daily_tickets + avoided / days
    return Savings(
        tickets_avoided=avoided,
        hours_saved=avoided * minutes_per_ticket / 60,
        cost_saved=avoided * cost_per_ticket,
        currency=currency,
        daily_tickets=daily_tickets,
        daily_without=daily_without,
        capacity=capacity,
        backlog_with=project_backlog(daily_tickets, capacity, projection_days, start),
        backlog_without=project_backlog(daily_without, capacity, projection_days, start),
        projection_days=projection_days,
        capacity_source="setting" if measured is None else "measured",
        backlog_start=start,
    )


def project_backlog(inflow: float, capacity: float, days: int, start: float = 0) -> list[float]:
    """Tickets waiting at the end of each of the next `days` days."""
    backlog, out = start, []
    for _ in range(days):
        backlog = max(0.0, backlog + inflow - capacity)
        out.append(backlog)
    return out
