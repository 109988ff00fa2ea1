"""Prometheus metrics at `/metrics`: what the server does, for dashboards and alerts.

Request counts and latency histograms per route come from Litestar's Prometheus
middleware (`frontdesk_requests_total`, `frontdesk_request_duration_seconds`, labelled
with the route's path template, method and status). The counters below are the product's
own; gauges (the outbox depth) are read when Prometheus scrapes (`server/operations.py`).

With several worker processes (`frontdesk serve --workers N`), every process writes its
counters to `PROMETHEUS_MULTIPROC_DIR` and a scrape of any of them sums all of them.
"""

from __future__ import annotations

import os

from litestar.plugins.prometheus import PrometheusConfig
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    generate_latest,
    multiprocess,
)

ANSWERS = Counter("frontdesk_answers", "Answers given by /ask, by status.", ["status"])
EVENTS = Counter("frontdesk_events_ingested", "Widget events stored (duplicates not counted).")
EVENT_DUPLICATES = Counter("frontdesk_events_duplicate", "Widget events received again.")
TICKETS = Counter("frontdesk_tickets_created", "Handoff tickets created.")
INDEX_SWITCHES = Counter(
    "frontdesk_index_switches", "Index versions this process switched to (one per ingest run)."
)


def _process_counters() -> CollectorRegistry:
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


def exposition(gauges: dict[str, tuple[str, float]]) -> bytes:
    """Every process's counters, then these gauges (name → (help, value)) as they are now."""
    now = CollectorRegistry()
    for name, (text, value) in gauges.items():
        Gauge(name, text, registry=now).set(value)
    return bytes(generate_latest(_process_counters()) + generate_latest(now))


def prometheus_config() -> PrometheusConfig:
    return PrometheusConfig(
        app_name="frontdesk",
        prefix="frontdesk",
        group_path=True,  # /api/v1/articles/{article_id:str}, not one series per article
        exclude=["^/metrics"],
    )
