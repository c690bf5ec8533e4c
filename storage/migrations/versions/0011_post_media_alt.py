"""alt: a description (alt text) per file attached to a post

Revision ID: 0011
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("alt",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A constant default: existing links get "" without a table rewrite.
    op.add_column("post_media", sa.Column("alt", sa.Text(), server_default="", nullable=False))


def downgrade() -> None:
    op.drop_column("post_media", "alt")
