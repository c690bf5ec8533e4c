"""Posts and their destinations: create, read, and the commands people give."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.errors import Conflict, NotFound, StaleRevision
from core.i18n import N_, Msg, msg
from core.slots import NoFreeSlot
from core.states import (
    EDITABLE_POST_STATUSES,
    DestinationStatus,
    PostStatus,
    StepStatus,
    status_word,
)
from storage.models import (
    DestinationStep,
    PostDestination,
    PostMedia,
    ScheduledPost,
)
from storage.records import Prefixed, destination_from, media_from, post_from
from storage.rows import Run, driver, fetch_posts, on_driver, on_session
from storage.slots import MOVABLE, Choose, choose_slot
from storage.usage import Quota, check
from storage.views import Job, NewPost, PostView, Revision

# Destinations in these states have reached (or may have reached) their network: the post's
# accounts and files can no longer change.
# A queued post's window to look for a slot in, and how to pick one (``storage.slots``).
SlotChoice = tuple[tuple[datetime, datetime], Choose]
STARTED = (DestinationStatus.PUBLISHING, DestinationStatus.SUCCESS, DestinationStatus.UNKNOWN)


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
INSERT_CTES = """
WITH post AS (
    INSERT INTO scheduled_posts (id, workspace_id, user_id, content, scheduled_at, timezone,
        recurrence, series_id, thread, status, origin, callback_url, revision, untimed,
        variants, first_comment, parts, exdates, evergreen_days, queued)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, 0, $18,
        $19::jsonb, $20, $21::text[], $22::timestamptz[], $23, $24)
    RETURNING *
), destinations AS (
    INSERT INTO post_destinations (id, post_id, social_account_id, status, due_at, revision,
        attempts, idempotency_key)
    SELECT d.id, post.id, d.account_id, 'pending', $5, 0, 0, d.key
    FROM post, unnest($13::uuid[], $14::uuid[], $15::text[]) AS d(id, account_id, key)
    RETURNING *
), media AS (
    INSERT INTO post_media (post_id, media_id, position, alt)
    SELECT post.id, m.media_id, m.position - 1, m.alt
    FROM post, unnest($16::uuid[], $17::text[]) WITH ORDINALITY AS m(media_id, alt, position)
)
"""
INSERT_POST = INSERT_CTES + "SELECT id FROM post"  # noqa: S608 (constants only)
# The same, answering with what was written: one row per destination (the columns
# ``storage.rows.DESTINATIONS`` reads, in its order) carrying the post's columns as ``p_*``,
# so a create reads nothing back.
POST_COLUMNS = (
    "id", "workspace_id", "user_id", "content", "scheduled_at", "timezone", "recurrence",
    "series_id", "thread", "status", "origin", "callback_url", "revision", "notified_revision",
    "created_at", "untimed", "variants", "first_comment", "parts", "exdates", "evergreen_days",
    "queued",
)  # fmt: skip
CREATE_POST = (
    INSERT_CTES
    + "SELECT "
    + ", ".join(f"p.{c} AS p_{c}" for c in POST_COLUMNS)
    + """, d.*, a.platform, a.handle
FROM post p
LEFT JOIN (destinations d JOIN social_accounts a ON a.id = d.social_account_id) ON true
ORDER BY a.platform, a.handle
"""
)
POST_MEDIA = """
    SELECT pm.alt AS link_alt, m.*
    FROM post_media pm JOIN media_library m ON m.id = pm.media_id
    WHERE pm.post_id = $1
    ORDER BY pm.position
