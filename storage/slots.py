"""Queue slots: the weekly schedule's rows, the instants taken, and taking one race-free.

Whoever takes a slot (a ``queue`` request, an evergreen post coming back) first takes the
workspace's queue lock, ``pg_advisory_xact_lock``, in the transaction that inserts the post: two
requests for the next slot then run one after the other, and the second sees the first's post.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.slots import Slot
from core.states import PostStatus
from storage.rows import Run, driver, on_driver

# A post holds its instant on its accounts while it may still go out.
LIVE = (PostStatus.SCHEDULED, PostStatus.PENDING_APPROVAL, PostStatus.PUBLISHING)
# A queue is reordered among the posts that may still move (not one already publishing).
MOVABLE = (PostStatus.SCHEDULED, PostStatus.PENDING_APPROVAL)
KEY = "hashtextextended('outpost.queue:' || $1::text, 0)"
LOCK = f"SELECT pg_advisory_xact_lock({KEY})"
HOLD, RELEASE = f"SELECT pg_advisory_lock({KEY})", f"SELECT pg_advisory_unlock({KEY})"
SLOTS = "SELECT account_id, weekday, at FROM queue_slots WHERE workspace_id = $1"
ZONE = "SELECT timezone, queue_pull_forward FROM workspaces WHERE id = $1"
BUSY = """
    SELECT d.social_account_id AS account_id, p.scheduled_at
    FROM scheduled_posts p JOIN post_destinations d ON d.post_id = p.id
    WHERE p.workspace_id = $1 AND d.social_account_id = ANY($2::uuid[])
      AND p.scheduled_at >= $3 AND p.scheduled_at < $4 AND p.status = ANY($5::text[])
      AND p.id <> ALL($6::uuid[])
"""
CLEAR = """
    DELETE FROM queue_slots
    WHERE workspace_id = $1 AND account_id IS NOT DISTINCT FROM $2
"""
ADD = """
    INSERT INTO queue_slots (id, workspace_id, account_id, weekday, at)
    SELECT gen_random_uuid(), $1, $2, s.weekday, s.at
    FROM unnest($3::smallint[], $4::time[]) AS s(weekday, at)
    ON CONFLICT DO NOTHING
"""
# The queue a post belongs to: the live queued posts to exactly the same accounts.
QUEUE_OF = """
    WITH mine AS (
        SELECT array_agg(social_account_id ORDER BY social_account_id) AS accounts
        FROM post_destinations WHERE post_id = $2
    ), queue AS (
        SELECT p.id, p.scheduled_at,
               array_agg(d.social_account_id ORDER BY d.social_account_id) AS accounts
        FROM scheduled_posts p JOIN post_destinations d ON d.post_id = p.id
        WHERE p.workspace_id = $1 AND p.queued AND p.status = ANY($3::text[])
        GROUP BY p.id
    )
    SELECT queue.id, queue.scheduled_at FROM queue, mine
    WHERE queue.accounts = mine.accounts
    ORDER BY queue.scheduled_at, queue.id
"""
# Stop a post's evergreen series: the post itself and its live copies.
STOP_EVERGREEN = """
    UPDATE scheduled_posts AS p SET evergreen_days = NULL, updated_at = now()
    FROM scheduled_posts AS o
    WHERE o.id = $2 AND o.workspace_id = $1 AND p.workspace_id = $1
      AND p.evergreen_days IS NOT NULL
      AND (p.id = o.id OR p.series_id = COALESCE(o.series_id, o.id)
           OR p.id = o.series_id)
    RETURNING p.id
"""
PULL_FORWARD = "UPDATE workspaces SET queue_pull_forward = $2 WHERE id = $1"
# (accounts, slots, zone, busy instants) -> the instant to take, or None.
Choose = Callable[
    [Sequence[uuid.UUID], list[Slot], ZoneInfo, list[tuple[uuid.UUID, datetime]]],
    datetime | None,
]


async def lock_queue(run: Run, workspace_id: uuid.UUID) -> None:
    """Take the workspace's queue lock until the transaction ends."""
    await run(LOCK, str(workspace_id))


async def read_slots(run: Run, workspace_id: uuid.UUID) -> list[Slot]:
    """All the workspace's slots (its own and its accounts')."""
    return [Slot(r["weekday"], r["at"], r["account_id"]) for r in await run(SLOTS, workspace_id)]


