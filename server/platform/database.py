"""The event and ticket database: one engine per process, schema kept by Alembic migrations.

SQLite (a file in the data dir, WAL) is the zero-setup default; `FRONTDESK_DATABASE_URL`
switches to PostgreSQL. Every table lives in `server.tables`; every schema change is a
migration under `server/migrations/versions/`.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url

from server.platform.storage import storage_cause, watch
from server.settings import Settings

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def database_url(settings: Settings) -> str:
    """The SQLAlchemy URL: the setting, with the driver Frontdesk installs, or the default file."""
    if not settings.database_url:
        return f"sqlite:///{(settings.data_dir / 'frontdesk.db').resolve()}"
    url = make_url(settings.database_url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable at each checkpoint, safe with WAL
    cursor.execute("PRAGMA busy_timeout=10000")  # several processes may write
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA secure_delete=ON")  # deleted rows are overwritten, not left on disk
    cursor.close()


def _reopen_after_storage_failure(context: Any) -> None:
    """A SQLite connection opened while its file could not be written stays read-only: drop
    the pool's connections, so that the next request opens the file again (and writes once
    it can)."""
    if storage_cause(context.original_exception) is not None:
        context.is_disconnect = True


def create_database_engine(settings: Settings) -> Engine:
    url = database_url(settings)
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            watch(Path(path).parent)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "handle_error", _reopen_after_storage_failure)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def upsert_insert(engine: Engine, table: Table) -> postgresql.Insert | sqlite.Insert:
    """`INSERT` of the engine's dialect, which has `on_conflict_do_nothing` (SQLite and
    PostgreSQL spell it alike)."""
    if engine.dialect.name == "postgresql":
        return postgresql_insert(table)
    return sqlite_insert(table)


_SQLITE_WRITER = threading.Lock()


def writer_lock(engine: Engine) -> contextlib.AbstractContextManager[object]:
    """SQLite has one writer at a time: queue this process's writers here rather than have
    them spin on the file lock (many threads waiting on `busy_timeout` stall each other)."""
    return _SQLITE_WRITER if engine.dialect.name == "sqlite" else contextlib.nullcontext()


def wipe_deleted(engine: Engine) -> bool:
    """Leave no copy of deleted rows in the database's files: SQLite overwrites deleted rows
    (`secure_delete`), and this moves its write-ahead log into the database and empties it.
    False when a reader kept the log from being emptied. PostgreSQL: nothing to do here
    (its own files keep old row versions until VACUUM reuses the space)."""
    if engine.dialect.name != "sqlite":
        return True
    with engine.connect() as db:
        busy = db.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").scalar()
    return not busy


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent; safe from several processes)."""
    command.upgrade(alembic_config(engine), "head")
