"""media: poster frames of videos, for the calendar

Revision ID: 0010
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("media",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "media_posters",
        sa.Column("media_id", sa.UUID(), nullable=False),
        # NULL when no frame could be decoded: the calendar shows a placeholder.
        sa.Column("storage_key", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["media_id"], ["media_library.id"],
            name=op.f("fk_media_posters_media_id_media_library"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("media_id", name=op.f("pk_media_posters")),
    )


def downgrade() -> None:
    op.drop_table("media_posters")
