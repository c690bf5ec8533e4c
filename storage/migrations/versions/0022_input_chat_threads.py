"""chat threads: a thread's parts collected from chat replies until `done`

Revision ID: 0022_input
Revises: 0022_slots
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0022_input"
down_revision: str | None = "0022_slots"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_threads",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("workspace_id", postgresql.UUID(as_uuid=True),
                  sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("chat_id", sa.String(64), nullable=False),
        sa.Column("root", sa.String(64), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("origin", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"),
                  nullable=False),
        sa.Column("media_ids", postgresql.ARRAY(postgresql.UUID(as_uuid=True)),
                  server_default=sa.text("'{}'::uuid[]"), nullable=False),
        # The bot's own answers in the thread (Telegram): a reply to one continues the thread.
        sa.Column("bot_messages", postgresql.ARRAY(sa.String(64)),
                  server_default=sa.text("'{}'::varchar[]"), nullable=False),
        sa.Column("status", sa.String(16), server_default="open", nullable=False),
        sa.Column("post_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.UniqueConstraint("platform", "team_id", "chat_id", "root", name="uq_chat_threads_root"),
    )  # fmt: skip
    op.create_table(
        "chat_thread_parts",
        sa.Column("thread_id", postgresql.UUID(as_uuid=True),
                  sa.ForeignKey("chat_threads.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("message_key", sa.String(64), primary_key=True),
        sa.Column("seq", sa.Numeric(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
    )  # fmt: skip
    op.create_index("ix_chat_thread_parts_key", "chat_thread_parts", ["message_key"])


def downgrade() -> None:
    op.drop_table("chat_thread_parts")
    op.drop_table("chat_threads")
