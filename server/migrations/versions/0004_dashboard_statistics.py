"""The dashboard's statistics: daily counts, knowledge-base gaps, prompt exposures, alerts.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_events_ts", "events", ["ts"])
    op.add_column("deflections", sa.Column("page", sa.Text))
    op.create_table(
        "daily_counts",
        sa.Column("dimension", sa.String(16), nullable=False),
        sa.Column("day", sa.Integer, nullable=False),
        sa.Column("page", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("metric", sa.String(24), nullable=False),
        sa.Column("value", sa.Integer, nullable=False),
    )
    op.create_index(
        "ix_daily_counts",
        "daily_counts",
        ["dimension", "day", "page", "key", "metric"],
        unique=True,
    )
    op.create_table(
        "gap_clusters",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("centroid", sa.LargeBinary, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "gap_questions",
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("day", sa.Integer, nullable=False),
        sa.Column("page", sa.Text, nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("cluster_id", sa.Integer),
    )
    op.create_index("ix_gap_questions_day", "gap_questions", ["day", "cluster_id"])
    op.create_index("ix_gap_questions_unclustered", "gap_questions", ["cluster_id"])
    op.create_table(
        "prompt_exposures",
        sa.Column("prompt_id", sa.String(64), primary_key=True),
        sa.Column("visitor_id", sa.String(128), primary_key=True),
        sa.Column("grp", sa.String(8), nullable=False),
        sa.Column("first_ts", sa.BigInteger, nullable=False),
        sa.Column("day", sa.Integer, nullable=False),
        sa.Column("page", sa.Text, nullable=False),
        sa.Column("ticket_ts", sa.BigInteger),
    )
    op.create_index("ix_prompt_exposures_day", "prompt_exposures", ["day"])
    op.create_index("ix_prompt_exposures_visitor", "prompt_exposures", ["visitor_id"])
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("day", sa.Integer, nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("threshold", sa.Float, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("fired_at", sa.BigInteger, nullable=False),
        sa.Column("delivered_at", sa.BigInteger),
        sa.Column("last_error", sa.Text),
        sa.UniqueConstraint("kind", "day", name="uq_alerts_kind_day"),
    )


def downgrade() -> None:
    op.drop_table("alerts")
    op.drop_table("prompt_exposures")
    op.drop_table("gap_questions")
    op.drop_table("gap_clusters")
    op.drop_table("daily_counts")
    with op.batch_alter_table("deflections") as batch:
        batch.drop_column("page")
    op.drop_index("ix_events_ts", "events")
