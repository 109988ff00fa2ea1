"""The database schema: what the migrations create is exactly what the code uses."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from server.services import services_of
from server.tables import metadata
from tests.sessions import Client


def test_migrations_create_exactly_the_tables_the_code_uses(client: Client) -> None:
    with services_of(client.app).engine.connect() as db:
        differences = compare_metadata(MigrationContext.configure(db), metadata)
    assert differences == []
