"""Failed dashboard logins per account: a backoff that slows password guessing down.

The first `FREE_FAILURES` failures in a row cost nothing; after them an account's next
attempt must wait 1 s after the last failure, then 2, 4 … at most `MAX_WAIT_SECONDS`; an
attempt that comes too soon is refused without checking the password and without counting,
so the right password gets in once the wait is over, whatever was tried before. A good
login clears the count. The count lives in the database, shared by every process; rows
idle for a day are dropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import Engine, delete, select

from server.platform.database import upsert_insert
from server.tables import login_failures

FREE_FAILURES = 5
MAX_WAIT_SECONDS = 60
FORGET_AFTER_MS = 86_400_000


def account_of(email: str) -> str:
    """The account an email names, as the users table keeps it."""
    return email.strip().lower()


@dataclass(frozen=True)
class FailedLogins:
    engine: Engine

    def wait_seconds(self, account: str, now: int) -> int:
        """How long the account's next attempt must still wait (0: it may go on)."""
        with self.engine.connect() as db:
            row = db.execute(
                select(login_failures.c.failures, login_failures.c.last_failure_at).where(
                    login_failures.c.account == account
                )
            ).first()
        if row is None or row.failures < FREE_FAILURES:
            return 0
        wait_ms = min(MAX_WAIT_SECONDS, 2 ** (row.failures - FREE_FAILURES)) * 1000
        remaining_ms: int = row.last_failure_at + wait_ms - now
        return max(0, math.ceil(remaining_ms / 1000))

    def record(self, account: str, now: int) -> None:
        """One more failure in a row for the account."""
        statement = upsert_insert(self.engine, login_failures).values(
            account=account, failures=1, last_failure_at=now
        )
        statement = statement.on_conflict_do_update(
            index_elements=["account"],
            set_={"failures": login_failures.c.failures + 1, "last_failure_at": now},
        )
        with self.engine.begin() as db:
            db.execute(statement)
            db.execute(
                delete(login_failures).where(
                    login_failures.c.last_failure_at < now - FORGET_AFTER_MS
                )
            )

    def clear(self, account: str) -> None:
        with self.engine.begin() as db:
            db.execute(delete(login_failures).where(login_failures.c.account == account))
