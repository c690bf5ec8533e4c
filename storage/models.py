"""SQLAlchemy models: the seed's tables plus what the bots and the worker need.

Statuses are text with CHECK constraints (not Postgres enums) so that adding one is a plain
migration; the constraints' values come from the enums in ``core.states`` (a new member needs
that migration: ``tests/test_states.py`` fails until the database agrees). Every timestamp is
``timestamptz``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, time
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core.states import (
    OPEN_DESTINATION_STATUSES,
    OPEN_POST_STATUSES,
    REPORTED_POST_STATUSES,
    DestinationStatus,
    PostStatus,
    Role,
    StepKind,
    StepStatus,
)

POST_STATUSES: tuple[str, ...] = tuple(PostStatus)
DESTINATION_STATUSES: tuple[str, ...] = tuple(DestinationStatus)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _in(column: str, values: Iterable[str]) -> str:
    """``column IN ('a', 'b')``: the text of a CHECK constraint or a partial index."""
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class Base(DeclarativeBase):
    """Declarative base with a stable constraint naming scheme for Alembic."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSONB,
    }


def _uuid() -> Mapped[uuid.UUID]:
    return mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)


def _created() -> Mapped[datetime]:
    return mapped_column(server_default=func.now())


class Workspace(Base):
    """A team: a Slack workspace, a Telegram chat, or one made from the shell."""

    __tablename__ = "workspaces"
    id: Mapped[uuid.UUID] = _uuid()
    name: Mapped[str] = mapped_column(String(200), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), server_default="UTC")
    # The language replies are written in; NULL: the language of each message.
    language: Mapped[str | None] = mapped_column(String(8))
    # Posts by someone who is not an approver wait for one (``scheduler.approval``).
    approval_required: Mapped[bool] = mapped_column(server_default=text("false"))
    # The plan's name (``core.plans``); NULL: the operator's ``DEFAULT_PLAN``.
    plan: Mapped[str | None] = mapped_column(String(32))
    # Cancelling a queued post moves the later ones of its queue up a slot each.
    queue_pull_forward: Mapped[bool] = mapped_column(server_default=text("false"))
    created_at: Mapped[datetime] = _created()


class ChatLanguage(Base):
    """One chat's language (``language es``); it wins over its workspace's."""

    __tablename__ = "chat_languages"
    # platform:team:chat, e.g. "slack:T123:C456" (``bot.conversation.ChatContext.chat``).
    chat: Mapped[str] = mapped_column(String(300), primary_key=True)
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("workspaces.id", ondelete="CASCADE")
    )
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = _created()


class User(Base):
    """A person (seed: users); identities link chat accounts to them."""

    __tablename__ = "users"
    id: Mapped[uuid.UUID] = _uuid()
    email: Mapped[str | None] = mapped_column(String(320))
    subscription_tier: Mapped[str] = mapped_column(String(32), server_default="free")
    display_name: Mapped[str | None] = mapped_column(String(200))
    timezone: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = _created()
    # One user per e-mail whatever its case: Supabase sign-ins link by verified address.
    __table_args__ = (Index("ux_users_email_lower", text("lower(email)"), unique=True),)


class WorkspaceMember(Base):
    """Who belongs to which workspace, and as what."""

    __tablename__ = "workspace_members"
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16), server_default=Role.EDITOR.value)
    __table_args__ = (CheckConstraint(_in("role", tuple(Role)), name="role"),)


class QueueSlot(Base):
    """A weekly posting slot, read in the workspace's zone (``core.slots``)."""

    __tablename__ = "queue_slots"
    id: Mapped[uuid.UUID] = _uuid()
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    # NULL: the workspace's slot, used by accounts that have none of their own.
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("social_accounts.id", ondelete="CASCADE")
    )
    weekday: Mapped[int] = mapped_column(SmallInteger)
    at: Mapped[time] = mapped_column(Time)
    created_at: Mapped[datetime] = _created()
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        UniqueConstraint(
            "workspace_id", "account_id", "weekday", "at", postgresql_nulls_not_distinct=True
        ),
    )


