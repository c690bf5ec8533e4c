"""Roles, approval settings, and the moves of a held post (draft, pending approval).

Every move is one conditional ``UPDATE … WHERE status = …``: two approvers tapping Approve at
once both run it, one finds the row and the other finds nothing (and is told who won).
Destinations of a held post stay ``pending`` but have no job (``storage.publishing.due`` and
the worker's claim skip held posts); each move bumps their revision, so a job queued for an
older revision does nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.errors import NotFound
from core.states import PostStatus, Role
from storage.posts import load_post
from storage.views import ApprovalView, Job, MemberView, PostView

MEMBERS = """
SELECT m.user_id, m.role, u.display_name, u.email,
       coalesce(array_agg(ci.platform || ' ' || ci.team_id || ' ' || ci.external_id)
                FILTER (WHERE ci.id IS NOT NULL), '{}') AS chats
FROM workspace_members m JOIN users u ON u.id = m.user_id
LEFT JOIN chat_identities ci ON ci.user_id = m.user_id
WHERE m.workspace_id = :ws
GROUP BY m.user_id, m.role, u.display_name, u.email, u.created_at
ORDER BY array_position(ARRAY['owner', 'admin', 'editor', 'viewer'], m.role::text),
         u.created_at, m.user_id
"""

REARM = """
UPDATE post_destinations SET revision = revision + 1, due_at = :at, updated_at = now()
WHERE post_id = :id AND status = 'pending'
RETURNING id, revision, due_at
"""


def _member(row: object) -> MemberView:
    r = row._mapping  # type: ignore[attr-defined]
    chats = tuple(tuple(c.split(" ", 2)) for c in r["chats"])
    return MemberView(r["user_id"], r["role"], r["display_name"], r["email"], chats)


class ApprovalStore:
    """Who may do what in a workspace, and the approval of posts."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def role(self, workspace_id: uuid.UUID, user_id: uuid.UUID) -> str | None:
        async with self.sessions() as session:
            found = await session.scalar(
                text("SELECT role FROM workspace_members"
                     " WHERE workspace_id = :ws AND user_id = :u"),
                {"ws": workspace_id, "u": user_id},
            )
        return None if found is None else str(found)

    async def members(self, workspace_id: uuid.UUID) -> list[MemberView]:
        async with self.sessions() as session:
            rows = (await session.execute(text(MEMBERS), {"ws": workspace_id})).all()
        return [_member(r) for r in rows]

    async def set_role(self, workspace_id: uuid.UUID, user_id: uuid.UUID, role: Role) -> None:
        async with self.sessions.begin() as session:
            done = await session.execute(
                text("UPDATE workspace_members SET role = :role"
                     " WHERE workspace_id = :ws AND user_id = :u RETURNING user_id"),
                {"role": role.value, "ws": workspace_id, "u": user_id},
            )  # fmt: skip
            if done.first() is None:
                raise NotFound("That person is not a member of this workspace.")

    async def workspace_approval(self, workspace_id: uuid.UUID) -> bool:
        async with self.sessions() as session:
            return bool(await session.scalar(
                text("SELECT approval_required FROM workspaces WHERE id = :ws"),
                {"ws": workspace_id},
            ))  # fmt: skip

    async def set_workspace_approval(self, workspace_id: uuid.UUID, on: bool) -> None:
        async with self.sessions.begin() as session:
            await session.execute(
                text("UPDATE workspaces SET approval_required = :on WHERE id = :ws"),
                {"on": on, "ws": workspace_id},
            )

    async def set_account_approval(
        self, workspace_id: uuid.UUID, account_id: uuid.UUID, on: bool
    ) -> None:
        async with self.sessions.begin() as session:
            done = await session.execute(
                text("UPDATE social_accounts SET approval_required = :on"
                     " WHERE id = :a AND workspace_id = :ws RETURNING id"),
                {"on": on, "a": account_id, "ws": workspace_id},
            )  # fmt: skip
            if done.first() is None:
                raise NotFound("No such account in this workspace.")

    async def requires_approval(
        self, workspace_id: uuid.UUID, account_ids: Sequence[uuid.UUID]
    ) -> bool:
        """Whether the workspace, or one of the destination accounts, asks for approval."""
        async with self.sessions() as session:
            return bool(await session.scalar(
                text("SELECT (SELECT approval_required FROM workspaces WHERE id = :ws)"
                     " OR EXISTS (SELECT 1 FROM social_accounts WHERE workspace_id = :ws"
                     "            AND id = ANY(:ids) AND approval_required)"),
                {"ws": workspace_id, "ids": list(account_ids)},
            ))  # fmt: skip

    async def record(
        self,
        post_id: uuid.UUID,
        decision: str,
        user_id: uuid.UUID | None,
        actor: str,
        reason: str = "",
        session: AsyncSession | None = None,
    ) -> None:
        sql = text(
            "INSERT INTO post_approvals (post_id, user_id, actor, decision, reason)"
            " VALUES (:p, :u, :a, :d, :r)"
        )
        args = {"p": post_id, "u": user_id, "a": actor[:200], "d": decision, "r": reason}
        if session is not None:
            await session.execute(sql, args)
            return
        async with self.sessions.begin() as own:
            await own.execute(sql, args)

    async def history(self, post_id: uuid.UUID) -> list[ApprovalView]:
        async with self.sessions() as session:
            rows = (await session.execute(
                text("SELECT decision, actor, reason, at FROM post_approvals"
                     " WHERE post_id = :p ORDER BY at, id"),
                {"p": post_id},
            )).all()  # fmt: skip
        return [ApprovalView(r[0], r[1], r[2], r[3]) for r in rows]

    async def last_decision(self, post_id: uuid.UUID) -> ApprovalView | None:
        found = [h for h in await self.history(post_id) if h.decision != "requested"]
        return found[-1] if found else None

    async def move(
        self,
        workspace_id: uuid.UUID | None,
        post_id: uuid.UUID,
        from_status: PostStatus,
        to_status: PostStatus,
        *,
        when: datetime | None = None,
        account_ids: Sequence[uuid.UUID] | None = None,
        decision: tuple[str, uuid.UUID | None, str, str] | None = None,
    ) -> tuple[PostView, list[Job]] | None:
        """Move a post from ``from_status`` to ``to_status`` if it is still there; else None.

        ``when`` gives it a (new) time; ``account_ids`` replaces the destinations of a draft;
        ``decision`` (decision, user id, actor, reason) is recorded in the same transaction.
        Returns the post and its re-armed destinations (to queue if it is now scheduled).
        """
        async with self.sessions.begin() as session:
            row = (await session.execute(
                text("UPDATE scheduled_posts SET status = :to, revision = revision + 1,"
                     " updated_at = now(), scheduled_at = coalesce(:when, scheduled_at),"
                     " untimed = untimed AND CAST(:when AS timestamptz) IS NULL"
                     " WHERE id = :id AND status = :from"
                     " AND (CAST(:ws AS uuid) IS NULL OR workspace_id = :ws)"
                     " RETURNING scheduled_at"),
                {"to": to_status.value, "from": from_status.value, "when": when,
                 "id": post_id, "ws": workspace_id},
            )).first()  # fmt: skip
            if row is None:
                return None
            if account_ids is not None:
                await self._replace_destinations(session, post_id, account_ids, row[0])
            jobs = [
                Job(r[0], r[1], r[2])
                for r in await session.execute(text(REARM), {"at": row[0], "id": post_id})
            ]
            if decision is not None:
                await self.record(post_id, *decision, session=session)
            view = await load_post(session, post_id)
        assert view is not None
        return view, jobs

    @staticmethod
    async def _replace_destinations(
        session: AsyncSession, post_id: uuid.UUID, account_ids: Sequence[uuid.UUID],
        due_at: datetime,
    ) -> None:  # fmt: skip
        """A draft's destinations, chosen when it is scheduled (nothing was ever sent)."""
        await session.execute(
            text("DELETE FROM post_destinations WHERE post_id = :p AND status = 'pending'"
                 " AND NOT (social_account_id = ANY(:ids))"),
            {"p": post_id, "ids": list(account_ids)},
        )  # fmt: skip
        await session.execute(
            text("INSERT INTO post_destinations (id, post_id, social_account_id, status, due_at,"
                 " revision, attempts, idempotency_key)"
                 " SELECT gen_random_uuid(), :p, a, 'pending', :due, 0, 0,"
                 "        replace(gen_random_uuid()::text, '-', '')"
                 " FROM unnest(CAST(:ids AS uuid[])) AS a ON CONFLICT DO NOTHING"),
            {"p": post_id, "ids": list(dict.fromkeys(account_ids)), "due": due_at},
        )  # fmt: skip

    async def overdue(self, now: datetime, limit: int = 500) -> list[uuid.UUID]:
        """Posts still waiting for an approver whose time has come."""
        async with self.sessions() as session:
            rows = await session.scalars(
                text("SELECT id FROM scheduled_posts WHERE status = 'pending_approval'"
                     " AND scheduled_at <= :now ORDER BY scheduled_at LIMIT :n"),
                {"now": now, "n": limit},
            )  # fmt: skip
            return list(rows)
