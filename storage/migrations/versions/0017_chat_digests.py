"""digests: the chats that asked for the weekly digest

Revision ID: 0017h
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0017h"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("digests",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_digests",
        sa.Column("place", sa.String(length=300), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("origin", postgresql.JSONB(), nullable=False),
        sa.Column("timezone", sa.String(length=64), server_default="UTC", nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("last_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            ondelete="CASCADE",
            name="fk_chat_digests_workspace_id_workspaces",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("place", name="pk_chat_digests"),
    )


def downgrade() -> None:
    op.drop_table("chat_digests")
