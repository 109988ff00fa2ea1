"""The weekly product report: the week's recurring problems with their numbers, in markdown.

A week is an ISO week, Monday to Sunday (UTC). The report lists the knowledge-base gaps
and ticket categories of the week with counts, the trend against the week before, pages
and sample questions, the helpdesk queue (created, resolved, open, first-response and
resolution times, SLA breaches, beside the self-service resolution rate), then the spikes
and the top questions. The statistics job sends the
report of the week that just ended to the `notify_*` destinations once, on Monday.
"""

from __future__ import annotations

import logging
import re
import time
from datetime import date, timedelta

from sqlalchemy import Engine

from server.insights.breakdowns import top_questions
from server.insights.gap_summary import gaps, trend
from server.insights.notify import Notifier
from server.insights.overview import overview
from server.insights.queue import Queue, SlaTargets, queue
from server.insights.scope import Scope, sums_by
from server.insights.spikes import spikes
from server.platform.days import day_number, today, week_name, week_of
from server.platform.locks import release_lease, take_lease

logger = logging.getLogger(__name__)
JOB = "weekly_report"


def send_report(
    engine: Engine, notifier: Notifier, monday: date, key: str, sla: SlaTargets | None = None
) -> None:
    """Send the week's report to the `notify_*` destinations; `key` makes a resend a no-op."""
    text = weekly_report(engine, monday, sla=sla)
    name = week_name(monday)
    notifier.send(
        "weekly_report",
        f"Frontdesk weekly report {name}",
        text,
        {"week": name, "markdown": text},
        key,
    )


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _md(text: str) -> str:
    """Text a user or a host sent, made inert in markdown, on one line: no links (bare URLs
    included), images, HTML, entities, code, emphasis or tables."""
    escaped = "".join("\\" + c if c in "\\`*_{}[]()<>#+-.!|:~&" else c for c in text)
    return " ".join(escaped.split())


def _code(text: str) -> str:
    """Text as a code span (shown as is) that no backtick inside can close early."""
    text = " ".join(text.split())
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} h"


def queue_lines(now: Queue, then: Queue) -> list[str]:
    """The helpdesk queue this week against the week before, as a markdown table."""
    if not (now.created or now.resolved or now.open_end or then.created or then.resolved):
        return ["No helpdesk events for these weeks."]
    rows = [
        ("Tickets created", str(now.created), str(then.created)),
        ("Tickets resolved", str(now.resolved), str(then.resolved)),
        ("Open at the end of the week", str(now.open_end), str(then.open_end)),
        (
            "Created per resolved",
            "—" if now.created_per_resolved is None else f"{now.created_per_resolved:.2f}",
            "—" if then.created_per_resolved is None else f"{then.created_per_resolved:.2f}",
        ),
        (
            "First response, median / p90",
            f"{_hours(now.overall.first_response_median_h)} / "
            f"{_hours(now.overall.first_response_p90_h)}",
            f"{_hours(then.overall.first_response_median_h)} / "
            f"{_hours(then.overall.first_response_p90_h)}",
        ),
        (
            "Resolution, median / p90",
            f"{_hours(now.overall.resolution_median_h)} / {_hours(now.overall.resolution_p90_h)}",
            f"{_hours(then.overall.resolution_median_h)} / {_hours(then.overall.resolution_p90_h)}",
        ),
        (
            "SLA breaches, first response / resolution",
            f"{now.first_response_breaches} / {now.resolution_breaches}",
            f"{then.first_response_breaches} / {then.resolution_breaches}",
        ),
        (
            "Self-service resolution rate",
            _percent(now.self_service_resolution_rate),
            _percent(then.self_service_resolution_rate),
        ),
    ]
    return [
        "| | this week | week before |",
        "| --- | ---: | ---: |",
        *[f"| {label} | {a} | {b} |" for label, a, b in rows],
    ]


