"""Alerts: thresholds on the deflection rate, the `no_answer` share and the ticket volume;
on the helpdesk queue, its depth, first-response times over their SLA target and a queue
that grew (more tickets created than resolved) day after day.

Checked on every pass of the statistics job against the daily counts; a threshold crossed
fires at most one alert per kind and UTC day. Alerts are shown on the dashboard and sent
to the `notify_*` destinations until one delivery succeeds.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import Engine, select, update

from server.insights.notify import Notifier
from server.insights.overview import overview
from server.insights.queue import SlaTargets, open_tickets, queue
from server.insights.scope import Scope
from server.platform.database import upsert_insert, writer_lock
from server.platform.days import day_date, day_number, today
from server.settings import Settings
from server.tables import alerts

logger = logging.getLogger(__name__)
MIN_SAMPLE = 20  # sessions or questions in the week before a rate can fire
MIN_QUEUE_SAMPLE = 5  # first responses of a priority in the week before its median can fire


@dataclass(frozen=True)
class Thresholds:
    min_deflection_rate: float  # 0: off
    max_no_answer_share: float  # 1: off
    max_daily_tickets: int  # 0: off
    max_queue_depth: int = 0  # 0: off
    first_response_targets: dict[str, float] = field(default_factory=dict)  # {}: off
    growing_queue_days: int = 0  # 0: off

    @classmethod
    def from_settings(cls, settings: Settings) -> Thresholds:
        targets = SlaTargets.from_settings(settings).first_response
        return cls(
            settings.alert_min_deflection_rate,
            settings.alert_max_no_answer_share,
            settings.alert_max_daily_tickets,
            settings.alert_max_queue_depth,
            dict(targets) if settings.alert_first_response_over_sla else {},
            settings.alert_growing_queue_days,
        )


@dataclass(frozen=True)
class Alert:
    id: int
    kind: str
    day: date
    value: float
    threshold: float
    message: str
    fired_at: datetime
    delivered: bool
    last_error: str | None


def crossed(engine: Engine, thresholds: Thresholds, today: int) -> list[dict[str, object]]:
    """The thresholds the last 7 days (rates) and today (tickets) are past."""
    week = overview(engine, Scope(today - 6, today))
    out: list[dict[str, object]] = []
    sample = week.deflected + week.totals.get("tickets", 0)
    rate = week.deflection_rate
    if (
        thresholds.min_deflection_rate > 0
        and sample >= MIN_SAMPLE
        and rate is not None
        and rate < thresholds.min_deflection_rate
    ):
        out.append(
            {
                "kind": "deflection_rate_low",
                "value": rate,
                "threshold": thresholds.min_deflection_rate,
                "message": f"Deflection rate of the last 7 days is {rate:.0%}, below "
                f"{thresholds.min_deflection_rate:.0%} ({week.deflected} deflected, "
                f"{week.totals.get('tickets', 0)} tickets).",
            }
        )
    questions = week.totals.get("questions", 0)
    share = week.no_answer_share
    if (
        thresholds.max_no_answer_share < 1
        and questions >= MIN_SAMPLE
        and share is not None
        and share > thresholds.max_no_answer_share
    ):
        out.append(
            {
                "kind": "no_answer_share_high",
                "value": share,
                "threshold": thresholds.max_no_answer_share,
                "message": f"{share:.0%} of the last 7 days' {questions} questions got no "
                f"answer, above {thresholds.max_no_answer_share:.0%}.",
            }
        )
    tickets_today = week.daily[-1].tickets
    if thresholds.max_daily_tickets > 0 and tickets_today > thresholds.max_daily_tickets:
        out.append(
            {
                "kind": "ticket_volume_high",
                "value": float(tickets_today),
                "threshold": float(thresholds.max_daily_tickets),
                "message": f"{tickets_today} tickets today, above {thresholds.max_daily_tickets}.",
            }
        )
    return out + queue_crossed(engine, thresholds, today)


def queue_crossed(engine: Engine, thresholds: Thresholds, today: int) -> list[dict[str, object]]:
    """The helpdesk queue's thresholds: open tickets now, the last 7 days' median first
    response per priority against its target, and the last N whole days' created/resolved."""
    out: list[dict[str, object]] = []
    if thresholds.max_queue_depth > 0:
        depth = open_tickets(engine)
        if depth > thresholds.max_queue_depth:
            out.append(
                {
                    "kind": "queue_depth_high",
                    "value": float(depth),
                    "threshold": float(thresholds.max_queue_depth),
                    "message": f"{depth} helpdesk tickets are open, above "
                    f"{thresholds.max_queue_depth}.",
                }
            )
    if thresholds.first_response_targets:
        week = queue(engine, Scope(today - 6, today), SlaTargets(thresholds.first_response_targets))
        late = [
            (t.group, t.first_response_median_h, thresholds.first_response_targets[t.group])
            for t in week.by_priority
            if t.group in thresholds.first_response_targets
            and t.responded >= MIN_QUEUE_SAMPLE
            and t.first_response_median_h is not None
            and t.first_response_median_h > thresholds.first_response_targets[t.group]
        ]
        if late:
            worst = max(late, key=lambda x: x[1] / x[2])
            out.append(
                {
                    "kind": "first_response_over_sla",
                    "value": worst[1],
                    "threshold": worst[2],
                    "message": "Median first response of the last 7 days is over its SLA "
                    "target: "
                    + ", ".join(f"{p} {median:.1f} h (target {t:g} h)" for p, median, t in late)
                    + ".",
                }
            )
    days = thresholds.growing_queue_days
    if days > 0:
        recent = queue(engine, Scope(today - days, today - 1), SlaTargets()).days
        if all(d.created > d.resolved for d in recent):
            ratio = sum(d.created for d in recent) / max(1, sum(d.resolved for d in recent))
            out.append(
                {
                    "kind": "queue_growing",
                    "value": ratio,
                    "threshold": 1.0,
                    "message": f"More helpdesk tickets were created than resolved on each of "
                    f"the last {days} days ({sum(d.created for d in recent)} created, "
                    f"{sum(d.resolved for d in recent)} resolved).",
                }
            )
    return out


