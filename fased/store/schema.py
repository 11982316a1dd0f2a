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

FACE_SYNC_STATUSES: Final = ("pending", "syncing", "synced", "failed")
DOCUMENT_KINDS: Final = ("document", "thread", "import")
PREPARE_STATUSES: Final = ("pending", "preparing", "synced", "failed")

faces = sa.Table(
    "faces",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("owner_id", sa.Text, nullable=False),
    sa.Column("alias", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    # JSON object, in the order given: name → {value, status, identification}
    sa.Column("basic_facts", sa.Text, nullable=False),
    sa.Column("default_model", sa.Text, nullable=True),
    sa.Column("formula", sa.Text, nullable=True),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("profile_addendum", sa.Text, nullable=True),
    sa.Column("origin", sa.Text, nullable=False),  # "api" | "config" (agents.list) | "import"
    sa.Column("sync_status", sa.Text, nullable=True),
    # bumped whenever anything the persona is rendered from changes (fields, claims)
    sa.Column("version", sa.Integer, nullable=False),
    # compile tokens charged for this face, all time (never given back; SPEC §10.2)
    sa.Column("tokens_charged", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
    sa.UniqueConstraint("owner_id", "alias"),
    sa.CheckConstraint(
        "sync_status IS NULL OR sync_status IN ('pending', 'syncing', 'synced', 'failed')",
        name="sync_status",
    ),
)

documents = sa.Table(
    "documents",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("owner_id", sa.Text, nullable=False),
    sa.Column("face_id", sa.Text, sa.ForeignKey("faces.id", ondelete="CASCADE"), nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("label", sa.Text, nullable=True),
    sa.Column("filename", sa.Text, nullable=True),
    sa.Column("media_type", sa.Text, nullable=True),
    sa.Column("blob", sa.Text, nullable=True),  # SHA-256 of the uploaded file (BlobStore)
    sa.Column("perspective", sa.Text, nullable=True),
    sa.Column("face_speaker", sa.Text, nullable=True),
    # JSON of the parsed source (chunk offsets refer to it), or of an import's primitives
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("chunk_tokens", sa.Integer, nullable=True),  # fixed when compiling starts
    sa.Column("prepare_status", sa.Text, nullable=False),
    sa.Column("chunks_total", sa.Integer, nullable=False),
    sa.Column("chunks_completed", sa.Integer, nullable=False),
    sa.Column("compile_tokens", sa.Integer, nullable=False),  # in the graph; given back on delete
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("claimed_by", sa.Text, nullable=True),  # the compile worker holding the job
    sa.Column("claimed_at", sa.Double, nullable=True),  # its last heartbeat
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
    sa.CheckConstraint("kind IN ('document', 'thread', 'import')", name="kind"),
    sa.CheckConstraint(
        "prepare_status IN ('pending', 'preparing', 'synced', 'failed')", name="prepare_status"
    ),
    sa.Index(None, "owner_id", "face_id"),
    sa.Index(None, "face_id"),
    sa.Index(None, "prepare_status", "claimed_at"),
    sa.Index(None, "blob"),
)

claims = sa.Table(
    "claims",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("owner_id", sa.Text, nullable=False),
    sa.Column("face_id", sa.Text, nullable=False),
    sa.Column(
        "document_id",
        sa.Text,
        sa.ForeignKey("documents.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("chunk_index", sa.Integer, nullable=False),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("component", sa.Text, nullable=False),
    sa.Column("statement", sa.Text, nullable=False),
    sa.Column("quote", sa.Text, nullable=False),
    sa.Column("span_start", sa.Integer, nullable=False),
    sa.Column("span_end", sa.Integer, nullable=False),
    sa.Column("extractor", sa.Text, nullable=False),
    sa.Column("confidence", sa.Double, nullable=False),
    sa.Column("fact_name", sa.Text, nullable=True),
    sa.Column("fact_value", sa.Text, nullable=True),
    sa.Index(None, "face_id"),
    sa.Index(None, "document_id", "chunk_index"),
)
