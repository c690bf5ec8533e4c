"""account events: a callback delivery may be about an account, not a post

Revision ID: 0016h
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016h"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = ("account_events",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Dropping NOT NULL is a catalogue change: no table rewrite, no long lock.
    op.alter_column("api_callback_deliveries", "post_id", existing_type=sa.UUID(), nullable=True)


def downgrade() -> None:
    # Account events have no post to hang on; they go before the column is required again.
    op.execute("DELETE FROM api_callback_deliveries WHERE post_id IS NULL")
    op.alter_column("api_callback_deliveries", "post_id", existing_type=sa.UUID(), nullable=False)
