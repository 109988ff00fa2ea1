"""Handoff tickets, their delivery outbox, and the deflection log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("session_id", sa.String(128), nullable=False),
        sa.Column("visitor_id", sa.String(128), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200)),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("page_url", sa.Text),
        sa.Column("user_id", sa.String(128)),
        sa.Column("user_verified", sa.Boolean, nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("context", sa.JSON, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_tickets_session", "tickets", ["session_id"])
    op.create_index("ix_tickets_visitor", "tickets", ["visitor_id"])
    op.create_index("ix_tickets_created", "tickets", ["created_at"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "ticket_id",
            sa.String(32),
            sa.ForeignKey("tickets.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("destination", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.BigInteger, nullable=False),
        sa.Column("claimed_until", sa.BigInteger, nullable=False),
        sa.Column("delivered_at", sa.BigInteger),
        sa.Column("last_error", sa.Text),
        sa.UniqueConstraint("ticket_id", "destination", name="uq_outbox_ticket_destination"),
    )
    op.create_index("ix_outbox_due", "outbox", ["delivered_at", "next_attempt_at"])
    op.create_table(
        "deflections",
        sa.Column("session_id", sa.String(128), primary_key=True),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("visitor_id", sa.String(128), nullable=False),
        sa.Column("outcome", sa.String(24), nullable=False),
        sa.Column("page_url", sa.Text, nullable=False),
        sa.Column("questions", sa.JSON, nullable=False),
        sa.Column("answers", sa.JSON, nullable=False),
        sa.Column("prompt_id", sa.String(64)),
        sa.Column("started_at", sa.BigInteger, nullable=False),
        sa.Column("ended_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_deflections_started", "deflections", ["started_at"])
    op.create_index("ix_deflections_visitor", "deflections", ["visitor_id"])
    op.create_table(
        "job_state",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("lease_until", sa.BigInteger, nullable=False),
        sa.Column("watermark", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_events_received", "events", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_events_received", "events")
    op.drop_table("job_state")
    op.drop_table("deflections")
    op.drop_table("outbox")
    op.drop_table("tickets")
