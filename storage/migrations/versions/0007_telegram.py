"""telegram: albums being collected, pending "Edit time" replies

Revision ID: 0007
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("telegram",)
depends_on: str | Sequence[str] | None = None


def _at(name: str, **kw: object) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False, **kw)


def upgrade() -> None:
    op.create_table(
        "telegram_albums",
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("media_group_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="open", nullable=False),
        sa.Column(
            "context", postgresql.JSONB(astext_type=sa.Text()), server_default="{}",
            nullable=False,
        ),
        _at("first_part_at"),
        _at("last_part_at"),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        _at("created_at", server_default=sa.text("now()")),
        sa.CheckConstraint(
            "status IN ('open', 'flushing', 'done')", name=op.f("ck_telegram_albums_status")
        ),
        sa.PrimaryKeyConstraint("chat_id", "media_group_id", name=op.f("pk_telegram_albums")),
    )
    op.create_table(
        "telegram_album_parts",
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("media_group_id", sa.String(length=64), nullable=False),
        sa.Column("attachment", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("caption", sa.Text(), server_default="", nullable=False),
        _at("received_at"),
        sa.ForeignKeyConstraint(
            ["chat_id", "media_group_id"],
            ["telegram_albums.chat_id", "telegram_albums.media_group_id"],
            name=op.f("fk_telegram_album_parts_chat_id_telegram_albums"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("chat_id", "message_id", name=op.f("pk_telegram_album_parts")),
    )
    op.create_table(
        "telegram_pending_edits",
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("post_id", sa.UUID(), nullable=False),
        _at("expires_at"),
        sa.PrimaryKeyConstraint("chat_id", "user_id", name=op.f("pk_telegram_pending_edits")),
    )


def downgrade() -> None:
    op.drop_table("telegram_pending_edits")
    op.drop_table("telegram_album_parts")
    op.drop_table("telegram_albums")