def weekly_report(
    engine: Engine,
    monday: date,
    pages: frozenset[str] | None = None,
    sla: SlaTargets | None = None,
) -> str:
    first = day_number(monday)
    scope = Scope(first, first + 6, None, pages)
    before = Scope(first - 7, first - 1, None, pages)
    now, then = overview(engine, scope), overview(engine, before)
    lines = [
        f"# Frontdesk weekly report: {week_name(monday)} "
        f"({monday.isoformat()} to {(monday + timedelta(days=6)).isoformat()})",
        "",
        "| | this week | week before |",
        "| --- | ---: | ---: |",
        f"| Questions asked | {now.totals.get('questions', 0)} | "
        f"{then.totals.get('questions', 0)} |",
        f"| Deflected sessions | {now.deflected} | {then.deflected} |",
        f"| Tickets | {now.totals.get('tickets', 0)} | {then.totals.get('tickets', 0)} |",
        f"| Deflection rate | {_percent(now.deflection_rate)} | {_percent(then.deflection_rate)} |",
        f"| Questions without an answer | {_percent(now.no_answer_share)} | "
        f"{_percent(then.no_answer_share)} |",
        "",
        "## Recurring issues the knowledge base does not answer",
        "",
    ]
    clusters = gaps(engine, Scope(first - 7, first + 6, None, pages), limit=10)
    recurring = [c for c in clusters if c.this_week > 0]
    if not recurring:
        lines.append("None this week.")
    for number, cluster in enumerate(recurring, 1):
        pages_text = ", ".join(f"{_code(p)} ({n})" for p, n in cluster.pages[:3])
        lines += [
            f"{number}. **{_md(cluster.title)}**: {cluster.this_week} questions "
            f"({cluster.trend} from {cluster.last_week})",
            f"   - pages: {pages_text}",
            *[f'   - "{_md(q)}" ({n})' for q, n in cluster.questions[:3]],
        ]
    lines += ["", "## Tickets by category", ""]
    this_cat = sums_by(engine, scope, "category", "key")
    last_cat = sums_by(engine, before, "category", "key")
    if not this_cat:
        lines.append("No tickets this week.")
    for category, metrics in sorted(this_cat.items(), key=lambda kv: -kv[1]["tickets"]):
        previous = last_cat.get(category, {}).get("tickets", 0)
        lines.append(
            f"- {_md(category)}: {metrics['tickets']} ({trend(metrics['tickets'], previous)} "
            f"from {previous})"
        )
    targets = sla or SlaTargets()
    lines += ["", "## Support queue", ""]
    lines += queue_lines(queue(engine, scope, targets), queue(engine, before, targets))
    found = spikes(engine, scope)
    lines += ["", "## Spikes", ""]
    if not found:
        lines.append("Nothing above its usual level.")
    for spike in found:
        lines.append(
            f"- {spike.kind} {_md(spike.label)}: {spike.this_week} this week, usually "
            f"{spike.usual:.1f} ({spike.ratio:.1f} times, p = {spike.p_value:.1g})"
        )
    lines += ["", "## Top questions", ""]
    for question, count in top_questions(engine, scope, limit=10):
        lines.append(f'- "{_md(question)}" ({count})')
    return "\n".join(lines) + "\n"


class ReportSender:
    """Sends last week's report once, on the first pass after the week ended."""

    def __init__(self, engine: Engine, notifier: Notifier, sla: SlaTargets | None = None) -> None:
        self.engine = engine
        self.notifier = notifier
        self.sla = sla

    def send_due(self, owner: str, now: int | None = None) -> date | None:
        if not self.notifier.configured:
            return None
        now = now or int(time.time() * 1000)
        last_week = week_of(today(now)) - timedelta(days=7)
        sent = take_lease(self.engine, JOB, owner, now, 120_000)
        if sent is None:
            return None
        if sent >= day_number(last_week):
            release_lease(self.engine, JOB, owner, sent)
            return None
        try:
            send_report(
                self.engine, self.notifier, last_week, f"report:{week_name(last_week)}", self.sla
            )
        except Exception as exc:
            logger.warning("weekly report not sent: %s", exc)
            release_lease(self.engine, JOB, owner, sent)
            return None
        release_lease(self.engine, JOB, owner, day_number(last_week))
        return last_week
