"""The Telegram bot's own rows: album parts collected until quiet, pending "Edit time" replies.

An album part and the flush that claims the album both lock the album row, so a part either
lands before the claim (and pushes the quiet period back) or sees the album taken and is late.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.telegram_models import TelegramAlbum, TelegramAlbumPart, TelegramPendingEdit

# A flush that has not finished after this long died with its worker: it may be claimed again.
CLAIM_LEASE = timedelta(minutes=2)
KEEP_DONE = timedelta(days=1)


@dataclass(frozen=True)
class AlbumPart:
    """One message of an album."""

    message_id: int
    attachment: dict[str, Any]
    caption: str


@dataclass(frozen=True)
class Album:
    """A claimed album: who sent it and its parts in message order."""

    chat_id: int
    media_group_id: str
    context: dict[str, Any]
    parts: tuple[AlbumPart, ...] = field(default_factory=tuple)


class TelegramStore:
    """Album collection and pending edits."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def add_album_part(
        self,
        chat_id: int,
        media_group_id: str,
        message_id: int,
        attachment: dict[str, Any],
        caption: str,
        context: dict[str, Any],
        now: datetime,
    ) -> bool:
        """Record a part; False when the album was already taken (the part came too late)."""
        async with self.sessions.begin() as session:
            stmt = insert(TelegramAlbum).values(
                chat_id=chat_id,
                media_group_id=media_group_id,
                status="open",
                context=context,
                first_part_at=now,
                last_part_at=now,
            )
            upsert = stmt.on_conflict_do_update(
                index_elements=["chat_id", "media_group_id"],
                set_={"last_part_at": stmt.excluded.last_part_at},
                where=TelegramAlbum.status == "open",
            ).returning(TelegramAlbum.status)
            if (await session.execute(upsert)).first() is None:
                return False
            await session.execute(
                insert(TelegramAlbumPart)
                .values(
                    chat_id=chat_id,
                    message_id=message_id,
                    media_group_id=media_group_id,
                    attachment=attachment,
                    caption=caption,
                    received_at=now,
                )
                .on_conflict_do_nothing()
            )
        return True

    async def claim_album(
        self, chat_id: int, media_group_id: str, now: datetime, quiet: float
    ) -> Album | float | None:
        """The album once ``quiet`` seconds passed since its last part; else seconds to wait.

        None when there is nothing to do (no such album, or another flush holds it).
        """
        async with self.sessions.begin() as session:
            row = await session.scalar(
                select(TelegramAlbum)
                .where(
                    TelegramAlbum.chat_id == chat_id,
                    TelegramAlbum.media_group_id == media_group_id,
                )
                .with_for_update()
            )
            if row is None or row.status == "done":
                return None
            if row.status == "flushing" and (
                row.claimed_at is not None and row.claimed_at > now - CLAIM_LEASE
            ):
                return None
            waited = (now - row.last_part_at).total_seconds()
            if row.status == "open" and waited < quiet:
                return quiet - waited
            row.status = "flushing"
            row.claimed_at = now
            parts = await session.scalars(
                select(TelegramAlbumPart)
                .where(
                    TelegramAlbumPart.chat_id == chat_id,
                    TelegramAlbumPart.media_group_id == media_group_id,
                )
                .order_by(TelegramAlbumPart.message_id)
            )
            return Album(
                chat_id,
                media_group_id,
                dict(row.context),
                tuple(AlbumPart(p.message_id, dict(p.attachment), p.caption) for p in parts),
            )

    async def finish_album(self, chat_id: int, media_group_id: str, now: datetime) -> None:
        """Mark the album done, and forget albums finished long ago."""
        async with self.sessions.begin() as session:
            await session.execute(
                update(TelegramAlbum)
                .where(
                    TelegramAlbum.chat_id == chat_id,
                    TelegramAlbum.media_group_id == media_group_id,
                )
                .values(status="done")
            )
            await session.execute(
                delete(TelegramAlbum).where(
                    TelegramAlbum.status == "done", TelegramAlbum.last_part_at < now - KEEP_DONE
                )
            )

    async def set_pending_edit(
        self, chat_id: int, user_id: int, post_id: uuid.UUID, expires_at: datetime
    ) -> None:
        """Remember that ``user_id``'s next message in ``chat_id`` is a new time for a post."""
        async with self.sessions.begin() as session:
            stmt = insert(TelegramPendingEdit).values(
                chat_id=chat_id, user_id=user_id, post_id=post_id, expires_at=expires_at
            )
            await session.execute(
                stmt.on_conflict_do_update(
                    index_elements=["chat_id", "user_id"],
                    set_={"post_id": stmt.excluded.post_id, "expires_at": stmt.excluded.expires_at},
                )
            )

    async def take_pending_edit(
        self, chat_id: int, user_id: int, now: datetime
    ) -> uuid.UUID | None:
        """The post waiting for a new time from this person, if any (and forget it)."""
        async with self.sessions.begin() as session:
            row = (
                await session.execute(
                    delete(TelegramPendingEdit)
                    .where(
                        TelegramPendingEdit.chat_id == chat_id,
                        TelegramPendingEdit.user_id == user_id,
                    )
                    .returning(TelegramPendingEdit.post_id, TelegramPendingEdit.expires_at)
                )
            ).first()
        if row is None or row[1] <= now:
            return None
        return uuid.UUID(str(row[0]))
