"""steps: destination_steps, the root post, thread parts and first comment of a destination

Revision ID: 0022_steps
Revises: 0022_input
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0022_steps"
down_revision: str | None = "0022_input"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "destination_steps",
        sa.Column("destination_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), server_default="pending", nullable=False),
        sa.Column("remote_id", sa.Text(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("extra", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"),
                  nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed', 'skipped')",
            name=op.f("ck_destination_steps_status"),
        ),
        sa.CheckConstraint(
            "kind IN ('post', 'part', 'comment')", name=op.f("ck_destination_steps_kind")
        ),
        sa.ForeignKeyConstraint(
            ["destination_id"], ["post_destinations.id"], ondelete="CASCADE",
            name=op.f("fk_destination_steps_destination_id_post_destinations"),
        ),
        sa.PrimaryKeyConstraint("destination_id", "seq", name=op.f("pk_destination_steps")),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("destination_steps")
