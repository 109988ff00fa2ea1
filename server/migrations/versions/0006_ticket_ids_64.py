"""Ticket ids up to 64 characters, as the API takes them (PostgreSQL refused ids over 32).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # on SQLite the tables are recreated (batch mode; server/migrations/env.py)
    with op.batch_alter_table("tickets") as tickets:
        tickets.alter_column("id", type_=sa.String(64), existing_nullable=False)
    with op.batch_alter_table("outbox") as outbox:
        outbox.alter_column("ticket_id", type_=sa.String(64), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox") as outbox:
        outbox.alter_column("ticket_id", type_=sa.String(32), existing_nullable=False)
    with op.batch_alter_table("tickets") as tickets:
        tickets.alter_column("id", type_=sa.String(32), existing_nullable=False)
