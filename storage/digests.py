"""The chats that opted in to the weekly digest (``digest on`` / ``digest off``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, String, func, select, update
from sqlalchemy.dialects.postgresql import JSONB, UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class ChatDigest(Base):
    """One chat (a Slack channel, a Telegram chat) and whether it wants the digest."""

    __tablename__ = "chat_digests"
    place: Mapped[str] = mapped_column(String(300), primary_key=True)
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("workspaces.id", ondelete="CASCADE")
    )
    origin: Mapped[dict[str, Any]] = mapped_column(JSONB)
    timezone: Mapped[str] = mapped_column(String(64), server_default="UTC")
    enabled: Mapped[bool] = mapped_column(Boolean, server_default="true")
    last_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


@dataclass(frozen=True)
class DigestView:
    """A chat that gets the digest."""

    place: str
    workspace_id: uuid.UUID
    origin: dict[str, Any]
    timezone: str


class DigestStore:
    """Each method is one transaction."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def set(
        self, workspace_id: uuid.UUID, place: str, origin: dict[str, Any], tz: str, enabled: bool
    ) -> None:
        """Opt the chat in or out."""
        stmt = insert(ChatDigest).values(
            place=place, workspace_id=workspace_id, origin=origin, timezone=tz, enabled=enabled
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["place"],
            set_={"workspace_id": workspace_id, "origin": origin, "timezone": tz,
                  "enabled": enabled},
        )  # fmt: skip
        async with self.sessions.begin() as session:
            await session.execute(stmt)

    async def due(self, sent_before: datetime) -> list[DigestView]:
        """Opted-in chats not sent a digest since ``sent_before``."""
        async with self.sessions() as session:
            rows = await session.scalars(
                select(ChatDigest).where(
                    ChatDigest.enabled.is_(True),
                    (ChatDigest.last_sent_at.is_(None)) | (ChatDigest.last_sent_at < sent_before),
                )
            )
            return [DigestView(r.place, r.workspace_id, dict(r.origin), r.timezone) for r in rows]

    async def sent(self, place: str, at: datetime, sent_before: datetime) -> bool:
        """Claim this week's digest for ``place``; False if another worker already did."""
        async with self.sessions.begin() as session:
            result = await session.execute(
                update(ChatDigest)
                .where(
                    ChatDigest.place == place,
                    (ChatDigest.last_sent_at.is_(None)) | (ChatDigest.last_sent_at < sent_before),
                )
                .values(last_sent_at=at)
            )
            return bool(getattr(result, "rowcount", 0))
