"""Faces, their documents (which are also the compile jobs) and the claims compiled from them.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _create_faces()
    _create_documents()
    _create_claims()


def _create_faces() -> None:
    op.create_table(
        "faces",
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("owner_id", sa.Text, nullable=False),
        sa.Column("alias", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("basic_facts", sa.Text, nullable=False),
        sa.Column("default_model", sa.Text, nullable=True),
        sa.Column("formula", sa.Text, nullable=True),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("profile_addendum", sa.Text, nullable=True),
        sa.Column("origin", sa.Text, nullable=False),
        sa.Column("sync_status", sa.Text, nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("tokens_charged", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("updated_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_faces"),
        sa.UniqueConstraint("owner_id", "alias", name="uq_faces_owner_id_alias"),
        sa.CheckConstraint(
            "sync_status IS NULL OR sync_status IN ('pending', 'syncing', 'synced', 'failed')",
            name="ck_faces_sync_status",
        ),
    )


def _create_documents() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("owner_id", sa.Text, nullable=False),
        sa.Column("face_id", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("label", sa.Text, nullable=True),
        sa.Column("filename", sa.Text, nullable=True),
        sa.Column("media_type", sa.Text, nullable=True),
        sa.Column("blob", sa.Text, nullable=True),
        sa.Column("perspective", sa.Text, nullable=True),
        sa.Column("face_speaker", sa.Text, nullable=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("chunk_tokens", sa.Integer, nullable=True),
        sa.Column("prepare_status", sa.Text, nullable=False),
        sa.Column("chunks_total", sa.Integer, nullable=False),
        sa.Column("chunks_completed", sa.Integer, nullable=False),
        sa.Column("compile_tokens", sa.Integer, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("claimed_by", sa.Text, nullable=True),
        sa.Column("claimed_at", sa.Double, nullable=True),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("updated_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_documents"),
        sa.ForeignKeyConstraint(
            ["face_id"], ["faces.id"], name="fk_documents_face_id_faces", ondelete="CASCADE"
        ),
        sa.CheckConstraint("kind IN ('document', 'thread', 'import')", name="ck_documents_kind"),
        sa.CheckConstraint(
            "prepare_status IN ('pending', 'preparing', 'synced', 'failed')",
            name="ck_documents_prepare_status",
        ),
    )
    op.create_index("ix_documents_owner_id_face_id", "documents", ["owner_id", "face_id"])
    op.create_index("ix_documents_face_id", "documents", ["face_id"])
    op.create_index(
        "ix_documents_prepare_status_claimed_at", "documents", ["prepare_status", "claimed_at"]
    )
    op.create_index("ix_documents_blob", "documents", ["blob"])


def _create_claims() -> None:
    op.create_table(
        "claims",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
            autoincrement=True,
        ),
        sa.Column("owner_id", sa.Text, nullable=False),
        sa.Column("face_id", sa.Text, nullable=False),
        sa.Column("document_id", sa.Text, nullable=False),
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
        sa.PrimaryKeyConstraint("id", name="pk_claims"),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name="fk_claims_document_id_documents",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_claims_face_id", "claims", ["face_id"])
    op.create_index("ix_claims_document_id_chunk_index", "claims", ["document_id", "chunk_index"])


def downgrade() -> None:
    op.drop_table("claims")
    op.drop_table("documents")
    op.drop_table("faces")
