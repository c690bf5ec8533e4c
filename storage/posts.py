"""Posts and their destinations: create, read, and the commands people give."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.errors import Conflict, NotFound
from core.states import EDITABLE_POST_STATUSES, DestinationStatus, PostStatus
from storage.models import (
    PostDestination,
    ScheduledPost,
)
from storage.rows import Run, driver, fetch_posts, on_driver, on_session
from storage.views import Job, NewPost, PostView


async def load_post(session: AsyncSession, post_id: uuid.UUID) -> PostView | None:
    """A post with destinations and media, read in the caller's session."""
    return (await load_posts(session, [post_id])).get(post_id)


async def load_posts(
    session: AsyncSession, post_ids: Sequence[uuid.UUID], *, lock: bool = False
) -> dict[uuid.UUID, PostView]:
    """Many posts with their destinations and media in three statements (``storage.rows``)."""
    return await fetch_posts(on_session(session), post_ids, lock=lock)


# The post, one pending destination per account and the media links, in one statement: it
# is atomic on its own, so a create needs no BEGIN/COMMIT round trips and leaves nothing
# half-written. (Foreign keys are checked at the end of the statement, after all three.)
INSERT_POST = """
WITH post AS (
    INSERT INTO scheduled_posts (id, workspace_id, user_id, content, scheduled_at, timezone,
        recurrence, series_id, thread, status, origin, callback_url, revision, untimed)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, 0, $18)
    RETURNING id
), destinations AS (
    INSERT INTO post_destinations (id, post_id, social_account_id, status, due_at, revision,
        attempts, idempotency_key)
    SELECT d.id, post.id, d.account_id, 'pending', $5, 0, 0, d.key
    FROM post, unnest($13::uuid[], $14::uuid[], $15::text[]) AS d(id, account_id, key)
), media AS (
    INSERT INTO post_media (post_id, media_id, position, alt)
    SELECT post.id, m.media_id, m.position - 1, m.alt
    FROM post, unnest($16::uuid[], $17::text[]) WITH ORDINALITY AS m(media_id, alt, position)
)
SELECT id FROM post
"""


def _media_links(new: NewPost) -> tuple[list[uuid.UUID], list[str]]:
    """Each file once, in order, with the description it was first attached with."""
    links: dict[uuid.UUID, str] = {}
    for index, media_id in enumerate(new.media_ids):
        links.setdefault(media_id, new.media_alts[index] if index < len(new.media_alts) else "")
    return list(links), list(links.values())


async def insert_post(run: Run, new: NewPost) -> uuid.UUID:
    """Add a post, one pending destination per account and its media links; its id."""
    accounts = list(dict.fromkeys(new.account_ids))
    media_ids, alts = _media_links(new)
    rows = await run(
        INSERT_POST,
        uuid.uuid4(),
        new.workspace_id,
        new.user_id,
        new.content,
        new.scheduled_at,
        new.timezone,
        new.recurrence,
        new.series_id,
        new.thread,
        new.status,
        json.dumps(new.origin),
        new.callback_url,
        [uuid.uuid4() for _ in accounts],
        accounts,
        [uuid.uuid4().hex for _ in accounts],
        media_ids,
        alts,
        new.untimed,
    )
    post_id: uuid.UUID = rows[0]["id"]
    return post_id


