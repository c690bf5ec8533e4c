"""Tables for connecting accounts: pending OAuth states and per-instance Mastodon apps."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class OAuthState(Base):
    """One connect attempt: only the state's SHA-256 is stored; the PKCE verifier is encrypted.

    After the callback, a network with several targets (Facebook Pages, Instagram accounts)
    keeps the encrypted list in ``pending_enc`` until the person picks, under ``choice_hash``.
    """

    __tablename__ = "oauth_states"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    platform: Mapped[str] = mapped_column(String(32))
    verifier_enc: Mapped[str | None] = mapped_column(Text)
    redirect_uri: Mapped[str] = mapped_column(Text)
    next_url: Mapped[str] = mapped_column(Text, server_default="")
    instance_url: Mapped[str] = mapped_column(Text, server_default="")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    choice_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    pending_enc: Mapped[str | None] = mapped_column(Text)
    # SHA-256 of the starting browser's connect cookie, and of the link that started it.
    browser_hash: Mapped[str | None] = mapped_column(String(64))
    link_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    __table_args__ = (Index("ix_oauth_states_expires", "expires_at"),)


class MastodonApp(Base):
    """The OAuth client Outpost registered on one Mastodon instance (``POST /api/v1/apps``)."""

    __tablename__ = "mastodon_apps"
    instance_url: Mapped[str] = mapped_column(Text, primary_key=True)
    redirect_uri: Mapped[str] = mapped_column(Text)
    client_id: Mapped[str] = mapped_column(Text)
    client_secret_enc: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
