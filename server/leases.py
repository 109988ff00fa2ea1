"""Scheduled jobs that one process at a time may run: a lease and a watermark per job.

Every server process runs the scheduled jobs; the `job_state` row decides which one does a
pass. A lease that runs out (its process died) is taken over by the next process.
"""

from __future__ import annotations

from sqlalchemy import Engine, select, update

from server.database import upsert_insert
from server.tables import job_state


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