class ChannelDefaults(Base):
    """What a Slack channel or Telegram chat fills in when a request leaves it out."""

    __tablename__ = "channel_defaults"
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    # Account ids, not names: renaming a handle keeps the default; a removed one is skipped.
    destinations: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(UUID(as_uuid=True)), server_default=text("'{}'::uuid[]")
    )
    timezone: Mapped[str | None] = mapped_column(String(64))
    approver_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ChatIdentity(Base):
    """A Slack or Telegram user, synced on first contact (seed flow 3.1)."""

    __tablename__ = "chat_identities"
    id: Mapped[uuid.UUID] = _uuid()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    team_id: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = _created()
    __table_args__ = (UniqueConstraint("platform", "team_id", "external_id"),)


class SocialAccount(Base):
    """A connected account on a network; tokens are encrypted with ENCRYPTION_KEYS."""

    __tablename__ = "social_accounts"
    id: Mapped[uuid.UUID] = _uuid()
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    platform: Mapped[str] = mapped_column(String(32))
    handle: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str | None] = mapped_column(String(200))
    base_url: Mapped[str] = mapped_column(Text, server_default="")
    access_token: Mapped[str] = mapped_column(Text)
    refresh_token: Mapped[str | None] = mapped_column(Text)
    token_expires_at: Mapped[datetime | None]
    settings: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    status: Mapped[str] = mapped_column(String(16), server_default="active")
    # Posts to this account wait for an approver even where the workspace does not ask it.
    approval_required: Mapped[bool] = mapped_column(server_default=text("false"))
    created_at: Mapped[datetime] = _created()
    __table_args__ = (
        UniqueConstraint("workspace_id", "platform", "handle"),
        CheckConstraint(_in("status", ("active", "reconnect", "removed")), name="status"),
    )


class MediaItem(Base):
    """A stored file (seed: media_library), unique per workspace by content hash."""

    __tablename__ = "media_library"
    id: Mapped[uuid.UUID] = _uuid()
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    url: Mapped[str] = mapped_column(Text)
    storage_key: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    width: Mapped[int | None]
    height: Mapped[int | None]
    duration_seconds: Mapped[float | None]
    filename: Mapped[str] = mapped_column(String(255), server_default="media")
    created_at: Mapped[datetime] = _created()
    __table_args__ = (UniqueConstraint("workspace_id", "sha256"),)


class ScheduledPost(Base):
    """A post (seed: scheduled_posts); ``origin`` says where to report back."""

    __tablename__ = "scheduled_posts"
    id: Mapped[uuid.UUID] = _uuid()
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    content: Mapped[str] = mapped_column(Text)
    scheduled_at: Mapped[datetime]
    timezone: Mapped[str] = mapped_column(String(64), server_default="UTC")
    recurrence: Mapped[str | None] = mapped_column(Text)
    series_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    thread: Mapped[bool] = mapped_column(server_default=text("false"))
    status: Mapped[str] = mapped_column(String(24), server_default=PostStatus.SCHEDULED.value)
    origin: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    callback_url: Mapped[str | None] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer, server_default="0")
    notified_revision: Mapped[int | None] = mapped_column(Integer)
    # A draft saved without a time: ``scheduled_at`` holds when it was saved, to sort by.
    untimed: Mapped[bool] = mapped_column(server_default=text("false"))
    # Per-network versions of the text: {"x": "...", "linkedin": "..."}; a network not named
    # gets ``content``.
    variants: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    # Published as a reply or comment right after the post, where the network has them.
    first_comment: Mapped[str | None] = mapped_column(Text)
    # A thread's parts as the person wrote them (a chat thread, a split marker); empty: one
    # text (split by length only when ``thread`` is set).
    parts: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'::text[]"))
    # A recurring series' occurrences that are skipped (RFC 5545 EXDATE), carried along the
    # series as each occurrence is published.
    exdates: Mapped[list[datetime]] = mapped_column(
        ARRAY(DateTime(timezone=True)), server_default=text("'{}'::timestamptz[]")
    )
    # Evergreen: back into the queue at most every N days after each publish; None: not.
    evergreen_days: Mapped[int | None] = mapped_column(Integer)
    # Placed by the queue (a slot), so reordering and pulling forward may move it.
    queued: Mapped[bool] = mapped_column(server_default=text("false"))
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
    __table_args__ = (
        CheckConstraint(_in("status", POST_STATUSES), name="status"),
        Index(
            "ix_scheduled_posts_pending_approval",
            "scheduled_at",
            postgresql_where=text("status = 'pending_approval'"),
        ),
        Index("ix_scheduled_posts_workspace_time", "workspace_id", "scheduled_at"),
        Index(
            "ix_scheduled_posts_unfinished",
            "scheduled_at",
            postgresql_where=text(_in("status", OPEN_POST_STATUSES)),
        ),
        Index(
            "ix_scheduled_posts_unnotified",
            "updated_at",
            postgresql_where=text(
                "notified_revision IS DISTINCT FROM revision AND "
                + _in("status", REPORTED_POST_STATUSES)
            ),
        ),
    )


