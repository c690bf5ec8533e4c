"""signin: Supabase Auth sign-in flows, invitations by e-mail, one user per e-mail

Revision ID: 0020_signin
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_signin"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("signin",)
depends_on: str | Sequence[str] | None = None


ROLES_BEFORE = "role IN ('owner', 'admin', 'member')"
# Invitations name the roles of issue #18 (owner, admin, editor, viewer); 'member' stays valid
# for rows written before. The roles migration (branch of the same issue) may narrow it again.
ROLES = "role IN ('owner', 'admin', 'editor', 'viewer', 'member')"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_workspace_members_role"), "workspace_members", type_="check")
    op.create_check_constraint(op.f("ck_workspace_members_role"), "workspace_members", ROLES)
    # One user per verified e-mail, whatever its case: two sign-in callbacks racing for the
    # same new address both land on one row (INSERT ... ON CONFLICT on this index).
    op.create_index("ux_users_email_lower", "users", [sa.text("lower(email)")], unique=True)
    op.create_table(
        "auth_flows",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("code_verifier", sa.Text(), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("next_path", sa.Text(), server_default="/", nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name="pk_auth_flows"),
    )
    op.create_index("ix_auth_flows_expires", "auth_flows", ["expires_at"])
    op.create_table(
        "invitations",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("invited_by", sa.UUID(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], ondelete="CASCADE",
            name="fk_invitations_workspace_id_workspaces",
        ),  # fmt: skip
        sa.ForeignKeyConstraint(
            ["invited_by"], ["users.id"], ondelete="SET NULL",
            name="fk_invitations_invited_by_users",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name="pk_invitations"),
    )
    op.create_index(
        "ux_invitations_workspace_email",
        "invitations",
        ["workspace_id", sa.text("lower(email)")],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("ux_invitations_workspace_email", table_name="invitations")
    op.drop_table("invitations")
    op.drop_index("ix_auth_flows_expires", table_name="auth_flows")
    op.drop_table("auth_flows")
    op.drop_index("ux_users_email_lower", table_name="users")
    op.drop_constraint(op.f("ck_workspace_members_role"), "workspace_members", type_="check")
    op.execute("UPDATE workspace_members SET role = 'member' WHERE role IN ('editor', 'viewer')")
    op.create_check_constraint(
        op.f("ck_workspace_members_role"), "workspace_members", ROLES_BEFORE
    )
