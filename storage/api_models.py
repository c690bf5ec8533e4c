"""Tables of the REST API and hooks: idempotency keys, inbound hooks, callbacks."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base

VERIFICATIONS = ("standard", "github", "token")
CALLBACK_STATUSES = ("pending", "delivered", "failed")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class IdempotencyKey(Base):
    """The first response to a POST made with an ``Idempotency-Key``, kept 24 hours."""

    __tablename__ = "api_idempotency_keys"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    # NULL while the first request is still running.
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[Any | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    __table_args__ = (
        UniqueConstraint("workspace_id", "key"),
        Index("ix_api_idempotency_keys_created", "created_at"),
    )


class Hook(Base):
    """An inbound webhook: how to verify it, how to turn its JSON into a post, and when."""

    __tablename__ = "api_hooks"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    verification: Mapped[str] = mapped_column(String(16))
    secret_enc: Mapped[str] = mapped_column(Text)
    template: Mapped[str] = mapped_column(Text)
    destinations: Mapped[list[str]] = mapped_column(JSONB)
    timing: Mapped[dict[str, Any]] = mapped_column(JSONB)
    events: Mapped[list[str]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    callback_url: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    __table_args__ = (CheckConstraint(_in("verification", VERIFICATIONS), name="verification"),)


class HookDelivery(Base):
    """One accepted delivery of a hook; the unique id makes redeliveries no-ops."""

    __tablename__ = "api_hook_deliveries"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    hook_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_hooks.id", ondelete="CASCADE"))
    delivery_id: Mapped[str] = mapped_column(String(255))
    post_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("scheduled_posts.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    __table_args__ = (UniqueConstraint("hook_id", "delivery_id"),)


class CallbackSecret(Base):
    """The secret a workspace's callbacks are signed with (Standard Webhooks)."""

    __tablename__ = "api_callback_secrets"
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    secret_enc: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class CallbackEndpoint(Base):
    """A URL that hears about every post of its workspace."""

    __tablename__ = "api_callback_endpoints"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    __table_args__ = (UniqueConstraint("workspace_id", "url"),)


class CallbackDelivery(Base):
    """One event to one URL, with its attempts; its id is the ``webhook-id``."""

    __tablename__ = "api_callback_deliveries"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    # None for account events (account.needs_reconnect, account.check_failed).
    post_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("scheduled_posts.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(Text)
    dedupe_key: Mapped[str] = mapped_column(String(400), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(16), server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    response_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    __table_args__ = (
        CheckConstraint(_in("status", CALLBACK_STATUSES), name="status"),
        Index(
            "ix_api_callback_deliveries_pending",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
    )