class PostStore:
    """Post commands; every method is one transaction."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def create(self, new: NewPost) -> PostView:
        async with driver(self.sessions) as conn:
            run = on_driver(conn)
            post_id = await insert_post(run, new)
            return (await fetch_posts(run, [post_id]))[post_id]

    async def get(self, post_id: uuid.UUID, workspace_id: uuid.UUID | None = None) -> PostView:
        async with self.sessions() as session:
            view = await load_post(session, post_id)
        if view is None or (workspace_id is not None and view.workspace_id != workspace_id):
            raise NotFound(f"No post {post_id} in this workspace.")
        return view

    async def search(
        self,
        workspace_id: uuid.UUID,
        start: datetime | None = None,
        end: datetime | None = None,
        statuses: Sequence[str] = (),
        limit: int = 50,
        offset: int = 0,
    ) -> list[PostView]:
        query = select(ScheduledPost.id).where(ScheduledPost.workspace_id == workspace_id)
        if start is not None:
            query = query.where(ScheduledPost.scheduled_at >= start)
        if end is not None:
            query = query.where(ScheduledPost.scheduled_at < end)
        if statuses:
            query = query.where(ScheduledPost.status.in_(list(statuses)))
        query = query.order_by(ScheduledPost.scheduled_at, ScheduledPost.id)
        async with self.sessions() as session:
            ids = (await session.scalars(query.limit(limit).offset(offset))).all()
            views = await load_posts(session, ids)
        return [views[post_id] for post_id in ids if post_id in views]

    async def _locked(
        self, session: AsyncSession, workspace_id: uuid.UUID | None, post_id: uuid.UUID
    ) -> ScheduledPost:
        post = await session.get(ScheduledPost, post_id, with_for_update=True)
        if post is None or (workspace_id is not None and post.workspace_id != workspace_id):
            raise NotFound(f"No post {post_id} in this workspace.")
        return post

    async def _rearm(
        self,
        session: AsyncSession,
        post: ScheduledPost,
        due_at: datetime | None,
        from_statuses: tuple[DestinationStatus, ...] = (DestinationStatus.PENDING,),
        reset_attempts: bool = False,
    ) -> list[Job]:
        """Bump pending destinations' revision so queued jobs for the old one become no-ops."""
        values: dict[str, object] = {
            "revision": PostDestination.revision + 1,
            "status": DestinationStatus.PENDING,
            "updated_at": func.now(),
            "error_code": None,
            "error_message": None,
        }
        if due_at is not None:
            values["due_at"] = due_at
        if reset_attempts:
            values["attempts"] = 0
        rows = (
            await session.execute(
                update(PostDestination)
                .where(
                    PostDestination.post_id == post.id,
                    PostDestination.status.in_(from_statuses),
                )
                .values(**values)
                .returning(PostDestination.id, PostDestination.revision, PostDestination.due_at)
            )
        ).all()
        post.revision += 1
        post.updated_at = func.now()
        return [Job(r[0], r[1], r[2]) for r in rows]

    async def reschedule(
        self, workspace_id: uuid.UUID | None, post_id: uuid.UUID, when: datetime
    ) -> tuple[PostView, list[Job]]:
        def move(post: ScheduledPost) -> None:
            post.scheduled_at = when

        return await self._amend(workspace_id, post_id, "move", move, when)

    async def edit(
        self, workspace_id: uuid.UUID | None, post_id: uuid.UUID, content: str
    ) -> tuple[PostView, list[Job]]:
        def rewrite(post: ScheduledPost) -> None:
            post.content = content

        return await self._amend(workspace_id, post_id, "be edited", rewrite, None)

    async def _amend(
        self,
        workspace_id: uuid.UUID | None,
        post_id: uuid.UUID,
        action: str,
        change: Callable[[ScheduledPost], None],
        when: datetime | None,
    ) -> tuple[PostView, list[Job]]:
        """Change a scheduled post under its row lock and re-arm its jobs (``when``: new time)."""
        async with self.sessions.begin() as session:
            post = await self._locked(session, workspace_id, post_id)
            if post.status not in EDITABLE_POST_STATUSES:
                raise Conflict(f"This post is {post.status}; only scheduled posts can {action}.")
            change(post)
            jobs = await self._rearm(session, post, when)
            await session.flush()
            view = await load_post(session, post.id)
        assert view is not None
        return view, jobs

    async def cancel(self, workspace_id: uuid.UUID | None, post_id: uuid.UUID) -> PostView:
        async with self.sessions.begin() as session:
            post = await self._locked(session, workspace_id, post_id)
            if post.status == PostStatus.CANCELLED:
                raise Conflict("This post is already cancelled.")
            if post.status not in EDITABLE_POST_STATUSES:
                raise Conflict(f"This post is {post.status}; it can no longer be cancelled.")
            await session.execute(
                update(PostDestination)
                .where(
                    PostDestination.post_id == post.id,
                    PostDestination.status == DestinationStatus.PENDING,
                )
                .values(
                    status=DestinationStatus.CANCELLED,
                    revision=PostDestination.revision + 1,
                    updated_at=func.now(),
                )
            )
            post.status = PostStatus.CANCELLED
            post.revision += 1
            post.recurrence = None
            await session.flush()
            view = await load_post(session, post.id)
        assert view is not None
        return view

    async def retry(
        self, workspace_id: uuid.UUID | None, post_id: uuid.UUID, now: datetime
    ) -> tuple[PostView, list[Job]]:
        async with self.sessions.begin() as session:
            post = await self._locked(session, workspace_id, post_id)
            if post.status not in (PostStatus.FAILED, PostStatus.PARTIALLY_PUBLISHED):
                raise Conflict(f"This post is {post.status}; only failed posts can be retried.")
            jobs = await self._rearm(
                session,
                post,
                now,
                from_statuses=(DestinationStatus.FAILED,),
                reset_attempts=True,
            )
            post.status = (
                PostStatus.PUBLISHING if post.scheduled_at <= now else PostStatus.SCHEDULED
            )
            await session.flush()
            view = await load_post(session, post.id)
        assert view is not None
        return view, jobs
