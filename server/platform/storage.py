"""When the data dir or the database cannot be written: read-only, full, or gone.

Such a failure is not a bug to answer with a 500: requests that need to write answer 503
problem+json naming the cause (`storage_cause`), the cause is logged once (not on every
request), and the server recovers by itself once it can write again: SQLite connections
that saw the failure are dropped (`server.platform.database`), files are opened anew on
each write. `/readyz` probes both and says what is wrong (`probe_data_dir`).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import threading
import uuid
from pathlib import Path

logger = logging.getLogger(__name__)

_OS_ERRORS = {errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EIO}
# what SQLite and PostgreSQL say, and what Frontdesk says instead
_DATABASE_MESSAGES = {
    "attempt to write a readonly database": "the database is read-only",
    "database or disk is full": "the disk of the database is full",
    "unable to open database file": "the database file cannot be opened",
    "disk i/o error": "a disk I/O error in the database",
    "could not extend file": "the disk of the database server is full",
    "no space left on device": "the disk of the database server is full",
    "cannot execute": "the database is read-only",  # PostgreSQL: ... in a read-only transaction
}


_WATCHED: set[Path] = set()  # folders whose file system a database error is checked against


def watch(folder: Path) -> None:
    """A folder the database's files live in: its file system explains a database error."""
    _WATCHED.add(folder)


def file_system_cause(folder: Path) -> str | None:
    """`read-only file system` or `no space left on device` when the folder's file system
    is, else None."""
    try:
        stats = os.statvfs(folder)
    except OSError:
        return None
    if stats.f_flag & os.ST_RDONLY:
        return f"{os.strerror(errno.EROFS)}: {folder}"
    if stats.f_bavail == 0 or (stats.f_files and stats.f_favail == 0):
        return f"{os.strerror(errno.ENOSPC)}: {folder}"
    return None


def storage_cause(exc: BaseException) -> str | None:
    """What about storage made this exception, in words; None if it is not about storage.
    A database's complaint is explained by its folder's file system when that is read-only
    or full (SQLite says "unable to open database file" when it cannot write its WAL index)."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in _OS_ERRORS:
            where = f": {current.filename}" if current.filename else ""
            return f"{current.strerror or os.strerror(current.errno or 0)}{where}"
        text = str(current).lower()
        for message, cause in _DATABASE_MESSAGES.items():
            if message in text and _is_database_error(current):
                found = [file_system_cause(folder) for folder in sorted(_WATCHED)]
                return next((f"{cause} ({f})" for f in found if f), cause)
        pending += [current.__cause__, current.__context__, getattr(current, "orig", None)]
    return None


def _is_database_error(exc: BaseException) -> bool:
    module = type(exc).__module__
    return module.startswith(("sqlite3", "sqlalchemy", "psycopg"))


class StorageAlarm:
    """Logs a storage failure once per cause, and once more when it is over."""

    def __init__(self) -> None:
        self._cause: str | None = None
        self._lock = threading.Lock()

    def report(self, cause: str) -> None:
        with self._lock:
            if cause == self._cause:
                return
            self._cause = cause
        logger.error("storage unavailable: %s; answering 503 until it can be written", cause)

    def clear(self) -> None:
        with self._lock:
            cause, self._cause = self._cause, None
        if cause is not None:
            logger.warning("storage writable again (it was: %s)", cause)


ALARM = StorageAlarm()  # one per process


MIN_FREE_BYTES = 1 << 20  # less is full: a batch of events or a ticket may not fit


def probe_data_dir(data_dir: Path) -> str:
    """`ok` when a file can be written in the data dir and 1 MB is free, else why not."""
    probe = data_dir / f".probe-{uuid.uuid4().hex}"
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with probe.open("wb") as handle:
            handle.write(b"frontdesk")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        return storage_cause(exc) or f"{exc.strerror}: {data_dir}"
    finally:
        with contextlib.suppress(OSError):  # a read-only file system may refuse even that
            probe.unlink(missing_ok=True)
    stats = os.statvfs(data_dir)
    free = stats.f_bavail * stats.f_frsize
    if free < MIN_FREE_BYTES:
        return f"{os.strerror(errno.ENOSPC)}: {free // 1024} KB free in {data_dir}"
    return "ok"
