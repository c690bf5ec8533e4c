"""Threads collected in a chat: a ``thread …`` message opens one, each reply adds a part, and
``done`` claims it to schedule it as one post (or ``cancel`` drops it).

A thread is keyed by where it lives (platform, team, chat, the root message); a part by its
message (Slack's ``ts``, Telegram's ``message_id``), so a redelivered event adds nothing. A
part is added only while the thread is open, in the same statement that checks it; ``done``
moves it to ``closing`` conditionally, so two ``done`` at once schedule it once. A ``closing``
thread whose scheduler died is claimable again after ``LEASE``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.rows import driver

LEASE = timedelta(minutes=2)


@dataclass(frozen=True)
class ChatThread:
    """An open (or finished) chat thread and its parts in message order."""

    id: uuid.UUID
    workspace_id: uuid.UUID
    platform: str
    team_id: str
    chat_id: str
    root: str
    request: str
    origin: dict[str, Any]
    media_ids: tuple[uuid.UUID, ...]
    status: str
    post_id: uuid.UUID | None
    parts: tuple[str, ...] = ()
    # Who opened it, in which zone, with which default destinations (None: opened before
    # these were kept).
    user_id: uuid.UUID | None = None
    tz: str | None = None
    defaults: tuple[uuid.UUID, ...] = ()


OPEN = """
INSERT INTO chat_threads (id, workspace_id, platform, team_id, chat_id, root, request, origin,
                          media_ids, user_id, tz, defaults)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $12)
ON CONFLICT (platform, team_id, chat_id, root) DO NOTHING
RETURNING id
"""
BY_ROOT = """
SELECT * FROM chat_threads WHERE platform = $1 AND team_id = $2 AND chat_id = $3 AND root = $4
"""
# A reply to the root, to any part or to the bot's answer in the thread (Telegram's chain).
BY_MESSAGE = """
SELECT t.* FROM chat_threads t
WHERE t.platform = $1 AND t.team_id = $2 AND t.chat_id = $3
  AND (t.root = $4 OR $4 = ANY(t.bot_messages)
       OR EXISTS (SELECT 1 FROM chat_thread_parts p
                  WHERE p.thread_id = t.id AND p.message_key = $4))
ORDER BY t.created_at DESC LIMIT 1
"""
PARTS = "SELECT text FROM chat_thread_parts WHERE thread_id = $1 ORDER BY seq, message_key"
ADD = """
WITH added AS (
    INSERT INTO chat_thread_parts (thread_id, message_key, seq, text)
    SELECT id, $2, $3, $4 FROM chat_threads WHERE id = $1 AND status = 'open'
    ON CONFLICT DO NOTHING
    RETURNING thread_id
)
SELECT count(*) FROM added
"""
COUNT = "SELECT count(*) FROM chat_thread_parts WHERE thread_id = $1"
CLAIM = """
UPDATE chat_threads SET status = 'closing', updated_at = now()
WHERE id = $1 AND (status = 'open' OR (status = 'closing' AND updated_at < now() - $2::interval))
RETURNING *
"""
MOVE = """
UPDATE chat_threads SET status = $3, post_id = coalesce($4, post_id), updated_at = now()
WHERE id = $1 AND status = $2
RETURNING id
"""


# Open threads whose last part (or the opening, without parts) came before $1, and threads a
# dead worker or web process left "closing" since then.
IDLE = """
SELECT t.id FROM chat_threads t
WHERE t.status IN ('open', 'closing') AND t.created_at < $1
  AND (t.status = 'open' OR t.updated_at < $1)
  AND NOT EXISTS (SELECT 1 FROM chat_thread_parts p
                  WHERE p.thread_id = t.id AND p.created_at >= $1)
ORDER BY t.created_at LIMIT $2
"""
# The post a thread was scheduled as (its origin names the thread), for a claim that finds
# its predecessor made it and died before closing the thread.
MADE = """
SELECT id FROM scheduled_posts
WHERE workspace_id = $1 AND origin->>'chat_thread' = $2
ORDER BY created_at LIMIT 1
"""
SAID = """
UPDATE chat_threads SET bot_messages = array_append(bot_messages, $2)
WHERE id = $1 AND NOT $2 = ANY(bot_messages)
"""


def _view(row: Any, parts: Sequence[str] = ()) -> ChatThread:
    origin = row["origin"]
    return ChatThread(
        id=row["id"],
        workspace_id=row["workspace_id"],
        platform=row["platform"],
        team_id=row["team_id"],
        chat_id=row["chat_id"],
        root=row["root"],
        request=row["request"],
        origin=json.loads(origin) if isinstance(origin, str) else dict(origin),
        media_ids=tuple(row["media_ids"] or ()),
        status=row["status"],
        post_id=row["post_id"],
        parts=tuple(parts),
        user_id=row["user_id"],
        tz=row["tz"],
        defaults=tuple(row["defaults"] or ()),
    )


def order_of(message_key: str) -> Decimal:
    """A message's place in its chat: Slack's ``ts`` and Telegram's ids both grow."""
    try:
        return Decimal(message_key)
    except InvalidOperation:
        return Decimal(0)


