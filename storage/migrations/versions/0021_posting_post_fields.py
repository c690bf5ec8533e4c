"""posting: per-network versions, first comment, thread parts, skipped occurrences, evergreen

Revision ID: 0021_posting
Revises: 0020_approval
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0021_posting"
down_revision: str | None = "0020_approval"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "scheduled_posts"


def upgrade() -> None:
    op.add_column(
        TABLE,
        sa.Column("variants", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"),
                  nullable=False),
    )  # fmt: skip
    op.add_column(TABLE, sa.Column("first_comment", sa.Text(), nullable=True))
    op.add_column(
        TABLE,
        sa.Column("parts", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"),
                  nullable=False),
    )  # fmt: skip
    op.add_column(
        TABLE,
        sa.Column("exdates", postgresql.ARRAY(sa.DateTime(timezone=True)),
                  server_default=sa.text("'{}'::timestamptz[]"), nullable=False),
    )  # fmt: skip
    op.add_column(TABLE, sa.Column("evergreen_days", sa.Integer(), nullable=True))
    op.add_column(
        TABLE, sa.Column("queued", sa.Boolean(), server_default=sa.text("false"), nullable=False)
    )


def downgrade() -> None:
    for column in ("queued", "evergreen_days", "exdates", "parts", "first_comment", "variants"):
        op.drop_column(TABLE, column)
