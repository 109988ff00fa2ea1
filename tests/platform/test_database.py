"""The database schema: what the migrations create is exactly what the code uses."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import delete, select

from server.platform.database import alembic_config, create_database_engine, migrate
from server.services import services_of
from server.settings import Settings
from server.tables import metadata, outbox, tickets
from tests.sessions import Client


def test_migrations_create_exactly_the_tables_the_code_uses(client: Client) -> None:
    with services_of(client.app).engine.connect() as db:
        differences = compare_metadata(MigrationContext.configure(db), metadata)
    assert differences == []


def test_widening_ticket_ids_keeps_every_ticket_and_its_deliveries(
    tmp_path: Path, database_url: str
) -> None:
    engine = create_database_engine(Settings(data_dir=tmp_path, database_url=database_url))
    command.upgrade(alembic_config(engine), "0005")
    ticket = {
        "id": "t-0001", "site": "acme", "session_id": "s", "visitor_id": "v",
        "email": "dana@example.com", "message": "Help", "user_verified": False,
        "category": "billing", "priority": "low", "context": {}, "created_at": 1,
    }  # fmt: skip
    delivery = {"ticket_id": "t-0001", "destination": "webhook", "attempts": 0,
                "next_attempt_at": 1, "claimed_until": 0}  # fmt: skip
    with engine.begin() as db:
        db.execute(tickets.insert(), ticket)
        db.execute(outbox.insert(), delivery)
    migrate(engine)
    with engine.begin() as db:
        assert [r.id for r in db.execute(select(tickets))] == ["t-0001"]
        assert [r.ticket_id for r in db.execute(select(outbox))] == ["t-0001"]
        db.execute(tickets.insert(), {**ticket, "id": "x" * 64})
        db.execute(outbox.insert(), {**delivery, "ticket_id": "x" * 64})
    with engine.begin() as db:  # deliveries still go with their ticket
        db.execute(delete(tickets).where(tickets.c.id == "t-0001"))
        assert [r.ticket_id for r in db.execute(select(outbox))] == ["x" * 64]
    engine.dispose()
