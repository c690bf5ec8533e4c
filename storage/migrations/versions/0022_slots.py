"""slots: queue slots per workspace and account, and pulling the queue forward on cancel

Revision ID: 0022_slots
Revises: 0021_posting
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0022_slots"
down_revision: str | None = "0021_posting"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "queue_slots",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("workspace_id", postgresql.UUID(as_uuid=True),
                  sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
        sa.Column("account_id", postgresql.UUID(as_uuid=True),
                  sa.ForeignKey("social_accounts.id", ondelete="CASCADE"), nullable=True),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("at", sa.Time(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="ck_queue_slots_weekday"),
        sa.UniqueConstraint("workspace_id", "account_id", "weekday", "at",
                            name="uq_queue_slots_workspace_id",
                            postgresql_nulls_not_distinct=True),
    )  # fmt: skip
    op.add_column(
        "workspaces",
        sa.Column("queue_pull_forward", sa.Boolean(), server_default=sa.text("false"),
                  nullable=False),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_column("workspaces", "queue_pull_forward")
    op.drop_table("queue_slots")
