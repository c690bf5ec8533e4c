"""Reading posts with plain SQL, on a session or on a bare asyncpg connection.

The worker's hot path talks to asyncpg directly (a statement there costs a fifth of the
CPU it costs through the ORM, see docs/benchmarks.md); everything else goes through
SQLAlchemy sessions. Both read posts with the same statements and map the rows to views the
same way (``storage.records``), by column name.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from storage.records import (
    Connection,
    Record,
    account_from,
    destination_from,
    media_from,
    post_from,
    step_from,
)
from storage.views import AccountView, DestinationView, MediaView, PostView, StepView

if TYPE_CHECKING:
    # Only for types: ``storage.listing`` reads posts here on a bare connection, without
    # importing SQLAlchemy at all.
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

# run(sql, *args) -> rows read by column name
Run = Callable[..., Awaitable[Sequence[Record]]]

POSTS = "SELECT * FROM scheduled_posts WHERE id = ANY($1::uuid[])"
LOCKED_POSTS = POSTS + " ORDER BY id FOR UPDATE"
DESTINATIONS = """
    SELECT d.*, a.platform, a.handle
    FROM post_destinations d JOIN social_accounts a ON a.id = d.social_account_id
    WHERE d.post_id = ANY($1::uuid[])
    ORDER BY a.platform, a.handle
"""
MEDIA = """
    SELECT pm.post_id AS link_post_id, pm.alt AS link_alt, m.*
    FROM post_media pm JOIN media_library m ON m.id = pm.media_id
    WHERE pm.post_id = ANY($1::uuid[])
    ORDER BY pm.position
"""
STEPS = """
    SELECT * FROM destination_steps WHERE destination_id = ANY($1::uuid[])
    ORDER BY destination_id, seq
"""
ACCOUNTS = "SELECT * FROM social_accounts WHERE id = ANY($1::uuid[])"


def on_driver(conn: Connection) -> Run:
    return conn.fetch


def on_session(session: AsyncSession) -> Run:
    async def run(sql: str, *args: Any) -> Sequence[Record]:
        await session.flush()  # plain SQL skips the ORM's autoflush
        conn = await session.connection()
        return (await conn.exec_driver_sql(sql, args)).mappings().all()

    return run


@asynccontextmanager
async def driver(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[Connection]:
    """The asyncpg connection under one of the pool's connections; no transaction."""
    engine = sessions.kw["bind"]
    async with engine.connect() as conn:
        raw: Connection | None = (await conn.get_raw_connection()).driver_connection
        assert raw is not None
        try:
            yield raw
        finally:
            if raw.is_closed() or raw.is_in_transaction():
                # Cut off mid-transaction (a cancelled job, a dropped link): never hand
                # this connection to anyone else.
                await conn.invalidate()


async def fetch_posts(
    run: Run, post_ids: Sequence[uuid.UUID], *, lock: bool = False
) -> dict[uuid.UUID, PostView]:
    """Posts with destinations and media in three statements, however many posts.

    ``lock`` takes the posts' row locks in id order, the order every command takes them in.
    """
    ids = list(post_ids)
    posts = await run(LOCKED_POSTS if lock else POSTS, ids)
    if not posts:
        return {}
    found = [p["id"] for p in posts]
    dests: dict[uuid.UUID, list[DestinationView]] = {pid: [] for pid in found}
    for row in await run(DESTINATIONS, found):
        dests[row["post_id"]].append(destination_from(row))
    # Only a thread or a first comment has steps: other posts skip the statement.
    stepped = [p["id"] for p in posts if p["thread"] or p["parts"] or p["first_comment"]]
    if stepped:
        steps: dict[uuid.UUID, list[StepView]] = {}
        ids = [d.id for pid in stepped for d in dests[pid]]
        for row in await run(STEPS, ids):
            steps.setdefault(row["destination_id"], []).append(step_from(row))
        for pid in stepped:
            dests[pid] = [replace(d, steps=tuple(steps.get(d.id, ()))) for d in dests[pid]]
    media: dict[uuid.UUID, list[MediaView]] = {pid: [] for pid in found}
    for row in await run(MEDIA, found):
        media[row["link_post_id"]].append(media_from(row, row["link_alt"]))
    return {p["id"]: post_from(p, tuple(dests[p["id"]]), tuple(media[p["id"]])) for p in posts}


async def fetch_accounts(
    run: Run, account_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, AccountView]:
    rows = await run(ACCOUNTS, list(account_ids))
    return {r["id"]: account_from(r) for r in rows}
