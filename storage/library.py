"""The media library: one row per distinct file per workspace."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from sqlalchemy import delete, exists, not_, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.expression import Exists

from core.errors import NotFound
from storage.convert import media_view
from storage.media_models import MediaPoster
from storage.models import MediaItem, PostMedia
from storage.views import MediaView


class MediaLibrary:
    """Records stored files; the same hash twice in a workspace is one row."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def by_hash(self, workspace_id: uuid.UUID, sha256: str) -> MediaView | None:
        async with self.sessions() as session:
            row = await session.scalar(
                select(MediaItem).where(
                    MediaItem.workspace_id == workspace_id, MediaItem.sha256 == sha256
                )
            )
        return None if row is None else media_view(row)

    async def record(self, item: MediaView, user_id: uuid.UUID | None = None) -> MediaView:
        async with self.sessions.begin() as session:
            await session.execute(
                insert(MediaItem)
                .values(
                    id=item.id,
                    workspace_id=item.workspace_id,
                    user_id=user_id,
                    url=item.url,
                    storage_key=item.storage_key,
                    content_type=item.content_type,
                    sha256=item.sha256,
                    size_bytes=item.size_bytes,
                    width=item.width,
                    height=item.height,
                    duration_seconds=item.duration_seconds,
                    filename=item.filename,
                )
                .on_conflict_do_nothing(index_elements=["workspace_id", "sha256"])
            )
        found = await self.by_hash(item.workspace_id, item.sha256)
        assert found is not None
        return found

    async def get_many(self, workspace_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[MediaView]:
        async with self.sessions() as session:
            rows = {
                r.id: r
                for r in await session.scalars(
                    select(MediaItem).where(
                        MediaItem.workspace_id == workspace_id, MediaItem.id.in_(list(ids))
                    )
                )
            }
        missing = [str(i) for i in ids if i not in rows]
        if missing:
            raise NotFound(f"No media {', '.join(missing)} in this workspace.")
        return [media_view(rows[i]) for i in ids]

    async def users_of(self, media_id: uuid.UUID) -> list[uuid.UUID]:
        """Ids of the posts that carry this file."""
        async with self.sessions() as session:
            found = await session.scalars(
                select(PostMedia.post_id).where(PostMedia.media_id == media_id)
            )
            return list(found)

    async def record_poster(self, media_id: uuid.UUID, storage_key: str | None) -> None:
        """Remember a video's poster frame (None: none could be decoded); the first one stays."""
        async with self.sessions.begin() as session:
            await session.execute(
                insert(MediaPoster)
                .values(media_id=media_id, storage_key=storage_key)
                .on_conflict_do_nothing(index_elements=["media_id"])
            )

    async def has_poster_row(self, media_id: uuid.UUID) -> bool:
        """Whether a poster was made (or found impossible) for this file."""
        async with self.sessions() as session:
            found = await session.scalar(
                select(MediaPoster.media_id).where(MediaPoster.media_id == media_id)
            )
        return found is not None

    async def posters(self, storage_keys: Sequence[str]) -> dict[str, str | None]:
        """Poster keys by video key (``<workspace>/<sha256>``) for videos that have a row."""
        pairs = []
        for key in storage_keys:
            workspace, _, digest = key.partition("/")
            try:
                pairs.append((uuid.UUID(workspace), digest))
            except ValueError:
                continue
        if not pairs:
            return {}
        async with self.sessions() as session:
            rows = await session.execute(
                select(MediaItem.storage_key, MediaPoster.storage_key)
                .join(MediaPoster, MediaPoster.media_id == MediaItem.id)
                .where(tuple_(MediaItem.workspace_id, MediaItem.sha256).in_(pairs))
            )
            return {row[0]: row[1] for row in rows}

    async def orphans(self, older_than: datetime, limit: int = 100) -> list[MediaView]:
        """Files no post carries, recorded before ``older_than`` (oldest first)."""
        async with self.sessions() as session:
            rows = await session.scalars(
                select(MediaItem)
                .where(MediaItem.created_at < older_than, not_(_used()))
                .order_by(MediaItem.created_at)
                .limit(limit)
            )
            return [media_view(r) for r in rows]

    async def remove_orphan(
        self,
        media_id: uuid.UUID,
        older_than: datetime,
        delete_bytes: Callable[[MediaView], Awaitable[None]],
    ) -> MediaView | None:
        """Delete a file's bytes, then its row, if it is still an orphan; None if it is not.

        The row stays locked (``FOR UPDATE``) while the bytes go, so a post being written
        with this file waits and then fails on the missing row instead of keeping a file
        whose bytes are gone; if deleting the bytes fails, the row stays for the next run.
        """
        async with self.sessions.begin() as session:
            row = await session.scalar(
                select(MediaItem)
                .where(MediaItem.id == media_id, MediaItem.created_at < older_than, not_(_used()))
                .with_for_update(skip_locked=True)
            )
            if row is None:
                return None
            view = media_view(row)
            await delete_bytes(view)
            await session.execute(delete(MediaItem).where(MediaItem.id == media_id))
        return view


def _used() -> Exists:
    return exists().where(PostMedia.media_id == MediaItem.id)
