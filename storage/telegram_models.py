"""Tables of the Telegram bot: albums being collected, and buttons waiting for a reply."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKeyConstraint, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class TelegramAlbum(Base):
    """Updates sharing a ``media_group_id``: collected until quiet, then one post."""

    __tablename__ = "telegram_albums"
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    media_group_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), server_default="open")
    context: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    first_part_at: Mapped[datetime]
    last_part_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    __table_args__ = (
        CheckConstraint("status IN ('open', 'flushing', 'done')", name="status"),
    )


class TelegramAlbumPart(Base):
    """One message of an album: its file as Telegram describes it, and maybe the caption."""

    __tablename__ = "telegram_album_parts"
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    message_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    media_group_id: Mapped[str] = mapped_column(String(64))
    attachment: Mapped[dict[str, Any]] = mapped_column(JSONB)
    caption: Mapped[str] = mapped_column(Text, server_default="")
    received_at: Mapped[datetime]
    __table_args__ = (
        ForeignKeyConstraint(
            ["chat_id", "media_group_id"],
            ["telegram_albums.chat_id", "telegram_albums.media_group_id"],
            ondelete="CASCADE",
        ),
    )


class TelegramPendingEdit(Base):
    """Someone pressed "Edit time": their next message in that chat is the new time."""

    __tablename__ = "telegram_pending_edits"
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    post_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    expires_at: Mapped[datetime]
