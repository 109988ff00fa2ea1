"""Delivering stored tickets: at least once, with retries and backoff, to each destination.

A row of the `outbox` table is one delivery of one ticket to one destination. The worker
claims due rows with a lease (a conditional UPDATE, so several server processes never
deliver the same row at once), delivers, and either marks the row delivered or schedules
the next attempt: 2, 4, 8 … seconds, at most an hour apart, jittered. Every delivery
carries the idempotency key `<ticket id>:<destination>`, so a receiver can drop the
duplicate of a delivery whose success was lost.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Mapping

from sqlalchemy import Engine, and_, func, select, update

from server.handoff.destinations import Destination
from server.platform.locks import JobLocks
from server.tables import outbox, tickets

logger = logging.getLogger(__name__)
LEASE_MS = 60_000
MAX_BACKOFF_S = 3600


def backoff_seconds(attempts: int) -> float:
    return min(2.0**attempts, MAX_BACKOFF_S) * random.uniform(0.8, 1.2)


class OutboxWorker:
    """Delivers due outbox rows until stopped; `run_once` is one pass (tests call it)."""

    def __init__(
        self,
        engine: Engine,
        targets: Mapping[str, Destination],
        poll_s: float = 0.5,
        locks: JobLocks | None = None,
    ):
        self.engine = engine
        self.targets = dict(targets)
        self.locks = locks or JobLocks()
        self.poll_s = poll_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.targets and self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="frontdesk-outbox", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        """Finish the delivery in progress and one last pass, then stop."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._pass()
            self._stop.wait(self.poll_s)
        self._pass(wait=5)  # flush what became due while stopping, after another's pass

    def _pass(self, wait: float = 0) -> None:
        try:
            with self.locks.hold("outbox", wait) as mine:
                if mine:
                    self.run_once()
        except Exception:  # a database hiccup: log and try again on the next tick
            logger.exception("outbox pass failed")

    def depth(self) -> int:
        with self.engine.connect() as db:
            return int(
                db.execute(
                    select(func.count()).select_from(outbox).where(outbox.c.delivered_at.is_(None))
                ).scalar_one()
            )

    def run_once(self, limit: int = 50) -> int:
        """Deliver the due rows this process can claim; returns how many were delivered."""
        now = int(time.time() * 1000)
        with self.engine.connect() as db:
            due = (
                db.execute(
                    select(outbox.c.id)
                    .where(
                        outbox.c.delivered_at.is_(None),
                        outbox.c.next_attempt_at <= now,
                        outbox.c.claimed_until < now,
                        outbox.c.destination.in_(list(self.targets)),
                    )
                    .order_by(outbox.c.next_attempt_at)
                    .limit(limit)
                )
                .scalars()
                .all()
            )
        delivered = 0
        for row_id in due:
            if self._claim(row_id, now):
                delivered += self._deliver(row_id)
        return delivered

    def _claim(self, row_id: int, now: int) -> bool:
        with self.engine.begin() as db:
            claimed = db.execute(
                update(outbox)
                .where(
                    and_(
                        outbox.c.id == row_id,
                        outbox.c.delivered_at.is_(None),
                        outbox.c.claimed_until < now,
                    )
                )
                .values(claimed_until=now + LEASE_MS)
            )
            return claimed.rowcount == 1

    def _deliver(self, row_id: int) -> int:
        with self.engine.connect() as db:
            row = db.execute(select(outbox).where(outbox.c.id == row_id)).one()
            ticket = (
                db.execute(select(tickets).where(tickets.c.id == row.ticket_id)).one()._asdict()
            )
        key = f"{row.ticket_id}:{row.destination}"
        try:
            self.targets[row.destination].deliver(ticket, key)
        except Exception as exc:
            attempts = row.attempts + 1
            wait = backoff_seconds(attempts)
            logger.warning(
                "delivering %s failed (attempt %d, next in %.0f s): %s", key, attempts, wait, exc
            )
            with self.engine.begin() as db:
                db.execute(
                    update(outbox)
                    .where(outbox.c.id == row_id)
                    .values(
                        attempts=attempts,
                        next_attempt_at=int(time.time() * 1000 + wait * 1000),
                        claimed_until=0,
                        last_error=f"{type(exc).__name__}: {exc}"[:2000],
                    )
                )
            return 0
        with self.engine.begin() as db:
            db.execute(
                update(outbox)
                .where(outbox.c.id == row_id)
                .values(
                    attempts=row.attempts + 1, delivered_at=int(time.time() * 1000), last_error=None
                )
            )
        return 1
