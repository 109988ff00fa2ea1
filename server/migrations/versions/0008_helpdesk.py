"""The helpdesk: its events, its tickets' state, and agents' replies attached to KB gaps.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "helpdesk_events",
        sa.Column("source", sa.String(32), primary_key=True),
        sa.Column("event_id", sa.String(128), primary_key=True),
        sa.Column("ticket_id", sa.String(128), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("at", sa.BigInteger, nullable=False),
        sa.Column("received_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_helpdesk_events_ticket", "helpdesk_events", ["source", "ticket_id"])
    op.create_table(
        "helpdesk_tickets",
        sa.Column("source", sa.String(32), primary_key=True),
        sa.Column("ticket_id", sa.String(128), primary_key=True),
        sa.Column("frontdesk_ticket_id", sa.String(64)),
        sa.Column("session_id", sa.String(128)),
        sa.Column("visitor_id", sa.String(128)),
        sa.Column("page", sa.Text),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_at", sa.BigInteger, nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("assignee", sa.String(200)),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("created_day", sa.Integer, nullable=False),
        sa.Column("first_response_at", sa.BigInteger),
        sa.Column("first_response_ms", sa.BigInteger),
        sa.Column("solved_at", sa.BigInteger),
        sa.Column("solved_day", sa.Integer),
        sa.Column("resolution_ms", sa.BigInteger),
        sa.Column("reopened", sa.Integer, nullable=False),
        sa.Column("reply", sa.Text),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_index(  # covering: the queue's times read these for a range of days
        "ix_helpdesk_tickets_created",
        "helpdesk_tickets",
        [
            "created_day",
            "page",
            "priority",
            "category",
            "created_at",
            "first_response_ms",
            "resolution_ms",
        ],
    )
    op.create_index("ix_helpdesk_tickets_solved", "helpdesk_tickets", ["solved_day", "page"])
    op.create_index("ix_helpdesk_tickets_visitor", "helpdesk_tickets", ["visitor_id"])
    op.create_index("ix_helpdesk_tickets_frontdesk", "helpdesk_tickets", ["frontdesk_ticket_id"])
    op.create_table(
        "gap_resolutions",
        sa.Column("source", sa.String(32), primary_key=True),
        sa.Column("ticket_id", sa.String(128), primary_key=True),
        sa.Column("cluster_id", sa.Integer, nullable=False),
        sa.Column("visitor_id", sa.String(128)),
        sa.Column("reply", sa.Text, nullable=False),
        sa.Column("solved_at", sa.BigInteger, nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("attached_at", sa.BigInteger, nullable=False),
        sa.Column("reviewed_at", sa.BigInteger),
    )
    op.create_index("ix_gap_resolutions_cluster", "gap_resolutions", ["cluster_id", "state"])
    op.create_index("ix_gap_resolutions_visitor", "gap_resolutions", ["visitor_id"])


def downgrade() -> None:
    op.drop_table("gap_resolutions")
    op.drop_table("helpdesk_tickets")
    op.drop_table("helpdesk_events")
