"""Workspaces, people, API tokens and connected accounts."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.errors import Conflict, NotFound
from storage.convert import account_view, workspace_view
from storage.models import (
    ApiToken,
    ChatIdentity,
    ChatLanguage,
    SocialAccount,
    User,
    Workspace,
    WorkspaceMember,
)
from storage.records import Prefixed, account_from, workspace_from
from storage.rows import driver, on_session
from storage.usage import Quota, check
from storage.views import AccountView, WorkspaceView

KNOWN_MEMBER = """
SELECT w.*, ci.user_id, u.timezone AS user_timezone, m.role AS member_role
FROM workspaces w
JOIN chat_identities ci ON ci.platform = $2 AND ci.team_id = $3 AND ci.external_id = $4
JOIN users u ON u.id = ci.user_id
JOIN workspace_members m ON m.workspace_id = w.id AND m.user_id = ci.user_id
WHERE w.name = $1
"""
WITH_ACCOUNTS = """
SELECT w.id AS w_id, w.name AS w_name, w.timezone AS w_timezone, w.plan AS w_plan,
    EXISTS (SELECT 1 FROM api_callback_endpoints e WHERE e.workspace_id = w.id) AS w_listening,
    a.*
FROM workspaces w
LEFT JOIN social_accounts a ON a.workspace_id = w.id AND a.status <> 'removed'
WHERE w.id = $1
ORDER BY a.platform, a.handle
"""


def _language(chat: str | None) -> Select[Any]:
    """The chat's language, else its workspace's; the caller picks the workspace."""
    if chat is None:
        return select(Workspace.language)
    own = (
        select(ChatLanguage.language)
        .where(ChatLanguage.chat == chat, ChatLanguage.workspace_id == Workspace.id)
        .scalar_subquery()
    )
    return select(func.coalesce(own, Workspace.language))


# A new member's role: the Slack installer owns the workspace; otherwise the first member who
# may own it (not a Telegram group's non-admin) does, when it has no owner; else ``role``.
JOIN_MEMBER = """
INSERT INTO workspace_members (workspace_id, user_id, role)
SELECT CAST(:ws AS uuid), CAST(:u AS uuid), CASE
    WHEN EXISTS (SELECT 1 FROM slack_installations si WHERE :platform = 'slack'
                 AND si.team_id = :team AND si.installer_user_id = :ext) THEN 'owner'
    WHEN :may_own
         AND NOT EXISTS (SELECT 1 FROM workspace_members o
                         WHERE o.workspace_id = CAST(:ws AS uuid) AND o.role = 'owner')
         AND NOT EXISTS (SELECT 1 FROM slack_installations si WHERE :platform = 'slack'
                         AND si.team_id = :team AND si.installer_user_id <> '')
    THEN 'owner'
    ELSE :role END
