"""chat languages: the language one chat (a Slack channel, a Telegram chat) is answered in

A chat's setting wins over its workspace's (``workspaces.language``), which wins over the
language each message is written in.

Revision ID: 0020_i18n
Revises: 0017h
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_i18n"
down_revision: str | None = "0020_plans"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_languages",
        sa.Column("chat", sa.String(length=300), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            ondelete="CASCADE",
            name="fk_chat_languages_workspace_id_workspaces",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("chat", name="pk_chat_languages"),
    )


def downgrade() -> None:
    op.drop_table("chat_languages")