async def read_zone(run: Run, workspace_id: uuid.UUID) -> ZoneInfo:
    rows = await run(ZONE, workspace_id)
    return ZoneInfo(rows[0]["timezone"] or "UTC") if rows else ZoneInfo("UTC")


async def read_busy(
    run: Run, workspace_id: uuid.UUID, account_ids: Sequence[uuid.UUID], start: datetime,
    end: datetime, ignore: Sequence[uuid.UUID] = (),
) -> list[tuple[uuid.UUID, datetime]]:  # fmt: skip
    """(account, instant) of every live post of these accounts in [start, end)."""
    rows = await run(
        BUSY, workspace_id, list(account_ids), start, end, [str(s) for s in LIVE], list(ignore)
    )
    return [(r["account_id"], r["scheduled_at"]) for r in rows]


async def choose_slot(
    run: Run, workspace_id: uuid.UUID, account_ids: Sequence[uuid.UUID],
    window: tuple[datetime, datetime], choose: Choose,
) -> datetime | None:  # fmt: skip
    """Under the queue lock (taken here), ``choose`` an instant from the slots and what is busy."""
    await lock_queue(run, workspace_id)
    slots = await read_slots(run, workspace_id)
    zone = await read_zone(run, workspace_id)
    busy = await read_busy(run, workspace_id, account_ids, *window)
    return choose(account_ids, slots, zone, busy)


class SlotStore:
    """The slots people set, and what the queue reads outside a post's transaction."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def slots(self, workspace_id: uuid.UUID) -> tuple[list[Slot], ZoneInfo, bool]:
        """The workspace's slots, its zone, and whether cancelling pulls its queue forward."""
        async with driver(self.sessions) as conn:
            run = on_driver(conn)
            slots = await read_slots(run, workspace_id)
            rows = await run(ZONE, workspace_id)
        zone = ZoneInfo(rows[0]["timezone"] or "UTC") if rows else ZoneInfo("UTC")
        pull = bool(rows[0]["queue_pull_forward"]) if rows else False
        return slots, zone, pull

    async def replace(
        self, workspace_id: uuid.UUID, account_id: uuid.UUID | None, slots: Sequence[Slot]
    ) -> None:
        """Set the slots of one account (None: the workspace's), dropping its old ones."""
        async with driver(self.sessions) as conn, conn.transaction():
            await conn.execute(CLEAR, workspace_id, account_id)
            if slots:
                await conn.execute(
                    ADD, workspace_id, account_id, [s.weekday for s in slots],
                    [s.at for s in slots],
                )  # fmt: skip

    async def busy(
        self, workspace_id: uuid.UUID, account_ids: Sequence[uuid.UUID], start: datetime,
        end: datetime, ignore: Sequence[uuid.UUID] = (),
    ) -> list[tuple[uuid.UUID, datetime]]:  # fmt: skip
        async with driver(self.sessions) as conn:
            return await read_busy(on_driver(conn), workspace_id, account_ids, start, end, ignore)

    async def queue_of(
        self, workspace_id: uuid.UUID, post_id: uuid.UUID
    ) -> list[tuple[uuid.UUID, datetime]]:
        """(id, time) of the queued posts to the same accounts as ``post_id`` that may still
        move, in order."""
        async with driver(self.sessions) as conn:
            rows = await conn.fetch(QUEUE_OF, workspace_id, post_id, [str(s) for s in MOVABLE])
        return [(r["id"], r["scheduled_at"]) for r in rows]

    async def stop_evergreen(self, workspace_id: uuid.UUID, post_id: uuid.UUID) -> int:
        """Make a post and the rest of its evergreen series plain posts; how many changed."""
        async with driver(self.sessions) as conn:
            return len(await conn.fetch(STOP_EVERGREEN, workspace_id, post_id))

    @asynccontextmanager
    async def holding(self, workspace_id: uuid.UUID) -> AsyncIterator[None]:
        """Hold the workspace's queue lock across several transactions (a reorder's moves), so
        no ``queue`` request takes a slot a move is about to fill."""
        async with driver(self.sessions) as conn:
            await conn.execute(HOLD, str(workspace_id))
            try:
                yield
            finally:
                await conn.execute(RELEASE, str(workspace_id))

    async def set_pull_forward(self, workspace_id: uuid.UUID, on: bool) -> None:
        async with driver(self.sessions) as conn:
            await conn.execute(PULL_FORWARD, workspace_id, on)