ON CONFLICT DO NOTHING
"""


class WorkspaceStore:
    """Workspaces and what hangs off them."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def create(self, name: str, timezone: str = "UTC") -> WorkspaceView:
        try:
            async with self.sessions.begin() as session:
                row = Workspace(id=uuid.uuid4(), name=name, timezone=timezone)
                session.add(row)
        except IntegrityError:
            raise Conflict(f"A workspace named {name!r} already exists.") from None
        return workspace_view(row)

    async def ensure(self, name: str, timezone: str = "UTC") -> WorkspaceView:
        """The workspace called ``name``, created on first use."""
        async with self.sessions.begin() as session:
            await session.execute(
                insert(Workspace)
                .values(id=uuid.uuid4(), name=name, timezone=timezone)
                .on_conflict_do_nothing(index_elements=["name"])
            )
            row = await session.scalar(select(Workspace).where(Workspace.name == name))
        assert row is not None
        return workspace_view(row)

    async def by_name(self, name: str) -> WorkspaceView:
        async with self.sessions() as session:
            row = await session.scalar(select(Workspace).where(Workspace.name == name))
        if row is None:
            raise NotFound(
                f"No workspace named {name!r}.", f"Create it: outpost workspace create {name}"
            )
        return workspace_view(row)

    async def by_id(self, workspace_id: uuid.UUID) -> WorkspaceView:
        # Read on every request: one statement on the driver connection (storage.rows).
        async with driver(self.sessions) as conn:
            row = await conn.fetchrow("SELECT * FROM workspaces WHERE id = $1", workspace_id)
        if row is None:
            raise NotFound("No such workspace.")
        return workspace_from(row)

    async def known_member(
        self, name: str, platform: str, team_id: str, external_id: str
    ) -> tuple[WorkspaceView, uuid.UUID, str | None, str] | None:
        """The workspace, user id, the user's own zone and their role for a chat identity
        already synced into the workspace: one statement for what every chat message needs;
        ``None`` until ``ensure`` and ``sync_chat_user`` have run once."""
        async with driver(self.sessions) as conn:
            row = await conn.fetchrow(KNOWN_MEMBER, name, platform, team_id, external_id)
        if row is None:
            return None
        return workspace_from(row), row["user_id"], row["user_timezone"], row["member_role"]

    async def sync_chat_user(
        self,
        workspace_id: uuid.UUID,
        platform: str,
        team_id: str,
        external_id: str,
        display_name: str | None = None,
        timezone: str | None = None,
        quota: Quota | None = None,
        *,
        role: str = "editor",
        may_own: bool = True,
    ) -> tuple[uuid.UUID, bool]:
        """Seed flow 3.1: the user behind a chat identity, inserted on first contact.

        A new member gets ``role``, or owner (``JOIN_MEMBER`` says when). Under ``quota`` (a
        plan's members) someone not yet a member joins only if they fit; refused, nothing of
        theirs is written (not even the user row).
        """
        async with self.sessions.begin() as session:
            user_id = await session.scalar(
                select(ChatIdentity.user_id).where(
                    ChatIdentity.platform == platform,
                    ChatIdentity.team_id == team_id,
                    ChatIdentity.external_id == external_id,
                )
            )
            created = user_id is None
            if user_id is None:
                user_id, created = await self._first_contact(
                    session, platform, team_id, external_id, display_name, timezone
                )
            if quota is not None and not await self._is_member(session, workspace_id, user_id):
                await check(on_session(session), workspace_id, replace(quota, args=(user_id,)))
            await session.execute(
                text(JOIN_MEMBER),
                {"ws": workspace_id, "u": user_id, "platform": platform, "team": team_id,
                 "ext": external_id, "may_own": may_own, "role": role},
            )  # fmt: skip
        return user_id, created

    @staticmethod
    async def _is_member(
        session: AsyncSession, workspace_id: uuid.UUID, user_id: uuid.UUID
    ) -> bool:
        found = await session.get(WorkspaceMember, (workspace_id, user_id))
        return found is not None

    @staticmethod
    async def _first_contact(
        session: AsyncSession,
        platform: str,
        team_id: str,
        external_id: str,
        display_name: str | None,
        timezone: str | None,
    ) -> tuple[uuid.UUID, bool]:
        """Insert user and identity; if a concurrent first contact won, use its user."""
        user_id = uuid.uuid4()
        try:
            async with session.begin_nested():
                session.add(User(id=user_id, display_name=display_name, timezone=timezone))
                await session.flush()
                session.add(
                    ChatIdentity(
                        user_id=user_id,
                        platform=platform,
                        team_id=team_id,
                        external_id=external_id,
                    )
                )
                await session.flush()
        except IntegrityError:
            winner = await session.scalar(
                select(ChatIdentity.user_id).where(
                    ChatIdentity.platform == platform,
                    ChatIdentity.team_id == team_id,
                    ChatIdentity.external_id == external_id,
                )
            )
            assert winner is not None
            return winner, False
        return user_id, True

    async def user_timezone(self, user_id: uuid.UUID) -> str | None:
        async with self.sessions() as session:
            return await session.scalar(select(User.timezone).where(User.id == user_id))

    async def set_user_timezone(self, user_id: uuid.UUID, timezone: str) -> None:
        async with self.sessions.begin() as session:
            await session.execute(update(User).where(User.id == user_id).values(timezone=timezone))

    async def language(self, workspace_id: uuid.UUID, chat: str | None = None) -> str | None:
        """The language set for ``chat``, else for the workspace, or ``None``: answer each
        message in its own. One statement: it runs for every message."""
        async with self.sessions() as session:
            found: str | None = await session.scalar(
                _language(chat).where(Workspace.id == workspace_id)
            )
        return found

    async def language_named(self, name: str, chat: str | None = None) -> str | None:
        """``language`` for the workspace called ``name`` (``None`` if there is none yet)."""
        async with self.sessions() as session:
            found: str | None = await session.scalar(_language(chat).where(Workspace.name == name))
        return found

    async def set_chat_language(
        self, workspace_id: uuid.UUID, chat: str, language: str | None
    ) -> None:
        """Set (or with ``None`` clear) one chat's language."""
        async with self.sessions.begin() as session:
            if language is None:
                await session.execute(delete(ChatLanguage).where(ChatLanguage.chat == chat))
                return
            row = {"chat": chat, "workspace_id": workspace_id, "language": language}
            await session.execute(
                insert(ChatLanguage)
                .values(**row)
                .on_conflict_do_update(
                    index_elements=[ChatLanguage.chat],
                    set_={"workspace_id": workspace_id, "language": language},
                )
            )

    async def set_language(self, workspace_id: uuid.UUID, language: str | None) -> None:
        async with self.sessions.begin() as session:
            await session.execute(
                update(Workspace).where(Workspace.id == workspace_id).values(language=language)
            )

    async def add_token(
        self,
        workspace_id: uuid.UUID,
        name: str,
        token_hash: str,
        scopes: str,
        expires_at: datetime | None = None,
    ) -> uuid.UUID:
        async with self.sessions.begin() as session:
            row = ApiToken(
                id=uuid.uuid4(),
                workspace_id=workspace_id,
                name=name,
                token_hash=token_hash,
                scopes=scopes,
                expires_at=expires_at,
            )
            session.add(row)
        return row.id

    async def token(self, token_hash: str, now: datetime) -> tuple[uuid.UUID, str] | None:
        """(workspace id, scopes) for a live token, touching ``last_used_at``."""
        async with self.sessions.begin() as session:
            row = (
                await session.execute(
                    update(ApiToken)
                    .where(
                        ApiToken.token_hash == token_hash,
                        ApiToken.revoked_at.is_(None),
                        ApiToken.expires_at.is_(None) | (ApiToken.expires_at > now),
                    )
                    .values(last_used_at=now)
                    .returning(ApiToken.workspace_id, ApiToken.scopes)
                )
            ).first()
        return None if row is None else (row[0], row[1])

    async def add_account(
        self,
        workspace_id: uuid.UUID,
        platform: str,
        handle: str,
        access_token_enc: str,
        *,
        base_url: str = "",
        display_name: str | None = None,
        settings: dict[str, Any] | None = None,
        user_id: uuid.UUID | None = None,
    ) -> AccountView:
        """Connect an account, or refresh the token of the same handle."""
        async with self.sessions.begin() as session:
            stmt = insert(SocialAccount).values(
                id=uuid.uuid4(),
                workspace_id=workspace_id,
                platform=platform,
                handle=handle,
                access_token=access_token_enc,
                base_url=base_url,
                display_name=display_name,
                settings=settings or {},
                user_id=user_id,
                status="active",
            )
            upsert = stmt.on_conflict_do_update(
                index_elements=["workspace_id", "platform", "handle"],
                set_={
                    "access_token": stmt.excluded.access_token,
                    "base_url": stmt.excluded.base_url,
                    "settings": stmt.excluded.settings,
                    "status": "active",
                },
            ).returning(SocialAccount)
            row = (await session.scalars(upsert)).one()
        return account_view(row)

    async def accounts(self, workspace_id: uuid.UUID) -> list[AccountView]:
        # Read for every request that names destinations: one statement, no transaction.
        async with driver(self.sessions) as conn:
            rows = await conn.fetch(
                "SELECT * FROM social_accounts WHERE workspace_id = $1 AND status <> 'removed'"
                " ORDER BY platform, handle",
                workspace_id,
            )
        return [account_from(r) for r in rows]

    async def with_accounts(
        self, workspace_id: uuid.UUID
    ) -> tuple[WorkspaceView, list[AccountView], bool]:
        """The workspace, its accounts (as ``accounts`` lists them) and whether it has a
        callback endpoint: one statement for what every API create reads."""
        async with driver(self.sessions) as conn:
            rows = await conn.fetch(WITH_ACCOUNTS, workspace_id)
        if not rows:
            raise NotFound("No such workspace.")
        workspace = workspace_from(Prefixed(rows[0], "w_"))
        accounts = [account_from(r) for r in rows if r["id"] is not None]
        return workspace, accounts, bool(rows[0]["w_listening"])

    async def all_accounts(self) -> list[AccountView]:
        async with self.sessions() as session:
            return [account_view(r) for r in await session.scalars(select(SocialAccount))]

    async def workspaces(self) -> list[WorkspaceView]:
        async with self.sessions() as session:
            rows = await session.scalars(select(Workspace).order_by(Workspace.name))
            return [workspace_view(r) for r in rows]

    async def ping(self) -> None:
        """Raise if the database cannot answer."""
        async with self.sessions() as session:
            await session.execute(select(1))
