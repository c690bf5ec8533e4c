"""slack: OAuth installations and states, processed deliveries

Revision ID: 0006
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("slack",)
depends_on: str | Sequence[str] | None = None


def _text(name: str, length: int = 64) -> sa.Column:
    return sa.Column(name, sa.String(length=length), server_default="", nullable=False)


def upgrade() -> None:
    op.create_table(
        "slack_installations",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        _text("app_id"),
        _text("enterprise_id"),
        _text("team_id"),
        _text("team_name", 255),
        sa.Column(
            "is_enterprise_install", sa.Boolean(), server_default="false", nullable=False
        ),
        _text("installer_user_id"),
        _text("bot_id"),
        _text("bot_user_id"),
        sa.Column("bot_scopes", sa.Text(), server_default="", nullable=False),
        sa.Column("bot_token_enc", sa.Text(), nullable=False),
        sa.Column("bot_refresh_token_enc", sa.Text(), nullable=True),
        sa.Column("bot_token_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "installed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_installations")),
        sa.UniqueConstraint(
            "client_id", "enterprise_id", "team_id", name="uq_slack_installations"
        ),
    )
    op.create_table(
        "slack_oauth_states",
        sa.Column("state", sa.String(length=128), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("state", name=op.f("pk_slack_oauth_states")),
    )
    op.create_index("ix_slack_oauth_states_expires", "slack_oauth_states", ["expires_at"])
    op.create_table(
        "slack_deliveries",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_slack_deliveries")),
    )
    op.create_index("ix_slack_deliveries_received", "slack_deliveries", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_slack_deliveries_received", table_name="slack_deliveries")
    op.drop_table("slack_deliveries")
    op.drop_index("ix_slack_oauth_states_expires", table_name="slack_oauth_states")
    op.drop_table("slack_oauth_states")
    op.drop_table("slack_installations")