"""


def _media_links(new: NewPost) -> tuple[list[uuid.UUID], list[str]]:
    """Each file once, in order, with the description it was first attached with."""
    links: dict[uuid.UUID, str] = {}
    for index, media_id in enumerate(new.media_ids):
        links.setdefault(media_id, new.media_alts[index] if index < len(new.media_alts) else "")
    return list(links), list(links.values())


def _insert_args(new: NewPost) -> tuple[Any, ...]:
    accounts = list(dict.fromkeys(new.account_ids))
    media_ids, alts = _media_links(new)
    return (
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
        json.dumps(new.variants),
        new.first_comment,
        list(new.parts),
        list(new.exdates),
        new.evergreen_days,
        new.queued,
    )


async def insert_post(run: Run, new: NewPost) -> uuid.UUID:
    """Add a post, one pending destination per account and its media links; its id."""
    rows = await run(INSERT_POST, *_insert_args(new))
    post_id: uuid.UUID = rows[0]["id"]
    return post_id


class PostStore:
    """Post commands; every method is one transaction."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def create(
        self, new: NewPost, quota: Quota | None = None, slot: SlotChoice | None = None
    ) -> PostView:
        """Write the post and read it back as written: one statement, two with media; under
        ``quota`` (a plan's posts a month), in a transaction that first checks one more fits.

        With ``slot`` the post's time is the instant it chooses under the workspace's queue
        lock (``storage.slots``), in the same transaction; ``NoFreeSlot`` when it finds none.
        """
        async with driver(self.sessions) as conn:
            if quota is None and slot is None:
                rows = await conn.fetch(CREATE_POST, *_insert_args(new))
            else:
                async with conn.transaction():
                    if slot is not None:
                        when = await choose_slot(
                            on_driver(conn), new.workspace_id, new.account_ids, *slot
                        )
                        if when is None:
                            raise NoFreeSlot
                        new = replace(new, scheduled_at=when)
                    await check(on_driver(conn), new.workspace_id, quota)
                    rows = await conn.fetch(CREATE_POST, *_insert_args(new))
            media = (
                tuple(media_from(r, r["link_alt"]) for r in
                      await conn.fetch(POST_MEDIA, rows[0]["p_id"]))
                if new.media_ids
                else ()
            )  # fmt: skip
        destinations = tuple(destination_from(r) for r in rows if r["id"] is not None)
        return post_from(Prefixed(rows[0], "p_"), destinations, media)

    async def get(self, post_id: uuid.UUID, workspace_id: uuid.UUID | None = None) -> PostView:
        async with self.sessions() as session:
            view = await load_post(session, post_id)
        if view is None or (workspace_id is not None and view.workspace_id != workspace_id):
            raise NotFound(msg("No post {id} in this workspace.", id=str(post_id)))
        return view

    async def search(
        self,
        workspace_id: uuid.UUID,
        start: datetime | None = None,
        end: datetime | None = None,
        statuses: Sequence[str] = (),
        limit: int = 50,
        offset: int = 0,
        text: str | None = None,
        after: tuple[datetime, uuid.UUID] | None = None,
    ) -> list[PostView]:
        """Posts by due time then id; ``after`` is a keyset cursor (the last one seen), and
        ``text`` matches the post's text case-insensitively."""
        query = select(ScheduledPost.id).where(ScheduledPost.workspace_id == workspace_id)
        if text:
            pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            query = query.where(ScheduledPost.content.ilike(pattern, escape="\\"))
        if after is not None:
            moment, last_id = after
            query = query.where(
                or_(
                    ScheduledPost.scheduled_at > moment,
                    (ScheduledPost.scheduled_at == moment) & (ScheduledPost.id > last_id),
                )
            )
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
            raise NotFound(msg("No post {id} in this workspace.", id=str(post_id)))
        return post

    async def _rearm(
        self,
        session: AsyncSession,
        post: ScheduledPost,
        due_at: datetime | None,
        from_statuses: tuple[DestinationStatus, ...] = (DestinationStatus.PENDING,),
        reset_attempts: bool = False,
        also: Sequence[uuid.UUID] = (),
    ) -> list[Job]:
        """Bump pending destinations' revision so queued jobs for the old one become no-ops;
        ``also``: destinations to rearm whatever their status (a retry's published ones)."""
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
                    or_(PostDestination.status.in_(from_statuses), PostDestination.id.in_(also)),
                )
                .values(**values)
                .returning(PostDestination.id, PostDestination.revision, PostDestination.due_at)
            )
        ).all()
        post.revision += 1
        post.updated_at = func.now()
        return [Job(r[0], r[1], r[2]) for r in rows]

    async def reschedule(
        self, workspace_id: uuid.UUID | None, post_id: uuid.UUID, when: datetime, *,
        queued: bool | None = None,
    ) -> tuple[PostView, list[Job]]:  # fmt: skip
        """Move a post; ``queued`` set says whether it stays in its queue (None: as it was)."""

        def move(post: ScheduledPost) -> None:
            post.scheduled_at = when
            if queued is not None:
                post.queued = queued

        refusal = N_("This post is {status}; only scheduled posts can be moved.")
        return await self._amend(workspace_id, post_id, refusal, move, when)

    async def swap(
        self, workspace_id: uuid.UUID, mine: tuple[uuid.UUID, datetime],
        theirs: tuple[uuid.UUID, datetime],
    ) -> list[tuple[PostView, list[Job]]]:  # fmt: skip
        """Exchange two queued posts' times in one transaction, each as the queue was read
        (``(id, time)``): if either moved, went out or left the queue meanwhile, neither moves."""
        async with self.sessions.begin() as session:
            # One lock order, so two swaps of the same pair cannot deadlock.
            posts = {pid: await self._locked(session, workspace_id, pid)
                     for pid in sorted((mine[0], theirs[0]))}  # fmt: skip
            for pid, at in (mine, theirs):
                post = posts[pid]
                if post.status not in MOVABLE or not post.queued or post.scheduled_at != at:
                    raise Conflict(
                        msg("The queue changed meanwhile; nothing was moved."),
                        msg("Look at the queue again, then move the post."),
                    )
            jobs = []
            for (pid, _), (_, to) in ((mine, theirs), (theirs, mine)):
                posts[pid].scheduled_at = to
                jobs.append(await self._rearm(session, posts[pid], to))
            await session.flush()
            views = await load_posts(session, [mine[0], theirs[0]])
        return [(views[mine[0]], jobs[0]), (views[theirs[0]], jobs[1])]

    async def revise(
        self, workspace_id: uuid.UUID, post_id: uuid.UUID, change: Revision
    ) -> tuple[PostView, list[Job]]:
        """Apply ``change`` under the post's row lock: text, time, accounts and files at once,
        refused when the post moved past ``change.expected`` or (for accounts and files) when
        a destination has started publishing."""
        async with self.sessions.begin() as session:
            post = await self._locked(session, workspace_id, post_id)
            if change.expected is not None and post.revision != change.expected:
                raise StaleRevision(change.expected, post.revision)
            if change.account_ids is not None or change.media is not None:
                await self._replace_targets(session, post, change)
            if post.status not in EDITABLE_POST_STATUSES:
                raise Conflict(
                    msg("This post is {status}; only scheduled posts can change.",
                        status=status_word(post.status))
                )  # fmt: skip
            if change.content is not None:
                post.content = change.content
            if change.variants is not None:
                post.variants = change.variants
            if change.parts is not None:
                post.parts = list(change.parts)
            if change.first_comment is not None:
                post.first_comment = change.first_comment or None
            if change.scheduled_at is not None:
                post.scheduled_at = change.scheduled_at
            if change.queued is not None:
                post.queued = change.queued
            jobs = await self._rearm(session, post, change.scheduled_at)
            await session.flush()
            view = await load_post(session, post.id)
        assert view is not None
        return view, jobs

    async def _replace_targets(
        self, session: AsyncSession, post: ScheduledPost, change: Revision
    ) -> None:
        rows = (
            await session.execute(
                select(PostDestination.social_account_id, PostDestination.status).where(
                    PostDestination.post_id == post.id
                )
            )
        ).all()
        if any(status in STARTED for _, status in rows):
            raise Conflict(
                msg("A destination of this post has published or is publishing; its accounts "
                    "and files can no longer change."),
                msg("Edit the text of what has not gone out, or schedule a new post."),
            )  # fmt: skip
        if change.account_ids is not None:
            wanted = list(dict.fromkeys(change.account_ids))
            have = {account for account, _ in rows}
            gone = have - set(wanted)
            if gone:
                await session.execute(
                    delete(PostDestination).where(
                        PostDestination.post_id == post.id,
                        PostDestination.social_account_id.in_(gone),
                    )
                )
            session.add_all(
                PostDestination(
                    id=uuid.uuid4(), post_id=post.id, social_account_id=account,
                    status=DestinationStatus.PENDING, due_at=post.scheduled_at, revision=0,
                    attempts=0, idempotency_key=uuid.uuid4().hex,
                )
                for account in wanted
                if account not in have
            )  # fmt: skip
        if change.media is not None:
            await session.execute(delete(PostMedia).where(PostMedia.post_id == post.id))
            links = dict(reversed(change.media))  # the first description of a repeated file
            order = list(dict.fromkeys(m for m, _ in change.media))
            session.add_all(
                PostMedia(post_id=post.id, media_id=m, position=i, alt=links[m])
                for i, m in enumerate(order)
            )
        await session.flush()

    async def edit(
        self, workspace_id: uuid.UUID | None, post_id: uuid.UUID, content: str
    ) -> tuple[PostView, list[Job]]:
        def rewrite(post: ScheduledPost) -> None:
            post.content = content

        refusal = N_("This post is {status}; only scheduled posts can be edited.")
        return await self._amend(workspace_id, post_id, refusal, rewrite, None)

    async def _amend(
        self,
        workspace_id: uuid.UUID | None,
        post_id: uuid.UUID,
        refusal: str,
        change: Callable[[ScheduledPost], None],
        when: datetime | None,
    ) -> tuple[PostView, list[Job]]:
        """Change a scheduled post under its row lock and re-arm its jobs (``when``: new time)."""
        async with self.sessions.begin() as session:
            post = await self._locked(session, workspace_id, post_id)
            if post.status not in EDITABLE_POST_STATUSES:
                raise Conflict(Msg(refusal, {"status": status_word(post.status)}))
            change(post)
            jobs = await self._rearm(session, post, when)
            await session.flush()
            view = await load_post(session, post.id)
        assert view is not None
        return view, jobs

    async def skip(
        self,
        workspace_id: uuid.UUID | None,
        post_id: uuid.UUID,
        at: datetime,
        following: Callable[[str, str, datetime, tuple[datetime, ...]], datetime | None],
        detached: NewPost | None = None,
    ) -> tuple[PostView, list[Job], PostView | None]:
        """Skip occurrence ``at`` of a recurring post, under its row lock: ``at`` joins the
        exdates, and when it is the row's own time the row moves to ``following(rule, zone,
        at, exdates)``. ``detached`` (an occurrence edited alone) is written in the same
        transaction; it is returned with the row and the row's jobs."""
        async with self.sessions.begin() as session:
            post = await self._locked(session, workspace_id, post_id)
            if post.status not in EDITABLE_POST_STATUSES or not post.recurrence:
                raise Conflict(
                    msg("This post is {status}; only a scheduled recurring post can skip "
                        "an occurrence.", status=status_word(post.status))
                )  # fmt: skip
            if at in post.exdates:
                raise Conflict(msg("That occurrence is already skipped."))
            exdates = (*post.exdates, at)
            when = None
            if at == post.scheduled_at:
                when = following(post.recurrence, post.timezone, at, exdates)
                if when is None:
                    raise Conflict(msg("That is the series' last occurrence: cancel it instead."))
                post.scheduled_at = when
            # Skips behind the row's time no longer matter: the series starts at the row.
            post.exdates = [x for x in exdates if x >= post.scheduled_at]
            jobs = await self._rearm(session, post, when)
            extra = None
            if detached is not None:
                extra = await load_post(session, await insert_post(on_session(session), detached))
            await session.flush()
            view = await load_post(session, post.id)
        assert view is not None
        return view, jobs, extra

    async def rerule(
        self, workspace_id: uuid.UUID | None, post_id: uuid.UUID, rule: str, when: datetime
    ) -> tuple[PostView, list[Job]]:
        """Give a recurring post a new rule and first occurrence (every later one follows)."""

        def change(post: ScheduledPost) -> None:
            post.recurrence, post.scheduled_at = rule, when

        refusal = N_("This post is {status}; only scheduled posts can be edited.")
        return await self._amend(workspace_id, post_id, refusal, change, when)

    async def cancel(self, workspace_id: uuid.UUID | None, post_id: uuid.UUID) -> PostView:
        async with self.sessions.begin() as session:
            post = await self._locked(session, workspace_id, post_id)
            if post.status == PostStatus.CANCELLED:
                raise Conflict(msg("This post is already cancelled."))
            if post.status not in EDITABLE_POST_STATUSES:
                raise Conflict(
                    msg("This post is {status}; it can no longer be cancelled.",
                        status=status_word(post.status))
                )  # fmt: skip
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
            before = await load_post(session, post.id)
            if before is None or not before.retryable:
                raise Conflict(
                    msg("This post is {status}; only failed posts can be retried.",
                        status=status_word(post.status))
                )  # fmt: skip
            # A post that is out keeps its post: only its failed parts and comment go again.
            again = {d.id: seqs for d in before.destinations if (seqs := d.steps_to_retry())}
            for dest, seqs in again.items():
                await session.execute(
                    update(DestinationStep)
                    .where(DestinationStep.destination_id == dest, DestinationStep.seq.in_(seqs))
                    .values(status=StepStatus.PENDING, error=None, updated_at=func.now())
                )
            jobs = await self._rearm(
                session,
                post,
                now,
                from_statuses=(DestinationStatus.FAILED,),
                reset_attempts=True,
                also=list(again),
            )
            post.status = (
                PostStatus.PUBLISHING if post.scheduled_at <= now else PostStatus.SCHEDULED
            )
            await session.flush()
            view = await load_post(session, post.id)
        assert view is not None
        return view, jobs
