"""Alembic environment: migrations run on the engine `server.database.migrate` hands over.

On SQLite a migration that changes a column recreates its table (Alembic's batch mode,
SQLite's own procedure), with foreign keys off meanwhile: dropping the old table would
otherwise delete the rows that reference it. They are checked before the commit.
"""

from __future__ import annotations

from alembic import context

from server.tables import metadata

engine = context.config.attributes["engine"]

if engine.dialect.name == "sqlite":
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")  # only outside a transaction
        connection.commit()
        try:
            with connection.begin():
                context.configure(
                    connection=connection, target_metadata=metadata, render_as_batch=True
                )
                context.run_migrations()
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
        finally:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
else:
    with engine.begin() as connection:
        # several workers may start at once: one migrates, the others wait for it
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7301885102)")
        context.configure(connection=connection, target_metadata=metadata)
        context.run_migrations()
