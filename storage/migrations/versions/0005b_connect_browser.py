"""accounts: a connect attempt is bound to the browser that started it, a link starts one

Revision ID: 0005b
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005b"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SHA-256 of the browser's connect cookie: the callback must come back to that browser.
    op.add_column("oauth_states", sa.Column("browser_hash", sa.String(length=64), nullable=True))
    # SHA-256 of the connect link that started the attempt; unique, so a link is used once.
    op.add_column("oauth_states", sa.Column("link_hash", sa.String(length=64), nullable=True))
    op.create_unique_constraint(op.f("uq_oauth_states_link_hash"), "oauth_states", ["link_hash"])


def downgrade() -> None:
    op.drop_constraint(op.f("uq_oauth_states_link_hash"), "oauth_states", type_="unique")
    op.drop_column("oauth_states", "link_hash")
    op.drop_column("oauth_states", "browser_hash")
