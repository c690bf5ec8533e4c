"""idle: who opened a chat thread, so one left open can be saved as their draft

Revision ID: 0023_idle
Revises: 0022_steps
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0023_idle"
down_revision: str | None = "0022_steps"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # What ``done`` reads from the chat (the asker, the chat's zone and default destinations),
    # kept so the worker can save a thread nobody finished as that person's draft.
    op.add_column("chat_threads", sa.Column("user_id", postgresql.UUID(as_uuid=True),
                                            nullable=True))  # fmt: skip
    op.add_column("chat_threads", sa.Column("tz", sa.String(64), nullable=True))
    op.add_column("chat_threads", sa.Column(
        "defaults", postgresql.ARRAY(postgresql.UUID(as_uuid=True)),
        server_default=sa.text("'{}'::uuid[]"), nullable=False,
    ))  # fmt: skip
    # The worker's idle sweep reads threads still open (or left closing) by age.
    op.create_index("ix_chat_threads_open", "chat_threads", ["created_at"],
                    postgresql_where=sa.text("status IN ('open', 'closing')"))  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_chat_threads_open", table_name="chat_threads")
    op.drop_column("chat_threads", "defaults")
    op.drop_column("chat_threads", "tz")
    op.drop_column("chat_threads", "user_id")