class AlertChecker:
    def __init__(self, engine: Engine, thresholds: Thresholds, notifier: Notifier) -> None:
        self.engine = engine
        self.thresholds = thresholds
        self.notifier = notifier

    def check(self, now: int | None = None) -> int:
        """Fire what crossed today (once per kind), deliver what is undelivered; new alerts."""
        now = now or int(time.time() * 1000)
        day = day_number(today(now))
        fired = crossed(self.engine, self.thresholds, day)
        new = 0
        if fired:
            with writer_lock(self.engine), self.engine.begin() as db:
                for alert in fired:
                    new += len(
                        db.execute(
                            upsert_insert(self.engine, alerts)
                            .values(day=day, fired_at=now, **alert)
                            .on_conflict_do_nothing(index_elements=["kind", "day"])
                            .returning(alerts.c.id)
                        ).all()
                    )
        self.deliver()
        return new

    def deliver(self) -> None:
        if not self.notifier.configured:
            return
        with self.engine.connect() as db:
            pending = db.execute(select(alerts).where(alerts.c.delivered_at.is_(None))).all()
        for alert in pending:
            error = None
            try:
                self.notifier.send(
                    "alert",
                    f"Frontdesk alert: {alert.kind.replace('_', ' ')}",
                    alert.message,
                    {
                        "alert": {
                            "kind": alert.kind,
                            "value": alert.value,
                            "threshold": alert.threshold,
                            "day": day_date(alert.day).isoformat(),
                        }
                    },
                    f"alert:{alert.id}",
                )
            except Exception as exc:  # kept, retried on the next pass
                logger.warning("alert %s not delivered: %s", alert.id, exc)
                error = str(exc)[:500]
            with writer_lock(self.engine), self.engine.begin() as db:
                db.execute(
                    update(alerts)
                    .where(alerts.c.id == alert.id)
                    .values(
                        delivered_at=None if error else int(time.time() * 1000),
                        last_error=error,
                    )
                )


def recent_alerts(engine: Engine, since_day: int) -> list[Alert]:
    with engine.connect() as db:
        rows = db.execute(
            select(alerts).where(alerts.c.day >= since_day).order_by(alerts.c.fired_at.desc())
        ).all()
    return [
        Alert(
            id=r.id,
            kind=r.kind,
            day=day_date(r.day),
            value=r.value,
            threshold=r.threshold,
            message=r.message,
            fired_at=datetime.fromtimestamp(r.fired_at / 1000, UTC),
            delivered=r.delivered_at is not None,
            last_error=r.last_error,
        )
        for r in rows
    ]
