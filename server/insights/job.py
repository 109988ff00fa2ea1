"""The scheduled job behind the dashboard: one pass every 30 seconds in every server process.

A pass, each step under its own lease so that one process at a time does it:

1. the deflection log: sessions that got events or may have become final;
2. the statistics: the daily counts of every day those sessions and events fall on, new
   knowledge-base gaps (embedded and clustered), deflections a later ticket on the same
   topic undid (and the counts of their days), prompt exposures, and the replies of
   solved helpdesk tickets attached to the gaps their sessions ended in (old unreviewed
   ones expire);
3. alerts: thresholds checked, undelivered alerts sent;
4. the weekly report, once a week, if a destination is set.

`rebuild` computes the deflection log and every statistic again from the events alone.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterable

from sqlalchemy import Connection, Engine, delete, func, select

from server.events.visitors import VisitorTrace
from server.insights.alerts import AlertChecker, Thresholds
from server.insights.daily_counts import DailyCounts
from server.insights.deflection_log import DeflectionLog
from server.insights.durable import DurableDeflections
from server.insights.exposures import PromptExposures
from server.insights.gap_finder import Embed, GapFinder
from server.insights.notify import Notifier
from server.insights.queue import SlaTargets
from server.insights.report import ReportSender
from server.insights.resolutions import Resolutions
from server.platform.database import writer_lock
from server.platform.days import DAY_MS
from server.platform.locks import JobLocks, release_lease, take_lease
from server.settings import Settings
from server.tables import (
    daily_counts,
    deflection_reversals,
    events,
    gap_clusters,
    gap_questions,
    prompt_exposures,
)

logger = logging.getLogger(__name__)
JOB = "statistics"
LEASE_MS = 600_000  # a rebuild of a large history may take minutes


class StatisticsJob:
    def __init__(
        self,
        engine: Engine,
        deflection_log: DeflectionLog,
        gaps: GapFinder,
        alerts: AlertChecker,
        reports: ReportSender,
        interval_s: float = 30,
        locks: JobLocks | None = None,
        durable_ms: int = 7 * DAY_MS,
        resolutions: Resolutions | None = None,
    ) -> None:
        self.engine = engine
        self.resolutions = resolutions or Resolutions(engine)
        self.deflection_log = deflection_log
        self.counts = DailyCounts(engine)
        self.gaps = gaps
        self.exposures = PromptExposures(engine, deflection_log.window_ms)
        self.durable = DurableDeflections(engine, durable_ms)
        self.alerts = alerts
        self.reports = reports
        self.interval_s = interval_s
        self.locks = locks or JobLocks()
        self.owner = uuid.uuid4().hex
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self, now: int | None = None) -> bool:
        """One pass; False if another process held the statistics lease."""
        now = now or int(time.time() * 1000)
        self.deflection_log.run_once(self.owner, now)
        watermark = take_lease(self.engine, JOB, self.owner, now, LEASE_MS)
        if watermark is None:
            return False
        with self.engine.connect() as db:
            newest = db.execute(select(func.max(events.c.received_at))).scalar_one() or 0
        # the sessions the deflection log may have changed: as far back as it looks
        since = max(0, min(watermark, now) - self.deflection_log.window_ms - 120_000)
        self.counts.refresh(self.counts.days_with_events(since))
        self.gaps.collect(watermark)
        self.gaps.cluster_pending()
        # a ticket may undo a deflection days back: those days are counted again
        self.counts.refresh(self.durable.recompute(self.durable.visitors_to_update(since)))
        self.exposures.update(watermark)
        self.resolutions.attach(now)
        self.resolutions.expire(now)
        release_lease(self.engine, JOB, self.owner, max(watermark, newest))
        self.alerts.check(now)
        self.reports.send_due(self.owner, now)
        return True

    def rebuild(self, now: int | None = None) -> dict[str, int]:
        """Everything again from the events: the deflection log, gaps, reversed deflections,
        counts, exposures."""
        now = now or int(time.time() * 1000)
        with self.engine.connect() as db:
            newest = db.execute(select(func.max(events.c.received_at))).scalar_one() or 0
        sessions = self.deflection_log.rebuild(now)
        with writer_lock(self.engine), self.engine.begin() as db:
            Resolutions.reset(db)
            for table in (
                daily_counts,
                gap_questions,
                gap_clusters,
                prompt_exposures,
                deflection_reversals,
            ):
                db.execute(delete(table))
        gaps = self.gaps.collect(0)
        self.gaps.cluster_pending()
        self.durable.rebuild()
        rows = self.counts.refresh(self.counts.days_with_events(0))
        self.resolutions.relink()
        self.resolutions.attach(now)
        visitors = self.exposures.update(0)
        watermark = take_lease(self.engine, JOB, self.owner, now, LEASE_MS)
        if watermark is not None:
            release_lease(self.engine, JOB, self.owner, max(watermark, newest))
        return {"sessions": sessions, "daily_counts": rows, "gaps": gaps, "visitors": visitors}

    def forget(self, db: Connection, visitor: VisitorTrace) -> dict[str, int]:
        """Delete what the job derived from the visitor (log rows, exposures, gap questions,
        reversed deflections, agents' replies attached to gaps), in the caller's transaction;
        `recount` their days once it is committed."""
        return {
            "deflections": DeflectionLog.forget(db, visitor),
            "prompt_exposures": PromptExposures.forget(db, visitor),
            "gap_questions": GapFinder.forget(db, visitor),
            "deflection_reversals": DurableDeflections.forget(db, visitor),
            "gap_resolutions": Resolutions.forget(db, visitor),
        }

    def recount(self, days: Iterable[int]) -> int:
        """The daily counts of these days again, from the events and log rows there are now."""
        return self.counts.refresh(days)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="frontdesk-statistics", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                with self.locks.hold(JOB) as mine:
                    if mine:
                        self.run_once()
            except Exception:
                logger.exception("statistics pass failed")


def build_statistics_job(
    settings: Settings, engine: Engine, embed: Embed, locks: JobLocks | None = None
) -> StatisticsJob:
    """The job as the settings describe it; `embed` turns gap questions into vectors."""
    notifier = Notifier.from_settings(settings)
    return StatisticsJob(
        engine,
        DeflectionLog(engine, int(settings.deflection_window_hours * 3_600_000)),
        GapFinder(engine, embed, settings.gap_similarity),
        AlertChecker(engine, Thresholds.from_settings(settings), notifier),
        ReportSender(engine, notifier, SlaTargets.from_settings(settings)),
        locks=locks,
        durable_ms=settings.durable_days * DAY_MS,
        resolutions=Resolutions(engine, settings.suggestion_max_age_days),
    )
