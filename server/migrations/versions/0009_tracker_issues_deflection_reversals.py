"""Issue tracker issues per topic and window; deflected sessions a later ticket undid.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tracker_issues",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("repo", sa.String(140), nullable=False),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("window_start", sa.Integer, nullable=False),
        sa.Column("number", sa.Integer),
        sa.Column("url", sa.Text),
        sa.Column(
            "opened_by",
            sa.String(64),
            sa.ForeignKey("tickets.id", ondelete="SET NULL"),
        ),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("repo", "topic", "window_start", name="uq_tracker_issues_topic_window"),
    )
    op.create_table(
        "deflection_reversals",
        sa.Column("session_id", sa.String(128), primary_key=True),
        sa.Column("visitor_id", sa.String(128), nullable=False),
        sa.Column("day", sa.Integer, nullable=False),
        sa.Column("ticket_session_id", sa.String(128), nullable=False),
        sa.Column("ticket_ts", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("topic", sa.Text, nullable=False),
    )
    op.create_index("ix_deflection_reversals_visitor", "deflection_reversals", ["visitor_id"])
    op.create_index("ix_deflection_reversals_day", "deflection_reversals", ["day"])


def downgrade() -> None:
    op.drop_table("deflection_reversals")
    op.drop_table("tracker_issues")
