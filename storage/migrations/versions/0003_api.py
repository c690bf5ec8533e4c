"""api: idempotency keys, inbound hooks, callbacks

Revision ID: 0003
Revises: 0001
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("api",)
depends_on: str | Sequence[str] | None = None


def _created() -> sa.Column:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "api_idempotency_keys",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_body", postgresql.JSONB(), nullable=True),
        _created(),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], ondelete="CASCADE",
            name="fk_api_idempotency_keys_workspace_id_workspaces",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_api_idempotency_keys"),
        sa.UniqueConstraint("workspace_id", "key", name="uq_api_idempotency_keys_workspace_id"),
    )
    op.create_index("ix_api_idempotency_keys_created", "api_idempotency_keys", ["created_at"])
    op.create_table(
        "api_hooks",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("verification", sa.String(length=16), nullable=False),
        sa.Column("secret_enc", sa.Text(), nullable=False),
        sa.Column("template", sa.Text(), nullable=False),
        sa.Column("destinations", postgresql.JSONB(), nullable=False),
        sa.Column("timing", postgresql.JSONB(), nullable=False),
        sa.Column("events", postgresql.JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False),
        sa.Column("callback_url", sa.Text(), nullable=True),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        _created(),
        sa.CheckConstraint(
            "verification IN ('standard', 'github', 'token')", name="ck_api_hooks_verification"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], ondelete="CASCADE",
            name="fk_api_hooks_workspace_id_workspaces",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_api_hooks"),
    )
    op.create_index("ix_api_hooks_workspace_id", "api_hooks", ["workspace_id"])
    op.create_table(
        "api_hook_deliveries",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("hook_id", sa.UUID(), nullable=False),
        sa.Column("delivery_id", sa.String(length=255), nullable=False),
        sa.Column("post_id", sa.UUID(), nullable=True),
        _created(),
        sa.ForeignKeyConstraint(
            ["hook_id"], ["api_hooks.id"], ondelete="CASCADE",
            name="fk_api_hook_deliveries_hook_id_api_hooks",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["scheduled_posts.id"], ondelete="SET NULL",
            name="fk_api_hook_deliveries_post_id_scheduled_posts",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_api_hook_deliveries"),
        sa.UniqueConstraint("hook_id", "delivery_id", name="uq_api_hook_deliveries_hook_id"),
    )
    op.create_table(
        "api_callback_secrets",
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("secret_enc", sa.Text(), nullable=False),
        _created(),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], ondelete="CASCADE",
            name="fk_api_callback_secrets_workspace_id_workspaces",
        ),
        sa.PrimaryKeyConstraint("workspace_id", name="pk_api_callback_secrets"),
    )
    op.create_table(
        "api_callback_endpoints",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        _created(),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], ondelete="CASCADE",
            name="fk_api_callback_endpoints_workspace_id_workspaces",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_api_callback_endpoints"),
        sa.UniqueConstraint("workspace_id", "url", name="uq_api_callback_endpoints_workspace_id"),
    )
    op.create_index(
        "ix_api_callback_endpoints_workspace_id", "api_callback_endpoints", ["workspace_id"]
    )
    op.create_table(
        "api_callback_deliveries",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("post_id", sa.UUID(), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=400), nullable=False),
        sa.Column("payload", postgresql.JSONB(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("response_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        _created(),
        sa.CheckConstraint(
            "status IN ('pending', 'delivered', 'failed')", name="ck_api_callback_deliveries_status"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], ondelete="CASCADE",
            name="fk_api_callback_deliveries_workspace_id_workspaces",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["scheduled_posts.id"], ondelete="CASCADE",
            name="fk_api_callback_deliveries_post_id_scheduled_posts",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_api_callback_deliveries"),
        sa.UniqueConstraint("dedupe_key", name="uq_api_callback_deliveries_dedupe_key"),
    )
    op.create_index(
        "ix_api_callback_deliveries_post_id", "api_callback_deliveries", ["post_id"]
    )
    op.create_index(
        "ix_api_callback_deliveries_pending",
        "api_callback_deliveries",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_table("api_callback_deliveries")
    op.drop_table("api_callback_endpoints")
    op.drop_table("api_callback_secrets")
    op.drop_table("api_hook_deliveries")
    op.drop_table("api_hooks")
    op.drop_table("api_idempotency_keys")
