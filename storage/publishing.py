"""The worker's side of posts: claim, finish, finalize, and what the reconciler looks for.

Every state change is a conditional UPDATE. ``attempts`` doubles as a fencing token: a worker
may only finish the attempt it claimed, so a worker whose lease expired cannot overwrite the
outcome of the one that took over.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.batch import Batcher
from core.slots import HORIZON, first_free
from core.states import (
    FINAL_DESTINATION_STATUSES,
    HELD_POST_STATUSES,
    OPEN_DESTINATION_STATUSES,
    OPEN_POST_STATUSES,
    REPORTED_POST_STATUSES,
    DestinationStatus,
    PostStatus,
)
from storage.convert import account_view, post_view
from storage.models import (
    PostDestination,
    PublishAttempt,
    ScheduledPost,
    SocialAccount,
)
from storage.posts import insert_post, load_post
from storage.publish_batch import (
    Claim,
    ClaimKey,
    Finished,
    Outcome,
    claim_many,
    close_posts,
    finish_many,
)
from storage.rows import Run, driver, fetch_posts, on_driver, on_session
from storage.slots import choose_slot
from storage.steps import StepStore
from storage.views import AccountView, DestinationView, Job, NewPost, PostView

MARK_NOTIFIED = """
    UPDATE scheduled_posts AS p SET notified_revision = v.rev
    FROM unnest($1::uuid[], $2::int[]) AS v(id, rev)
    WHERE p.id = v.id AND p.revision = v.rev AND p.notified_revision IS DISTINCT FROM v.rev
    RETURNING p.id, p.revision
