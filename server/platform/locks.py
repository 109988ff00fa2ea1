"""One runner at a time for each scheduled job, across every server process.

Without Redis the database decides: each job's lease row in `job_state` (`take_lease`: a
lease and a watermark per job; a lease that runs out because its process died is taken
over by the next process) and the outbox's per-row claims. With Redis, a job's pass first
takes a Redis lock that lives for a few seconds and is renewed while the pass runs, so a
process that dies mid-pass hands the job on within seconds. Each pass is logged at DEBUG
with the process id.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis
from redis.exceptions import LockError
from sqlalchemy import Engine, select, update

from server.platform.database import upsert_insert
from server.tables import job_state

logger = logging.getLogger(__name__)
LOCK_SECONDS = 15.0


class JobLocks:
    """Process-local: one pass of a job at a time in this process; the database does the rest."""

    def __init__(self) -> None:
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    @contextmanager
    def hold(self, job: str, wait: float = 0) -> Iterator[bool]:
        """True inside when this process runs the pass; `wait` seconds for a busy lock."""
        with self._guard:
            lock = self._locks.setdefault(job, threading.Lock())
        if not lock.acquire(timeout=wait if wait > 0 else -1, blocking=wait > 0):
            yield False
            return
        try:
            with _logged(job):
                yield True
        finally:
            lock.release()

    def ping(self) -> None:
        return None

    def close(self) -> None:
        return None


class RedisJobLocks(JobLocks):
    """Shared by every process that uses the same Redis."""

    def __init__(self, client: redis.Redis, seconds: float = LOCK_SECONDS) -> None:
        super().__init__()
        self._client = client
        self._seconds = seconds

    @classmethod
    def connect(cls, redis_url: str) -> RedisJobLocks:
        return cls(redis.Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=5))

    @contextmanager
    def hold(self, job: str, wait: float = 0) -> Iterator[bool]:
        lock = self._client.lock(
            f"frontdesk:job:{job}",
            timeout=self._seconds,
            blocking=wait > 0,
            blocking_timeout=wait or None,
            thread_local=False,  # the renewing thread uses the token too
        )
        try:
            taken = lock.acquire()
        except redis.RedisError as exc:
            logger.warning("job %s skipped: Redis unavailable: %s", job, exc)
            taken = False
        if not taken:
            yield False
            return
        done = threading.Event()
        renewer = threading.Thread(
            target=_renew, args=(lock, done, self._seconds / 3), name=f"lock-{job}", daemon=True
        )
        renewer.start()
        try:
            with _logged(job):
                yield True
        finally:
            done.set()
            renewer.join()
            try:
                lock.release()
            except (LockError, redis.RedisError) as exc:
                logger.warning("job %s: lock already gone: %s", job, exc)

    def ping(self) -> None:
        self._client.ping()

    def close(self) -> None:
        self._client.close()


def _renew(lock: redis.lock.Lock, done: threading.Event, every: float) -> None:
    while not done.wait(every):
        try:
            lock.reacquire()
        except (LockError, redis.RedisError) as exc:
            logger.error("lost the lock %s: %s", lock.name, exc)
            return


@contextmanager
def _logged(job: str) -> Iterator[None]:
    started = time.time()
    try:
        yield
    finally:
        logger.debug(
            "job pass",
            extra={
                "job": job,
                "started": round(started, 4),
                "finished": round(time.time(), 4),
            },
        )


def job_locks(redis_url: str) -> JobLocks:
    return RedisJobLocks.connect(redis_url) if redis_url else JobLocks()


# -- the database's lease per job ----------------------------------------------------------


def take_lease(engine: Engine, job: str, owner: str, now: int, lease_ms: int) -> int | None:
    """Take the job's lease; the watermark it left, or None if another process holds it."""
    with engine.begin() as db:
        db.execute(
            upsert_insert(engine, job_state)
            .values(name=job, owner="", lease_until=0, watermark=0)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        taken = db.execute(
            update(job_state)
            .where(
                job_state.c.name == job,
                (job_state.c.lease_until < now) | (job_state.c.owner == owner),
            )
            .values(owner=owner, lease_until=now + lease_ms)
        )
        if taken.rowcount != 1:
            return None
        return int(
            db.execute(select(job_state.c.watermark).where(job_state.c.name == job)).scalar_one()
        )


def release_lease(engine: Engine, job: str, owner: str, watermark: int) -> None:
    """Store the new watermark and let the next pass (of any process) take the lease."""
    with engine.begin() as db:
        db.execute(
            update(job_state)
            .where(job_state.c.name == job, job_state.c.owner == owner)
            .values(watermark=watermark, lease_until=0)
        )
