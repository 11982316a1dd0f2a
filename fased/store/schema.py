"""The tables (SQLAlchemy Core). The migrations in `migrations/versions/` must build exactly this.

Conventions:
- every row carries `owner_id` (the principal that owns it; the owner principal is `"owner"`),
  and every query filters on it, so another owner's rows are simply not found;
- times are epoch seconds as a double (`time.time()`): one representation on both backends, no
  time-zone conversion anywhere, cheap to compare;
- constraint and index names come from the naming convention below, so migrations can refer to
  them by name on every backend.
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa

OWNER_ID: Final = "owner"
"""The id of the owner principal (the operator of this gateway)."""

USAGE_STATUSES: Final = ("ok", "cancelled", "error")

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# 64-bit ids on PostgreSQL; on SQLite only `INTEGER PRIMARY KEY` is the auto-assigned rowid.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("owner_id", sa.Text, primary_key=True),
    sa.Column("session_key", sa.Text, primary_key=True),
    sa.Column("agent_id", sa.Text, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
)

session_turns = sa.Table(
    "session_turns",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("owner_id", sa.Text, nullable=False),
    sa.Column("session_key", sa.Text, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("message", sa.Text, nullable=False),  # JSON of one canonical Message (codec.py)
    sa.Column("tokens", sa.Integer, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.ForeignKeyConstraint(
        ["owner_id", "session_key"],
        ["sessions.owner_id", "sessions.session_key"],
        ondelete="CASCADE",
    ),
    sa.Index(None, "owner_id", "session_key", "seq", unique=True),
)

usage_records = sa.Table(
    "usage_records",
    metadata,
    sa.Column("request_id", sa.Text, primary_key=True),
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
    # Exact decimal in the database (sums are exact on PostgreSQL), float in Python like
    # `canonical.Usage.cost_usd`; NULL when the price of the model is unknown.
    sa.Column("cost_usd", sa.Numeric(18, 9, asdecimal=False), nullable=True),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.CheckConstraint("status IN ('ok', 'cancelled', 'error')", name="status"),
    sa.Index(None, "owner_id", "created_at"),
)

responses = sa.Table(
    "responses",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("owner_id", sa.Text, nullable=False),
    sa.Column("model", sa.Text, nullable=False),
    sa.Column("previous_response_id", sa.Text, nullable=True),
    # JSON list of canonical messages: the conversation through this response (codec.py)
    sa.Column("messages", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),  # the Response object as it was returned
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Index(None, "owner_id", "created_at"),
)