"""

__all__ = ["Claim", "Finished", "Outcome", "PublishStore"]
# An evergreen post comes back after these outcomes; a failure stops it (retry it instead).
EVERGREEN_AFTER = (PostStatus.PUBLISHED, PostStatus.PARTIALLY_PUBLISHED)


async def evergreen_copy(run: Run, view: PostView, now: datetime) -> uuid.UUID:
    """Queue ``view`` again in the first free slot at least ``evergreen_days`` after ``now``
    (that very time when its accounts have no slots, or none free within the horizon)."""
    accounts = tuple(d.account_id for d in view.destinations)
    start = now + timedelta(days=view.evergreen_days or 0)
    when = await choose_slot(
        run, view.workspace_id, accounts, (start, start + HORIZON),
        lambda ids, slots, zone, busy: first_free(ids, slots, zone, busy, start),
    )  # fmt: skip
    return await insert_post(
        run,
        NewPost(
            workspace_id=view.workspace_id, user_id=view.user_id, content=view.content,
            scheduled_at=when or start, timezone=view.timezone, account_ids=accounts,
            media_ids=tuple(m.id for m in view.media),
            media_alts=tuple(m.alt for m in view.media), series_id=view.series_id or view.id,
            thread=view.thread, origin=view.origin, callback_url=view.callback_url,
            variants=view.variants, first_comment=view.first_comment, parts=view.parts,
            evergreen_days=view.evergreen_days, queued=True,
        ),
    )  # fmt: skip


def copied(view: PostView) -> ColumnElement[bool]:
    """An evergreen post already has its copy: a later post of its series."""
    return (
        select(ScheduledPost.id)
        .where(
            ScheduledPost.series_id == (view.series_id or view.id),
            ScheduledPost.created_at > view.created_at,
        )
        .exists()
    )


def not_held() -> ColumnElement[bool]:
    """The destination's post is not held: drafts and posts awaiting approval have no job until
    they move (the reconciler and the horizon sweep both leave them out)."""
    return ~(
        select(ScheduledPost.id)
        .where(
            ScheduledPost.id == PostDestination.post_id,
            ScheduledPost.status.in_(HELD_POST_STATUSES),
        )
        .exists()
    )


class PublishStore:
    """State transitions used by arq tasks and the reconciler."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], batch_window: float = 0.02
    ) -> None:
        self.sessions = sessions
        # Concurrent jobs' claims, outcomes and reports go out together (core.batch). A claim
        # is on the way to the network: a lone one (a post due on its own) waits for no
        # window; under a burst they still gather for one.
        self._claims = Batcher(
            self._claim_many, window=batch_window, max_inflight=2, eager_when_idle=True
        )
        self._outcomes = Batcher(self._finish_many, window=batch_window, max_inflight=2)
        self._notices = Batcher(self._mark_notified_many, window=batch_window)
        self._reports = Batcher(self._posts, window=batch_window)
        # Thread parts and first comments after a root post (``storage.steps``).
        self.steps = StepStore(sessions)

    async def post(self, post_id: uuid.UUID) -> PostView | None:
        """A post as its report needs it; reads made by concurrent jobs go out together."""
        return await self._reports(post_id)

    async def _posts(self, post_ids: list[uuid.UUID]) -> list[PostView | None]:
        async with driver(self.sessions) as conn:
            found = await fetch_posts(on_driver(conn), post_ids)
        return [found.get(post_id) for post_id in post_ids]

    async def destination(self, dest_id: uuid.UUID) -> tuple[str, int, datetime | None] | None:
        """(status, revision, lease_until) of a destination."""
        async with self.sessions() as session:
            row = (
                await session.execute(
                    select(
                        PostDestination.status,
                        PostDestination.revision,
                        PostDestination.lease_until,
                    ).where(PostDestination.id == dest_id)
                )
            ).first()
        return None if row is None else (row[0], row[1], row[2])

    async def claim(
        self,
        dest_id: uuid.UUID,
        revision: int,
        now: datetime,
        lease_until: datetime,
        worker: str,
    ) -> Claim | None:
        """Move ``pending → publishing`` and write the attempt row, or None if not ours.

        Claims made by concurrent jobs go out together (see ``storage.publish_batch``).
        """
        return await self._claims(ClaimKey(dest_id, revision, now, lease_until, worker))

    async def finish(self, outcome: Outcome) -> Finished:
        """Record the attempt's outcome and finalize the post if it was the last one."""
        return await self._outcomes(outcome)

    async def _claim_many(self, keys: list[ClaimKey]) -> list[Claim | None]:
        async with driver(self.sessions) as conn:
            return await claim_many(conn, keys)

    async def _finish_many(self, outcomes: list[Outcome]) -> list[Finished]:
        async with driver(self.sessions) as conn:
            return await finish_many(conn, outcomes)

    async def settle(
        self,
        dest_id: uuid.UUID,
        from_status: DestinationStatus,
        status: DestinationStatus,
        now: datetime,
        *,
        code: str | None = None,
        message: str | None = None,
        remote_id: str | None = None,
        url: str | None = None,
    ) -> bool:
        """Move a destination out of ``from_status`` without a claim (the reconciler's path)."""
        values: dict[str, object] = {
            "status": status,
            "lease_until": None,
            "updated_at": now,
            "error_code": code,
            "error_message": message,
        }
        if status == DestinationStatus.PENDING:
            values["due_at"] = now
        if status == DestinationStatus.SUCCESS:
            values.update(platform_post_id=remote_id, platform_url=url, published_at=now)
        async with self.sessions.begin() as session:
            result = await session.execute(
                update(PostDestination)
                .where(PostDestination.id == dest_id, PostDestination.status == from_status)
                .values(**values)
                .returning(PostDestination.id)
            )
            return result.first() is not None

    async def failed_attempts(self, dest_id: uuid.UUID) -> int:
        """Finished attempts that failed for a reason other than a rate limit."""
        async with self.sessions() as session:
            value = await session.scalar(
                select(func.count()).where(
                    PublishAttempt.destination_id == dest_id,
                    PublishAttempt.finished_at.is_not(None),
                    PublishAttempt.error_code.is_distinct_from("rate_limited"),
                    PublishAttempt.outcome != DestinationStatus.SUCCESS,
                )
            )
        return int(value or 0)

    async def expire_leases(self, now: datetime) -> list[uuid.UUID]:
        """``publishing`` whose worker vanished → ``unknown``; returns their ids."""
        async with self.sessions.begin() as session:
            rows = await session.scalars(
                update(PostDestination)
                .where(
                    PostDestination.status == DestinationStatus.PUBLISHING,
                    PostDestination.lease_until < now,
                )
                .values(status=DestinationStatus.UNKNOWN, lease_until=None, updated_at=now)
                .returning(PostDestination.id)
            )
            return list(rows)

    async def unknown(self, limit: int = 500) -> list[uuid.UUID]:
        async with self.sessions() as session:
            rows = await session.scalars(
                select(PostDestination.id)
                .where(PostDestination.status == DestinationStatus.UNKNOWN)
                .order_by(PostDestination.due_at)
                .limit(limit)
            )
            return list(rows)

    async def load(self, dest_id: uuid.UUID) -> tuple[DestinationView, PostView, AccountView]:
        async with self.sessions() as session:
            dest = await session.get(PostDestination, dest_id)
            assert dest is not None
            post = await load_post(session, dest.post_id)
            account = await session.get(SocialAccount, dest.social_account_id)
        assert post is not None
        assert account is not None
        view = next(d for d in post.destinations if d.id == dest_id)
        return view, post, account_view(account)

    async def due(self, until: datetime, limit: int = 50_000) -> list[Job]:
        """Pending destinations due before ``until``: each should have a queued job."""
        async with self.sessions() as session:
            rows = await session.execute(
                select(PostDestination.id, PostDestination.revision, PostDestination.due_at)
                .where(
                    PostDestination.status == DestinationStatus.PENDING,
                    PostDestination.due_at <= until,
                    not_held(),
                )
                .order_by(PostDestination.due_at)
                .limit(limit)
            )
            return [Job(r[0], r[1], r[2]) for r in rows]

    async def entering(
        self,
        since: datetime | None,
        until: datetime,
        after: tuple[datetime, uuid.UUID] | None = None,
        limit: int = 1000,
    ) -> list[Job]:
        """Pending destinations due in (``since``, ``until``], in (due_at, id) order after
        ``after``: one batch of the horizon sweep (the partial index on due_at serves it)."""
        query = select(PostDestination.id, PostDestination.revision, PostDestination.due_at).where(
            PostDestination.status == DestinationStatus.PENDING,
            PostDestination.due_at <= until,
            not_held(),
        )
        if since is not None:
            query = query.where(PostDestination.due_at > since)
        if after is not None:
            query = query.where(tuple_(PostDestination.due_at, PostDestination.id) > tuple_(*after))
        async with self.sessions() as session:
            rows = await session.execute(
                query.order_by(PostDestination.due_at, PostDestination.id).limit(limit)
            )
            return [Job(r[0], r[1], r[2]) for r in rows]

    async def finalize(
        self,
        post_id: uuid.UUID,
        now: datetime,
        next_time: Callable[[PostView], datetime | None],
    ) -> tuple[PostView, PostView | None] | None:
        """Set the post's final status once all destinations are done; None if not (yet).

        Returns the finished post and, for a recurring one, the next occurrence it created.
        """
        async with self.sessions.begin() as session:
            post = await session.get(ScheduledPost, post_id, with_for_update=True)
            if post is None or post.status not in OPEN_POST_STATUSES:
                return None
            # The same statement as the worker's batch, so the rule lives in one place.
            done = (await close_posts(on_session(session), [post_id], now)).get(post_id)
            if done is None:
                return None
            final, closed_revision = done
            if closed_revision is not None:
                # Closed by the statement (not recurring, or cancelled): no next occurrence.
                await session.refresh(post)
                return post_view(post), None
            post.status = final
            post.revision += 1
            post.updated_at = now
            await session.flush()
            view = await load_post(session, post_id)
            assert view is not None
            when = next_time(view)
            following = None
            if when is not None:
                created = await insert_post(
                    on_session(session),
                    NewPost(
                        workspace_id=view.workspace_id,
                        user_id=view.user_id,
                        content=view.content,
                        scheduled_at=when,
                        timezone=view.timezone,
                        account_ids=tuple(d.account_id for d in view.destinations),
                        media_ids=tuple(m.id for m in view.media),
                        media_alts=tuple(m.alt for m in view.media),
                        recurrence=view.recurrence,
                        series_id=view.series_id or view.id,
                        thread=view.thread,
                        origin=view.origin,
                        callback_url=view.callback_url,
                        variants=view.variants,
                        first_comment=view.first_comment,
                        parts=view.parts,
                        exdates=tuple(x for x in view.exdates if x > when),
                    ),
                )
                post.recurrence = None  # the rule moves on to the next occurrence
                await session.flush()
                following = await load_post(session, created)
            # Under the post's lock: a second finalize finds it closed and makes no copy, and
            # one after a Retry of a part or comment finds the copy made before.
            elif (
                view.evergreen_days
                and final in EVERGREEN_AFTER
                and not await session.scalar(select(copied(view)))
            ):
                created = await evergreen_copy(on_session(session), view, now)
                following = await load_post(session, created)
            return view, following

    async def unfinalized(self, now: datetime, limit: int = 1000) -> list[uuid.UUID]:
        """Due posts still open although every destination is done (a crash in between)."""
        open_dest = exists().where(
            and_(
                PostDestination.post_id == ScheduledPost.id,
                PostDestination.status.not_in(FINAL_DESTINATION_STATUSES),
            )
        )
        async with self.sessions() as session:
            rows = await session.scalars(
                select(ScheduledPost.id)
                .where(
                    ScheduledPost.status.in_(OPEN_POST_STATUSES),
                    ScheduledPost.scheduled_at <= now,
                    ~open_dest,
                )
                .limit(limit)
            )
            return list(rows)

    async def unnotified(
        self, finished_before: datetime | None = None, limit: int = 1000
    ) -> list[tuple[uuid.UUID, int]]:
        """Finished posts whose report is not marked sent.

        The worker that finishes a post reports it in the same job; ``finished_before``
        leaves it that long, so the reconciler only takes up reports a crash left behind
        and never races a report being sent.
        """
        query = select(ScheduledPost.id, ScheduledPost.revision).where(
            ScheduledPost.notified_revision.is_distinct_from(ScheduledPost.revision),
            ScheduledPost.status.in_(REPORTED_POST_STATUSES),
        )
        if finished_before is not None:
            query = query.where(ScheduledPost.updated_at < finished_before)
        async with self.sessions() as session:
            rows = await session.execute(query.order_by(ScheduledPost.updated_at).limit(limit))
            return [(r[0], r[1]) for r in rows]

    async def mark_notified(self, post_id: uuid.UUID, revision: int) -> bool:
        return await self._notices((post_id, revision))

    async def _mark_notified_many(self, keys: list[tuple[uuid.UUID, int]]) -> list[bool]:
        async with driver(self.sessions) as conn:
            rows = await conn.fetch(MARK_NOTIFIED, [k[0] for k in keys], [k[1] for k in keys])
        done = {(r["id"], r["revision"]) for r in rows}
        return [k in done for k in keys]

    async def count_open(self) -> int:
        async with self.sessions() as session:
            value = await session.scalar(
                select(func.count()).where(PostDestination.status.in_(OPEN_DESTINATION_STATUSES))
            )
        return int(value or 0)
