"""plans and channel defaults: a workspace's plan, and a chat's default destinations, zone and approver

Revision ID: 0020_plans
Revises: 0017h
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020_plans"
down_revision: str | None = "0020_agents"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NULL: the operator's DEFAULT_PLAN, so changing that setting moves every such workspace.
    op.add_column("workspaces", sa.Column("plan", sa.String(length=32), nullable=True))
    op.create_table(
        "channel_defaults",
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("chat_id", sa.String(length=200), nullable=False),
        sa.Column(
            "destinations",
            postgresql.ARRAY(sa.UUID()),
            server_default=sa.text("'{}'::uuid[]"),
            nullable=False,
        ),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("approver_user_id", sa.UUID(), nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], ondelete="CASCADE",
            name="fk_channel_defaults_workspace_id_workspaces",
        ),  # fmt: skip
        sa.ForeignKeyConstraint(
            ["approver_user_id"], ["users.id"], ondelete="SET NULL",
            name="fk_channel_defaults_approver_user_id_users",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("workspace_id", "platform", "chat_id", name="pk_channel_defaults"),
    )


def downgrade() -> None:
    op.drop_table("channel_defaults")
    op.drop_column("workspaces", "plan")
