"""What a workspace uses of its plan, counted under a lock so two writers cannot both slip in.

Each limited write (a post, an account, a member) runs ``check`` in its own transaction before
inserting: the workspace row is locked ``FOR NO KEY UPDATE`` (which the foreign-key checks of
other inserts, ``FOR KEY SHARE``, do not wait for), then the count is taken. Under READ
COMMITTED each statement sees what committed before it, so the second of two concurrent writers
counts the first one's row once it gets the lock. Unlimited plans skip all of this.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.errors import LimitReached, NotFound
from storage.models import Workspace
from storage.rows import Run, driver

Counted = Literal["accounts", "members", "posts_per_month"]
LOCK = "SELECT id FROM workspaces WHERE id = $1 FOR NO KEY UPDATE"
COUNT: dict[Counted, str] = {
    "accounts": "SELECT count(*) AS n FROM social_accounts"
    " WHERE workspace_id = $1 AND status <> 'removed' AND NOT (platform = $2 AND handle = $3)",
    "members": "SELECT count(*) AS n FROM workspace_members"
    " WHERE workspace_id = $1 AND user_id <> $2",
    # Drafts are not scheduled posts; every other post made this month counts, cancelled too.
    "posts_per_month": "SELECT count(*) AS n FROM scheduled_posts"
    " WHERE workspace_id = $1 AND created_at >= $2 AND status <> 'draft'",
}


@dataclass(frozen=True)
class Quota:
    """A limit to hold a write to: which, how many are allowed, and what the count excludes.

    ``args`` fill the count's parameters after the workspace id: the account being renewed
    (platform, handle), the member being added (user id), or the month's start.
    """

    which: Counted
    allowed: int
    args: tuple[object, ...] = ()


async def check(run: Run, workspace_id: uuid.UUID, quota: Quota | None) -> None:
    """Raise LimitReached if one more would pass ``quota``; call inside the write's transaction.

    ``run`` is ``storage.rows.on_driver(conn)`` or ``on_session(session)``.
    """
    if quota is None:
        return
    await run(LOCK, workspace_id)
    used = int((await run(COUNT[quota.which], workspace_id, *quota.args))[0]["n"])
    if used >= quota.allowed:
        raise LimitReached(quota.which, used)


@dataclass(frozen=True)
class Usage:
    """How much of its plan a workspace uses now."""

    accounts: int
    members: int
    posts_this_month: int


USAGE = """
SELECT
    (SELECT count(*) FROM social_accounts WHERE workspace_id = $1 AND status <> 'removed')
        AS accounts,
    (SELECT count(*) FROM workspace_members WHERE workspace_id = $1) AS members,
    (SELECT count(*) FROM scheduled_posts
        WHERE workspace_id = $1 AND created_at >= $2 AND status <> 'draft') AS posts
"""


class UsageStore:
    """Plans set on workspaces and what they use."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def usage(self, workspace_id: uuid.UUID, month_start: datetime) -> Usage:
        async with driver(self.sessions) as conn:
            row = await conn.fetchrow(USAGE, workspace_id, month_start)
        assert row is not None
        return Usage(int(row["accounts"]), int(row["members"]), int(row["posts"]))

    async def set_plan(self, name: str, plan: str | None) -> uuid.UUID:
        """Put the workspace called ``name`` on ``plan`` (None: the default); its id."""
        async with self.sessions.begin() as session:
            found = await session.scalar(
                update(Workspace).where(Workspace.name == name).values(plan=plan)
                .returning(Workspace.id)
            )  # fmt: skip
        if found is None:
            raise NotFound(
                f"No workspace named {name!r}.", f"Create it: outpost workspace create {name}"
            )
        workspace_id: uuid.UUID = found
        return workspace_id

    async def plan_of(self, workspace_id: uuid.UUID) -> str | None:
        async with self.sessions() as session:
            plan: str | None = await session.scalar(
                text("SELECT plan FROM workspaces WHERE id = :id"), {"id": workspace_id}
            )
        return plan
