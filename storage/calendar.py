"""The calendar's storage: login links, sessions, feed keys, and the one-query month window."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.errors import NotFound
from storage.calendar_models import FeedKey, LoginLink, SessionWorkspace, WebSession
from storage.models import (
    PostDestination,
    PublishAttempt,
    ScheduledPost,
    User,
    Workspace,
    WorkspaceMember,
)
from storage.rows import fetch_posts, on_session
from storage.views import PostView, WorkspaceView

# A recurring post whose rule is still live: it draws its later occurrences.
SERIES_HEAD_STATUSES = ("scheduled", "publishing", "pending_approval")


@dataclass(frozen=True)
class LoginGrant:
    """What a login link grants."""

    workspace_id: uuid.UUID
    workspace_name: str
    user_id: uuid.UUID | None
    user_name: str | None
    next_path: str


@dataclass(frozen=True)
class SessionInfo:
    """A live session and the workspaces it may see (membership re-checked on every load)."""

    token_hash: str
    user_id: uuid.UUID | None
    user_name: str | None
    user_timezone: str | None
    current_workspace_id: uuid.UUID | None
    workspaces: tuple[WorkspaceView, ...]


@dataclass(frozen=True)
class CalendarItem:
    """A post as the calendar shows it: head of the text, destinations, first media."""

    id: uuid.UUID
    scheduled_at: datetime
    status: str
    head: str
    day: date
    rank: int
    day_total: int
    day_failed: int
    destinations: tuple[tuple[str, str, str], ...]
    thumb_key: str | None
    thumb_type: str | None
    # Part of a recurring series (the live row, a published occurrence, or one edited alone).
    recurring: bool = False
    # An occurrence of the live row still to come, with no row of its own yet.
    virtual: bool = False
    # The series' live row: it holds the rule (a published or detached occurrence does not).
    live: bool = False


@dataclass(frozen=True)
class AttemptView:
    """One recorded call to a network."""

    destination_id: uuid.UUID
    number: int
    started_at: datetime
    finished_at: datetime | None
    outcome: str | None
    error_code: str | None
    error_message: str | None


_WINDOW = """
WITH picked AS (
  SELECT p.id, p.scheduled_at, p.status, (p.scheduled_at AT TIME ZONE :tz)::date AS day
  FROM scheduled_posts p
  WHERE p.workspace_id = :ws AND p.scheduled_at >= :start AND p.scheduled_at < :end
    {filters}
), ranked AS (
  SELECT picked.*,
         row_number() OVER (PARTITION BY day ORDER BY scheduled_at, id) AS rank,
         count(*) OVER (PARTITION BY day) AS day_total,
         count(*) FILTER (WHERE status IN ('failed', 'partially_published'))
           OVER (PARTITION BY day) AS day_failed
  FROM picked
), chosen AS (
  -- Cut to the rows shown before the per-post lookups below run.
  SELECT * FROM ranked r WHERE {rank_filter} ORDER BY r.scheduled_at, r.id {paging}
)
SELECT r.id, r.scheduled_at, r.status, left(t.content, :head_len), r.day, r.rank,
       r.day_total, r.day_failed, d.platforms, d.handles, d.statuses, m.storage_key,
       m.content_type, (t.recurrence IS NOT NULL OR t.series_id IS NOT NULL),
       t.recurrence IS NOT NULL