class ChatThreadStore:
    """Open, extend, claim and close chat threads."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def open(
        self,
        workspace_id: uuid.UUID,
        where: tuple[str, str, str, str],
        request: str,
        origin: dict[str, Any],
        media_ids: Sequence[uuid.UUID] = (),
        asker: tuple[uuid.UUID | None, str, Sequence[uuid.UUID]] = (None, "UTC", ()),
    ) -> uuid.UUID | None:
        """Open a thread at ``where`` (platform, team, chat, root) for ``asker`` (user, zone,
        default destinations); None if one is there."""
        user_id, tz, defaults = asker
        async with driver(self.sessions) as conn:
            return await conn.fetchval(  # type: ignore[no-any-return]
                OPEN, uuid.uuid4(), workspace_id, *where, request, json.dumps(origin),
                list(media_ids), user_id, tz, list(defaults),
            )  # fmt: skip

    async def made(self, thread: ChatThread) -> uuid.UUID | None:
        """The post ``thread`` was already scheduled as, if any."""
        async with driver(self.sessions) as conn:
            made: uuid.UUID | None = await conn.fetchval(MADE, thread.workspace_id, str(thread.id))
        return made

    async def idle(self, before: datetime, limit: int = 100) -> list[uuid.UUID]:
        """Open threads with nothing added since ``before``, oldest first."""
        async with driver(self.sessions) as conn:
            return [r["id"] for r in await conn.fetch(IDLE, before, limit)]

    async def at_root(self, where: tuple[str, str, str, str]) -> ChatThread | None:
        """The thread whose root message is ``where``'s."""
        async with driver(self.sessions) as conn:
            row = await conn.fetchrow(BY_ROOT, *where)
            return None if row is None else _view(row, await self._parts(conn, row["id"]))

    async def replied(self, where: tuple[str, str, str, str]) -> ChatThread | None:
        """The thread a reply to message ``where[3]`` continues (its root or one of its parts)."""
        async with driver(self.sessions) as conn:
            row = await conn.fetchrow(BY_MESSAGE, *where)
            return None if row is None else _view(row, await self._parts(conn, row["id"]))

    @staticmethod
    async def _parts(conn: Any, thread_id: uuid.UUID) -> list[str]:
        return [r["text"] for r in await conn.fetch(PARTS, thread_id)]

    async def add_part(self, thread_id: uuid.UUID, message_key: str, text: str) -> int | None:
        """Add a part; how many the thread has now, or None when this message was already a
        part (a redelivery) or the thread is no longer open."""
        async with driver(self.sessions) as conn:
            added = await conn.fetchval(ADD, thread_id, message_key, order_of(message_key), text)
            if not added:
                return None
            return int(await conn.fetchval(COUNT, thread_id))

    async def claim(self, thread_id: uuid.UUID) -> ChatThread | None:
        """Take an open thread to schedule it; None when someone else has (or it is closed)."""
        async with driver(self.sessions) as conn:
            row = await conn.fetchrow(CLAIM, thread_id, LEASE)
            return None if row is None else _view(row, await self._parts(conn, thread_id))

    async def move(
        self, thread_id: uuid.UUID, old: str, new: str, post_id: uuid.UUID | None = None
    ) -> bool:
        """``old`` → ``new`` (``closing`` → ``done`` with its post, back to ``open``, or
        ``open`` → ``cancelled``); False when the thread was not ``old``."""
        async with driver(self.sessions) as conn:
            return await conn.fetchval(MOVE, thread_id, old, new, post_id) is not None

    async def said(self, thread_id: uuid.UUID, message_key: str) -> None:
        """Remember the bot's answer ``message_key`` in the thread: a reply to it continues it."""
        async with driver(self.sessions) as conn:
            await conn.execute(SAID, thread_id, message_key)
