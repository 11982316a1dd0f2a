"""Sessions, session turns and usage records.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("owner_id", sa.Text, nullable=False),
        sa.Column("session_key", sa.Text, nullable=False),
        sa.Column("agent_id", sa.Text, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("updated_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("owner_id", "session_key", name="pk_sessions"),
    )
    op.create_table(
        "session_turns",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
            autoincrement=True,
        ),
        sa.Column("owner_id", sa.Text, nullable=False),
        sa.Column("session_key", sa.Text, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("tokens", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_session_turns"),
        sa.ForeignKeyConstraint(
            ["owner_id", "session_key"],
            ["sessions.owner_id", "sessions.session_key"],
            name="fk_session_turns_owner_id_session_key_sessions",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_session_turns_owner_id_session_key_seq",
        "session_turns",
        ["owner_id", "session_key", "seq"],
        unique=True,
    )
    _create_usage_records()


def _create_usage_records() -> None:
    op.create_table(
        "usage_records",
        sa.Column("request_id", sa.Text, nullable=False),
        sa.Column("owner_id", sa.Text, nullable=False),
        sa.Column("key_id", sa.Text, nullable=True),
        sa.Column("agent_id", sa.Text, nullable=True),
        sa.Column("session_key", sa.Text, nullable=True),
        sa.Column("endpoint", sa.Text, nullable=False),
        sa.Column("provider", sa.Text, nullable=False),
        sa.Column("model", sa.Text, nullable=False),
        sa.Column("input_tokens", sa.Integer, nullable=False),
        sa.Column("output_tokens", sa.Integer, nullable=False),
        sa.Column("cached_input_tokens", sa.Integer, nullable=False),
        sa.Column("reasoning_tokens", sa.Integer, nullable=False),
        sa.Column("cost_usd", sa.Numeric(18, 9), nullable=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("request_id", name="pk_usage_records"),
        sa.CheckConstraint(
            "status IN ('ok', 'cancelled', 'error')", name="ck_usage_records_status"
        ),
    )
    op.create_index(
        "ix_usage_records_owner_id_created_at", "usage_records", ["owner_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_table("usage_records")
    op.drop_table("session_turns")
    op.drop_table("sessions")
