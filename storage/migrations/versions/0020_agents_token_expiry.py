"""token expiry: API tokens for agents may end on their own

Revision ID: 0020_agents
Revises: 0017h
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_agents"
down_revision: str | None = "0017h"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NULL: the token lasts until revoked.
    op.add_column(
        "api_tokens", sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("api_tokens", "expires_at")
