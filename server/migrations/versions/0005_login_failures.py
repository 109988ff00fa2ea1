"""Failed dashboard logins per account, for the login backoff.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("account", sa.String(320), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_failure_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_login_failures_last", "login_failures", ["last_failure_at"])


def downgrade() -> None:
    op.drop_table("login_failures")