FROM chosen r
-- The text is fetched only for the rows shown, keeping the sort above narrow.
JOIN scheduled_posts t ON t.id = r.id
LEFT JOIN LATERAL (
  SELECT array_agg(a.platform ORDER BY a.platform, a.handle) AS platforms,
         array_agg(a.handle ORDER BY a.platform, a.handle) AS handles,
         array_agg(pd.status ORDER BY a.platform, a.handle) AS statuses
  FROM post_destinations pd JOIN social_accounts a ON a.id = pd.social_account_id
  WHERE pd.post_id = r.id
) d ON true
LEFT JOIN LATERAL (
  SELECT ml.storage_key, ml.content_type
  FROM post_media pm JOIN media_library ml ON ml.id = pm.media_id
  WHERE pm.post_id = r.id ORDER BY pm.position LIMIT 1
) m ON true
ORDER BY r.scheduled_at, r.id
"""


class CalendarStore:
    """Every calendar query; each method is one short transaction."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def add_login(
        self,
        token_hash: str,
        workspace_id: uuid.UUID,
        user_id: uuid.UUID | None,
        next_path: str,
        expires_at: datetime,
        now: datetime,
    ) -> None:
        """Store a link; a user must belong to the workspace. Expired rows are swept here."""
        async with self.sessions.begin() as session:
            if await session.get(Workspace, workspace_id) is None:
                raise NotFound("No such workspace.")
            if (
                user_id is not None
                and await session.get(WorkspaceMember, (workspace_id, user_id)) is None
            ):
                raise NotFound("That person is not a member of this workspace.")
            await session.execute(delete(LoginLink).where(LoginLink.expires_at < now))
            await session.execute(delete(WebSession).where(WebSession.expires_at < now))
            session.add(
                LoginLink(
                    token_hash=token_hash,
                    workspace_id=workspace_id,
                    user_id=user_id,
                    next_path=next_path,
                    expires_at=expires_at,
                )
            )

    async def _grant(
        self, session: AsyncSession, row: tuple[uuid.UUID, uuid.UUID | None, str]
    ) -> LoginGrant | None:
        workspace_id, user_id, next_path = row
        ws = await session.get(Workspace, workspace_id)
        if ws is None:
            return None
        user_name = None
        if user_id is not None:
            if await session.get(WorkspaceMember, (workspace_id, user_id)) is None:
                return None
            user = await session.get(User, user_id)
            user_name = user.display_name if user else None
        return LoginGrant(workspace_id, ws.name, user_id, user_name, next_path)

    async def peek_login(self, token_hash: str, now: datetime) -> LoginGrant | None:
        """What a live link would grant, without using it up."""
        async with self.sessions() as session:
            row = (
                await session.execute(
                    select(LoginLink.workspace_id, LoginLink.user_id, LoginLink.next_path).where(
                        LoginLink.token_hash == token_hash,
                        LoginLink.used_at.is_(None),
                        LoginLink.expires_at > now,
                    )
                )
            ).first()
            return None if row is None else await self._grant(session, (row[0], row[1], row[2]))

    async def consume_login(self, token_hash: str, now: datetime) -> LoginGrant | None:
        """Use a live link up; a conditional update so two clicks cannot both succeed."""
        async with self.sessions.begin() as session:
            row = (
                await session.execute(
                    update(LoginLink)
                    .where(
                        LoginLink.token_hash == token_hash,
                        LoginLink.used_at.is_(None),
                        LoginLink.expires_at > now,
                    )
                    .values(used_at=now)
                    .returning(LoginLink.workspace_id, LoginLink.user_id, LoginLink.next_path)
                )
            ).first()
            return None if row is None else await self._grant(session, (row[0], row[1], row[2]))

    async def open_session(
        self,
        token_hash: str,
        user_id: uuid.UUID | None,
        workspace_ids: Sequence[uuid.UUID],
        expires_at: datetime,
        via: str = "link",
    ) -> None:
        """A new session seeing ``workspace_ids``; the first is current."""
        async with self.sessions.begin() as session:
            session.add(
                WebSession(
                    token_hash=token_hash,
                    user_id=user_id,
                    current_workspace_id=workspace_ids[0] if workspace_ids else None,
                    via=via,
                    expires_at=expires_at,
                )
            )
            await session.flush()
            for ws in dict.fromkeys(workspace_ids):
                session.add(SessionWorkspace(session_hash=token_hash, workspace_id=ws))

    async def grant_workspace(self, token_hash: str, workspace_id: uuid.UUID) -> None:
        """Add a workspace to a session and make it current."""
        async with self.sessions.begin() as session:
            await session.execute(
                insert(SessionWorkspace)
                .values(session_hash=token_hash, workspace_id=workspace_id)
                .on_conflict_do_nothing()
            )
            await session.execute(
                update(WebSession)
                .where(WebSession.token_hash == token_hash)
                .values(current_workspace_id=workspace_id)
            )

    async def load_session(self, token_hash: str, now: datetime) -> SessionInfo | None:
        """The live session and the workspaces it still may see, in one round trip."""
        member = (
            select(WorkspaceMember.workspace_id)
            .where(
                WorkspaceMember.user_id == WebSession.user_id,
                WorkspaceMember.workspace_id == Workspace.id,
            )
            .exists()
        )
        query = (
            select(
                WebSession.user_id,
                WebSession.current_workspace_id,
                User.display_name,
                User.timezone,
                Workspace.id,
                Workspace.name,
                Workspace.timezone,
            )
            .outerjoin(User, User.id == WebSession.user_id)
            .outerjoin(SessionWorkspace, SessionWorkspace.session_hash == WebSession.token_hash)
            .outerjoin(Workspace, Workspace.id == SessionWorkspace.workspace_id)
            .where(WebSession.token_hash == token_hash, WebSession.expires_at > now)
            .where((WebSession.user_id.is_(None)) | member | Workspace.id.is_(None))
            .order_by(Workspace.name)
        )
        async with self.sessions() as session:
            rows = (await session.execute(query)).all()
        if not rows:
            return None
        first = rows[0]
        spaces = tuple(WorkspaceView(r[4], r[5], r[6]) for r in rows if r[4] is not None)
        return SessionInfo(token_hash, first[0], first[2], first[3], first[1], spaces)

    async def close_session(self, token_hash: str) -> None:
        async with self.sessions.begin() as session:
            await session.execute(delete(WebSession).where(WebSession.token_hash == token_hash))

    async def feed_generation(self, workspace_id: uuid.UUID) -> int:
        """The workspace's current feed generation, created on first use."""
        async with self.sessions.begin() as session:
            # INSERT ... SELECT so a deleted workspace's stale key finds nothing, not an FK error
            await session.execute(
                insert(FeedKey)
                .from_select(
                    ["workspace_id"], select(Workspace.id).where(Workspace.id == workspace_id)
                )
                .on_conflict_do_nothing()
            )
            value = await session.scalar(
                select(FeedKey.generation).where(FeedKey.workspace_id == workspace_id)
            )
        return 0 if value is None else int(value)

    async def rotate_feed(self, workspace_id: uuid.UUID) -> int:
        """Bump the generation: every earlier feed URL stops working."""
        async with self.sessions.begin() as session:
            stmt = insert(FeedKey).values(workspace_id=workspace_id, generation=2)
            value = await session.scalar(
                stmt.on_conflict_do_update(
                    index_elements=["workspace_id"],
                    set_={"generation": FeedKey.generation + 1, "rotated_at": func.now()},
                ).returning(FeedKey.generation)
            )
        assert value is not None
        return int(value)

    async def window(
        self,
        workspace_id: uuid.UUID,
        start: datetime,
        end: datetime,
        tz: str,
        *,
        per_day: int | None = None,
        statuses: Sequence[str] = (),
        account_id: uuid.UUID | None = None,
        limit: int | None = None,
        offset: int = 0,
        head_len: int = 140,
    ) -> list[CalendarItem]:
        """Posts in ``[start, end)`` with destinations and first media, in one query.

        ``per_day`` keeps the first N of each local day; every row still carries the day's
        totals, so a full cell can say "+N more".
        """
        params: dict[str, object] = {
            "ws": workspace_id,
            "start": start,
            "end": end,
            "tz": tz,
            "head_len": head_len,
        }
        filters = []
        if statuses:
            filters.append("AND p.status = ANY(:statuses)")
            params["statuses"] = list(statuses)
        if account_id is not None:
            filters.append(
                "AND EXISTS (SELECT 1 FROM post_destinations f"
                " WHERE f.post_id = p.id AND f.social_account_id = :account)"
            )
            params["account"] = account_id
        rank_filter = "true"
        if per_day is not None:
            rank_filter = "r.rank <= :per_day"
            params["per_day"] = per_day
        paging = ""
        if limit is not None:
            paging = "LIMIT :limit OFFSET :offset"
            params.update(limit=limit, offset=offset)
        sql = _WINDOW.format(filters=" ".join(filters), rank_filter=rank_filter, paging=paging)
        async with self.sessions() as session:
            rows = (await session.execute(text(sql), params)).all()
        return [
            CalendarItem(
                id=r[0],
                scheduled_at=r[1],
                status=r[2],
                head=r[3],
                day=r[4],
                rank=r[5],
                day_total=r[6],
                day_failed=r[7],
                destinations=tuple(zip(r[8] or (), r[9] or (), r[10] or (), strict=True)),
                thumb_key=r[11],
                thumb_type=r[12],
                recurring=r[13],
                live=r[14],
            )
            for r in rows
        ]

    async def series_heads(
        self, workspace_id: uuid.UUID, end: datetime, account_id: uuid.UUID | None = None
    ) -> list[PostView]:
        """The live rows of the workspace's recurring series due before ``end``."""
        query = select(ScheduledPost.id).where(
            ScheduledPost.workspace_id == workspace_id,
            ScheduledPost.recurrence.is_not(None),
            ScheduledPost.status.in_(SERIES_HEAD_STATUSES),
            ScheduledPost.scheduled_at < end,
        )
        if account_id is not None:
            query = query.where(
                select(PostDestination.id)
                .where(
                    PostDestination.post_id == ScheduledPost.id,
                    PostDestination.social_account_id == account_id,
                )
                .exists()
            )
        async with self.sessions() as session:
            ids = (await session.scalars(query.order_by(ScheduledPost.scheduled_at))).all()
            found = await fetch_posts(on_session(session), ids)
        return [found[i] for i in ids if i in found]

    async def attempts(self, post_id: uuid.UUID) -> list[AttemptView]:
        """Every recorded attempt of a post's destinations, oldest first."""
        async with self.sessions() as session:
            rows = await session.scalars(
                select(PublishAttempt)
                .join(PostDestination, PostDestination.id == PublishAttempt.destination_id)
                .where(PostDestination.post_id == post_id)
                .order_by(PublishAttempt.started_at, PublishAttempt.number)
            )
            return [
                AttemptView(
                    a.destination_id,
                    a.number,
                    a.started_at,
                    a.finished_at,
                    a.outcome,
                    a.error_code,
                    a.error_message,
                )
                for a in rows
            ]
