"""Alembic environment: migrations run on the engine `server.database.migrate` hands over."""

from __future__ import annotations

from alembic import context

from server.tables import metadata

engine = context.config.attributes["engine"]

with engine.begin() as connection:
    if engine.dialect.name == "postgresql":
        # several workers may start at once: one migrates, the others wait for it
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7301885102)")
    context.configure(connection=connection, target_metadata=metadata)
    context.run_migrations()
