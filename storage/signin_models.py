"""Tables of Supabase Auth sign-in: flows waiting for their callback, and invitations."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, func, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class AuthFlow(Base):
    """A sign-in started in one browser: the PKCE verifier waits here for the callback.

    The browser holds a random token in a cookie; the row is keyed by its SHA-256, so the
    verifier never leaves the server and only that browser can finish the flow.
    """

    __tablename__ = "auth_flows"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    code_verifier: Mapped[str] = mapped_column(Text)
    provider: Mapped[str] = mapped_column(String(32))
    next_path: Mapped[str] = mapped_column(Text, server_default="/")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    expires_at: Mapped[datetime]
    __table_args__ = (Index("ix_auth_flows_expires", "expires_at"),)


class Invitation(Base):
    """An e-mail invited to a workspace with a role; used by the first verified sign-in."""

    __tablename__ = "invitations"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE")
    )
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(16))
    invited_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    __table_args__ = (
        Index("ux_invitations_workspace_email", "workspace_id", text("lower(email)"), unique=True),
    )
