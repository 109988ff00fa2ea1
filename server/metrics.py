"""Prometheus metrics at `/metrics`: what the server does, for dashboards and alerts.

Request counts and latency histograms per route come from Litestar's Prometheus
middleware (`frontdesk_requests_total`, `frontdesk_request_duration_seconds`, labelled
with the route's path template, method and status). The counters below are the product's
own; the outbox depth and the index version are read when Prometheus scrapes.
"""

from __future__ import annotations

from collections.abc import Callable

from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from prometheus_client import Counter, Gauge

ANSWERS = Counter("frontdesk_answers", "Answers given by /ask, by status.", ["status"])
EVENTS = Counter("frontdesk_events_ingested", "Widget events stored (duplicates not counted).")
EVENT_DUPLICATES = Counter("frontdesk_events_duplicate", "Widget events received again.")
TICKETS = Counter("frontdesk_tickets_created", "Handoff tickets created.")
INDEX_SWITCHES = Counter(
    "frontdesk_index_switches", "Index versions this process switched to (one per ingest run)."
)
OUTBOX_DEPTH = Gauge("frontdesk_outbox_depth", "Ticket deliveries not yet done.")


def watch_outbox(depth: Callable[[], int]) -> None:
    """Read the outbox depth from the database at each scrape."""
    OUTBOX_DEPTH.set_function(lambda: float(depth()))


class MetricsController(PrometheusController):
    path = "/metrics"
    include_in_schema = False


def prometheus_config() -> PrometheusConfig:
    return PrometheusConfig(
        app_name="frontdesk",
        prefix="frontdesk",
        group_path=True,  # /api/v1/articles/{article_id:str}, not one series per article
        exclude=["^/metrics"],
    )
