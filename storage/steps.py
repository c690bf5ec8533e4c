"""The steps of a multi-step destination: root post, thread parts, first comment.

Each step is written before its network call (``sending``) and after (``sent``, ``failed``),
like ``publish_attempts``. A worker writes a step only while it holds the destination's claim:
the destination is ``publishing`` at the attempt number it claimed (the fencing token of
``storage.publish_batch``), and each write extends the claim's lease, so a long thread is not
taken for a dead worker's.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.states import StepKind, StepStatus
from storage.records import step_from
from storage.rows import driver
from storage.views import StepView


@dataclass(frozen=True)
class PlannedStep:
    """A step the worker means to take; ``status`` is ``skipped`` (with ``error``) for one
    the network cannot take, else ``pending``."""

    seq: int
    kind: StepKind
    key: str
    status: StepStatus = StepStatus.PENDING
    error: str | None = None


# Rows already there (a resumed destination) keep their status: ON CONFLICT DO NOTHING.
PLAN = """
    WITH held AS (
        UPDATE post_destinations SET lease_until = $7
        WHERE id = $1 AND status = 'publishing' AND attempts = $2
        RETURNING id
    )
    INSERT INTO destination_steps (destination_id, seq, kind, key, status, error, updated_at)
    SELECT held.id, s.seq, s.kind, s.key, s.status, s.error, $8
    FROM held, unnest($3::int[], $4::text[], $5::text[], $6::text[], $9::text[])
        AS s(seq, kind, key, status, error)
    ON CONFLICT (destination_id, seq) DO NOTHING
"""
STEPS = "SELECT * FROM destination_steps WHERE destination_id = $1 ORDER BY seq"
HELD = "SELECT 1 FROM post_destinations WHERE id = $1 AND status = 'publishing' AND attempts = $2"

MARK = """
    WITH held AS (
        UPDATE post_destinations SET lease_until = $3
        WHERE id = $1 AND status = 'publishing' AND attempts = $2
        RETURNING id
    )
    UPDATE destination_steps AS s
    SET status = $5, remote_id = COALESCE($6, s.remote_id), url = COALESCE($7, s.url),
        extra = COALESCE($8::jsonb, s.extra), error = $9, updated_at = $10
    FROM held WHERE s.destination_id = held.id AND s.seq = $4
    RETURNING s.seq
"""

# After a dead worker's root post was found on the network (the reconciler, no claim held).
FOUND_ROOT = """
    INSERT INTO destination_steps (destination_id, seq, kind, key, status, remote_id, url,
                                   extra, updated_at)
    VALUES ($1, 1, 'post', $2, 'sent', $3, $4, $5::jsonb, $6)
    ON CONFLICT (destination_id, seq) DO UPDATE
    SET status = 'sent', remote_id = $3, url = $4, extra = $5::jsonb, error = NULL,
        updated_at = $6
"""


@dataclass(frozen=True)
class Fence:
    """The claim a step write is held to: destination, attempt number, lease to extend to."""

    destination_id: uuid.UUID
    attempt: int
    lease_until: datetime


class StepStore:
    """Writes and reads ``destination_steps``."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def plan(
        self, fence: Fence, planned: Sequence[PlannedStep], now: datetime
    ) -> list[StepView] | None:
        """Write the steps not written yet and return them all; None if the claim was lost."""
        async with driver(self.sessions) as conn, conn.transaction():
            if await conn.fetchval(HELD, fence.destination_id, fence.attempt) is None:
                return None
            await conn.execute(
                PLAN,
                fence.destination_id,
                fence.attempt,
                [p.seq for p in planned],
                [p.kind.value for p in planned],
                [p.key for p in planned],
                [p.status.value for p in planned],
                fence.lease_until,
                now,
                [p.error for p in planned],
            )
            rows = await conn.fetch(STEPS, fence.destination_id)
        return [step_from(r) for r in rows]

    async def mark(
        self,
        fence: Fence,
        seq: int,
        status: StepStatus,
        now: datetime,
        *,
        remote_id: str | None = None,
        url: str | None = None,
        extra: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> bool:
        """Move one step while the claim holds; False when it no longer does."""
        async with driver(self.sessions) as conn:
            row = await conn.fetchrow(
                MARK,
                fence.destination_id,
                fence.attempt,
                fence.lease_until,
                seq,
                status.value,
                remote_id,
                url,
                None if extra is None else json.dumps(extra),
                error,
                now,
            )
        return row is not None

    async def steps(self, destination_id: uuid.UUID) -> list[StepView]:
        """A destination's steps in order."""
        async with driver(self.sessions) as conn:
            rows = await conn.fetch(STEPS, destination_id)
        return [step_from(r) for r in rows]

    async def found_root(
        self,
        destination_id: uuid.UUID,
        key: str,
        remote_id: str,
        url: str | None,
        extra: dict[str, Any],
        now: datetime,
    ) -> None:
        """Record a root post found on the network after its worker died."""
        async with driver(self.sessions) as conn:
            await conn.execute(
                FOUND_ROOT, destination_id, key, remote_id, url, json.dumps(extra), now
            )