class PostMedia(Base):
    """Which media a post carries, in order."""

    __tablename__ = "post_media"
    post_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("scheduled_posts.id", ondelete="CASCADE"), primary_key=True
    )
    media_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("media_library.id", ondelete="RESTRICT"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer)
    # The person's description of this file in this post (alt text); "" when none.
    alt: Mapped[str] = mapped_column(Text, server_default="")


class PostDestination(Base):
    """One account a post goes to (seed: post_destinations), moved by conditional updates."""

    __tablename__ = "post_destinations"
    id: Mapped[uuid.UUID] = _uuid()
    post_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("scheduled_posts.id", ondelete="CASCADE"))
    social_account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("social_accounts.id", ondelete="CASCADE")
    )
    status: Mapped[str] = mapped_column(String(16), server_default=DestinationStatus.PENDING.value)
    platform_post_id: Mapped[str | None] = mapped_column(Text)
    platform_url: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(32))
    error_message: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime]
    revision: Mapped[int] = mapped_column(Integer, server_default="0")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    idempotency_key: Mapped[str] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
    __table_args__ = (
        CheckConstraint(_in("status", DESTINATION_STATUSES), name="status"),
        UniqueConstraint("post_id", "social_account_id"),
        Index(
            "ix_post_destinations_open",
            "due_at",
            postgresql_where=text(_in("status", OPEN_DESTINATION_STATUSES)),
        ),
        Index("ix_post_destinations_post", "post_id"),
    )


class PublishAttempt(Base):
    """One call to a network, written before the call is made."""

    __tablename__ = "publish_attempts"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    destination_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("post_destinations.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(24))
    error_code: Mapped[str | None] = mapped_column(String(32))
    error_message: Mapped[str | None] = mapped_column(Text)
    worker: Mapped[str | None] = mapped_column(String(100))


class DestinationStep(Base):
    """One step of a multi-step destination (root post, thread parts, first comment), written
    before its network call and after, like ``publish_attempts``."""

    __tablename__ = "destination_steps"
    destination_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("post_destinations.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), server_default=StepStatus.PENDING.value)
    remote_id: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    extra: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    error: Mapped[str | None] = mapped_column(Text)
    key: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
    __table_args__ = (
        CheckConstraint(_in("status", StepStatus), name="status"),
        CheckConstraint(_in("kind", StepKind), name="kind"),
    )


class ApiToken(Base):
    """A workspace's API token: only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[uuid.UUID] = _uuid()
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(100), server_default="read write")
    created_at: Mapped[datetime] = _created()
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    # None: the token lasts until revoked.
    expires_at: Mapped[datetime | None]


APPROVAL_DECISIONS = ("requested", "approved", "rejected", "expired")


class PostApproval(Base):
    """Who asked for, approved or rejected a post, when and why (shown on the post's page)."""

    __tablename__ = "post_approvals"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    post_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("scheduled_posts.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The name shown: the person's, or "API token NAME".
    actor: Mapped[str] = mapped_column(String(200), server_default="")
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, server_default="")
    at: Mapped[datetime] = mapped_column(server_default=func.now())
    __table_args__ = (
        CheckConstraint(_in("decision", APPROVAL_DECISIONS), name="decision"),
        Index("ix_post_approvals_post", "post_id"),
    )
