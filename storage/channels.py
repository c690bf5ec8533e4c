"""Channel defaults: what a Slack channel or Telegram chat fills in when a request leaves it out."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import ChannelDefaults, ChatIdentity, User, WorkspaceMember
from storage.rows import driver

# Set, the value replaces the stored one; UNSET leaves it as it is.
UNSET: object = object()


@dataclass(frozen=True)
class ChannelView:
    """A chat's defaults: destination account ids, zone and approver (each may be empty)."""

    workspace_id: uuid.UUID
    platform: str
    chat_id: str
    destinations: tuple[uuid.UUID, ...]
    timezone: str | None
    approver_user_id: uuid.UUID | None
    approver_name: str | None = None

    @property
    def empty(self) -> bool:
        return not self.destinations and not self.timezone and self.approver_user_id is None


GET = """
SELECT c.*, u.display_name AS approver_name
FROM channel_defaults c LEFT JOIN users u ON u.id = c.approver_user_id
WHERE c.workspace_id = $1 AND c.platform = $2 AND c.chat_id = $3
"""


class ChannelStore:
    """Read and change a chat's defaults."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def get(self, workspace_id: uuid.UUID, platform: str, chat_id: str) -> ChannelView | None:
        # Read for every request typed in a chat: one statement, no transaction.
        async with driver(self.sessions) as conn:
            row = await conn.fetchrow(GET, workspace_id, platform, chat_id)
        if row is None:
            return None
        return ChannelView(
            workspace_id=row["workspace_id"],
            platform=row["platform"],
            chat_id=row["chat_id"],
            destinations=tuple(row["destinations"] or ()),
            timezone=row["timezone"],
            approver_user_id=row["approver_user_id"],
            approver_name=row["approver_name"],
        )

    async def set(
        self,
        workspace_id: uuid.UUID,
        platform: str,
        chat_id: str,
        *,
        destinations: object = UNSET,
        timezone: object = UNSET,
        approver_user_id: object = UNSET,
    ) -> None:
        """Change the given fields, creating the chat's row on first use."""
        changes = {
            k: v
            for k, v in (
                ("destinations", destinations),
                ("timezone", timezone),
                ("approver_user_id", approver_user_id),
            )
            if v is not UNSET
        }
        key = {"workspace_id": workspace_id, "platform": platform, "chat_id": chat_id}
        stmt = insert(ChannelDefaults).values(**key, **changes)
        async with self.sessions.begin() as session:
            await session.execute(
                stmt.on_conflict_do_update(
                    index_elements=list(key), set_={**changes, "updated_at": func.now()}
                )
            )

    async def clear(self, workspace_id: uuid.UUID, platform: str, chat_id: str) -> bool:
        """Forget the chat's defaults; whether it had any."""
        async with self.sessions.begin() as session:
            gone = await session.execute(
                delete(ChannelDefaults)
                .where(
                    ChannelDefaults.workspace_id == workspace_id,
                    ChannelDefaults.platform == platform,
                    ChannelDefaults.chat_id == chat_id,
                )
                .returning(ChannelDefaults.chat_id)
            )
            return gone.first() is not None

    async def role(self, workspace_id: uuid.UUID, user_id: uuid.UUID) -> str | None:
        """The member's role in the workspace, or None if not a member."""
        async with self.sessions() as session:
            return await session.scalar(
                select(WorkspaceMember.role).where(
                    WorkspaceMember.workspace_id == workspace_id,
                    WorkspaceMember.user_id == user_id,
                )
            )

    async def member_by_chat(
        self, workspace_id: uuid.UUID, platform: str, team_id: str, ref: str
    ) -> uuid.UUID | None:
        """A workspace member named in chat: by platform user id, else by display name."""
        member = select(WorkspaceMember.user_id).where(
            WorkspaceMember.workspace_id == workspace_id
        )
        async with self.sessions() as session:
            by_id = await session.scalar(
                select(ChatIdentity.user_id).where(
                    ChatIdentity.platform == platform,
                    ChatIdentity.team_id == team_id,
                    ChatIdentity.external_id == ref,
                    ChatIdentity.user_id.in_(member),
                )
            )
            if by_id is not None:
                return by_id
            named = (
                await session.scalars(
                    select(User.id).where(
                        func.lower(User.display_name) == ref.lower(), User.id.in_(member)
                    )
                )
            ).all()
        # Two members with one name: asking which is better than guessing.
        return named[0] if len(named) == 1 else None
