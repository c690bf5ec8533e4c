"""callbacks about an account (account.needs_reconnect) belong to no post

Revision ID: 0003e
Revises: 0003
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003e"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column("api_callback_deliveries", "post_id", nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM api_callback_deliveries WHERE post_id IS NULL")
    op.alter_column("api_callback_deliveries", "post_id", nullable=False)
