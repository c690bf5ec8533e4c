"""calendar: login links, web sessions, iCal feed keys

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("calendar",)
depends_on: str | Sequence[str] | None = None


def _created(name: str = "created_at") -> sa.Column:
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "calendar_login_links",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("next_path", sa.Text(), server_default="/", nullable=False),
        _created(),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"],
            name=op.f("fk_calendar_login_links_workspace_id_workspaces"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"],
            name=op.f("fk_calendar_login_links_user_id_users"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_calendar_login_links")),
    )
    op.create_index(
        "ix_calendar_login_links_expires", "calendar_login_links", ["expires_at"]
    )
    op.create_table(
        "calendar_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("current_workspace_id", sa.UUID(), nullable=True),
        sa.Column("via", sa.String(length=16), server_default="link", nullable=False),
        _created(),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"],
            name=op.f("fk_calendar_sessions_user_id_users"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_calendar_sessions")),
    )
    op.create_index("ix_calendar_sessions_expires", "calendar_sessions", ["expires_at"])
    op.create_table(
        "calendar_session_workspaces",
        sa.Column("session_hash", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_hash"], ["calendar_sessions.token_hash"],
            name=op.f("fk_calendar_session_workspaces_session_hash_calendar_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"],
            name=op.f("fk_calendar_session_workspaces_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "session_hash", "workspace_id", name=op.f("pk_calendar_session_workspaces")
        ),
    )
    op.create_table(
        "calendar_feeds",
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("generation", sa.Integer(), server_default="1", nullable=False),
        _created("rotated_at"),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"],
            name=op.f("fk_calendar_feeds_workspace_id_workspaces"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_calendar_feeds")),
    )


def downgrade() -> None:
    op.drop_table("calendar_feeds")
    op.drop_table("calendar_session_workspaces")
    op.drop_index("ix_calendar_sessions_expires", table_name="calendar_sessions")
    op.drop_table("calendar_sessions")
    op.drop_index("ix_calendar_login_links_expires", table_name="calendar_login_links")
    op.drop_table("calendar_login_links")
