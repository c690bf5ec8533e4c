"""language: the language a workspace (a Slack team, a Telegram chat) is answered in

Revision ID: 0012
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("language",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NULL: answer in the language each message is written in.
    op.add_column("workspaces", sa.Column("language", sa.String(8), nullable=True))


def downgrade() -> None:
    op.drop_column("workspaces", "language")
