"""approval: roles owner/admin/editor/viewer, post approval, drafts without a time

Revision ID: 0020_approval
Revises: 0017h
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0020_approval"
down_revision: str | None = "0020_i18n"
branch_labels: str | Sequence[str] | None = ("approval",)
# The Slack installer becomes its workspace's owner: slack_installations must exist.
depends_on: str | Sequence[str] | None = ("0006", "0020_signin")

POST_STATUSES = (
    "draft", "pending_approval", "scheduled", "publishing", "published", "partially_published",
    "failed", "cancelled",
)
OLD_POST_STATUSES = tuple(s for s in POST_STATUSES if s != "pending_approval")


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_workspace_members_role"), "workspace_members", type_="check")
    # A Telegram group's members who are not its admins could not schedule: viewers now (its
    # admins are editors whatever is stored, see scheduler.roles). Everyone else was allowed
    # to do everything: editors.
    op.execute(
        "UPDATE workspace_members m SET role = CASE WHEN w.name ~ '^telegram:-' THEN 'viewer'"
        " ELSE 'editor' END FROM workspaces w WHERE w.id = m.workspace_id AND m.role = 'member'"
    )
    # The Slack installer owns the workspace; else the earliest member does (a private
    # Telegram chat: its one user). A Telegram group gets an owner when an admin next writes.
    op.execute(
        """
        UPDATE workspace_members m SET role = 'owner'
        FROM workspaces w, chat_identities ci, slack_installations si
        WHERE w.id = m.workspace_id AND ci.user_id = m.user_id AND ci.platform = 'slack'
          AND w.name = 'slack:' || si.team_id AND si.team_id = ci.team_id
          AND si.installer_user_id = ci.external_id
        """
    )
    op.execute(
        """
        UPDATE workspace_members m SET role = 'owner'
        FROM (
            SELECT DISTINCT ON (m2.workspace_id) m2.workspace_id, m2.user_id
            FROM workspace_members m2 JOIN users u ON u.id = m2.user_id
            JOIN workspaces w ON w.id = m2.workspace_id
            WHERE w.name !~ '^telegram:-'
            ORDER BY m2.workspace_id, u.created_at, u.id
        ) first
        WHERE m.workspace_id = first.workspace_id AND m.user_id = first.user_id
          AND NOT EXISTS (SELECT 1 FROM workspace_members o
                          WHERE o.workspace_id = m.workspace_id AND o.role = 'owner')
        """
    )
    op.alter_column("workspace_members", "role", server_default="editor")
    op.create_check_constraint(
        op.f("ck_workspace_members_role"), "workspace_members",
        _in("role", ("owner", "admin", "editor", "viewer")),
    )
    op.drop_constraint(op.f("ck_scheduled_posts_status"), "scheduled_posts", type_="check")
    op.create_check_constraint(
        op.f("ck_scheduled_posts_status"), "scheduled_posts", _in("status", POST_STATUSES)
    )
    # A draft saved without a time keeps its saving time in scheduled_at (a sort key).
    op.add_column(
        "scheduled_posts",
        sa.Column("untimed", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    for table in ("workspaces", "social_accounts"):
        op.add_column(
            table,
            sa.Column(
                "approval_required", sa.Boolean(), server_default=sa.text("false"),
                nullable=False,
            ),
        )
    op.create_table(
        "post_approvals",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column(
            "post_id", UUID(as_uuid=True),
            sa.ForeignKey("scheduled_posts.id", ondelete="CASCADE"), nullable=False,
        ),
        sa.Column(
            "user_id", UUID(as_uuid=True), sa.ForeignKey("users.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("actor", sa.String(200), server_default="", nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(
            _in("decision", ("requested", "approved", "rejected", "expired")),
            name=op.f("ck_post_approvals_decision"),
        ),
    )
    op.create_index("ix_post_approvals_post", "post_approvals", ["post_id"])
    op.create_index(
        "ix_scheduled_posts_pending_approval", "scheduled_posts", ["scheduled_at"],
        postgresql_where=sa.text("status = 'pending_approval'"),
    )


def downgrade() -> None:
    op.drop_index("ix_scheduled_posts_pending_approval", "scheduled_posts")
    op.drop_table("post_approvals")
    for table in ("workspaces", "social_accounts"):
        op.drop_column(table, "approval_required")
    op.drop_column("scheduled_posts", "untimed")
    op.execute("UPDATE scheduled_posts SET status = 'draft' WHERE status = 'pending_approval'")
    op.drop_constraint(op.f("ck_scheduled_posts_status"), "scheduled_posts", type_="check")
    op.create_check_constraint(
        op.f("ck_scheduled_posts_status"), "scheduled_posts", _in("status", OLD_POST_STATUSES)
    )
    op.drop_constraint(op.f("ck_workspace_members_role"), "workspace_members", type_="check")
    op.execute("UPDATE workspace_members SET role = 'member' WHERE role IN ('editor', 'viewer')")
    op.alter_column("workspace_members", "role", server_default="member")
    op.create_check_constraint(
        op.f("ck_workspace_members_role"), "workspace_members",
        _in("role", ("owner", "admin", "member")),
    )
