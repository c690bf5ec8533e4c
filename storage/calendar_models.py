"""Tables of the web calendar: one-time login links, browser sessions, iCal feed keys."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class LoginLink(Base):
    """A one-time login link sent by a bot; only the token's SHA-256 is stored."""

    __tablename__ = "calendar_login_links"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    next_path: Mapped[str] = mapped_column(Text, server_default="/")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    __table_args__ = (Index("ix_calendar_login_links_expires", "expires_at"),)


class WebSession(Base):
    """A browser session; the cookie holds a random token, the row its SHA-256."""

    __tablename__ = "calendar_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    current_workspace_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    via: Mapped[str] = mapped_column(String(16), server_default="link")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    expires_at: Mapped[datetime]
    __table_args__ = (Index("ix_calendar_sessions_expires", "expires_at"),)


class SessionWorkspace(Base):
    """A workspace a session was granted by logging in through a link for it."""

    __tablename__ = "calendar_session_workspaces"
    session_hash: Mapped[str] = mapped_column(
        ForeignKey("calendar_sessions.token_hash", ondelete="CASCADE"), primary_key=True
    )
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )


class FeedKey(Base):
    """A workspace's iCal feed generation: rotating it revokes every earlier feed URL."""

    __tablename__ = "calendar_feeds"
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    generation: Mapped[int] = mapped_column(Integer, server_default="1")
    rotated_at: Mapped[datetime] = mapped_column(server_default=func.now())
