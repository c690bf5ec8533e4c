"""Sign-in storage: PKCE flows waiting for their callback, the user behind a verified e-mail,
invitations and the roles members hold."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.errors import NotFound
from storage.models import User, Workspace, WorkspaceMember
from storage.signin_models import AuthFlow, Invitation

# One statement decides who owns an address: a racing second callback finds the first's row.
_SYNC_USER = text(
    "INSERT INTO users (id, email, display_name) VALUES (:id, :email, :name) "
    "ON CONFLICT ((lower(email))) DO NOTHING RETURNING id"
)


@dataclass(frozen=True)
class FlowState:
    """What the browser's flow cookie stands for."""

    code_verifier: str
    provider: str
    next_path: str


@dataclass(frozen=True)
class SignedIn:
    """The user behind a verified e-mail and the workspaces they now belong to."""

    user_id: uuid.UUID
    created: bool
    workspace_ids: tuple[uuid.UUID, ...]
    joined: tuple[uuid.UUID, ...]


@dataclass(frozen=True)
class InvitationView:
    """An invitation as shown to the admin who made it."""

    workspace_id: uuid.UUID
    email: str
    role: str
    expires_at: datetime


class SigninStore:
    """Every sign-in query; each method is one short transaction."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def add_flow(
        self, token_hash: str, state: FlowState, expires_at: datetime, now: datetime
    ) -> None:
        """Keep a flow's verifier until its callback; expired flows are swept here."""
        async with self.sessions.begin() as session:
            await session.execute(delete(AuthFlow).where(AuthFlow.expires_at < now))
            session.add(
                AuthFlow(
                    token_hash=token_hash,
                    code_verifier=state.code_verifier,
                    provider=state.provider,
                    next_path=state.next_path,
                    expires_at=expires_at,
                )
            )

    async def take_flow(self, token_hash: str, now: datetime) -> FlowState | None:
        """Use a live flow up (a DELETE ... RETURNING, so two callbacks cannot both have it)."""
        async with self.sessions.begin() as session:
            row = (
                await session.execute(
                    delete(AuthFlow)
                    .where(AuthFlow.token_hash == token_hash, AuthFlow.expires_at > now)
                    .returning(AuthFlow.code_verifier, AuthFlow.provider, AuthFlow.next_path)
                )
            ).first()
        return None if row is None else FlowState(row[0], row[1], row[2])

    async def sign_in_email(self, email: str, name: str | None, now: datetime) -> SignedIn:
        """Seed flow 3.1 for a verified e-mail: find or create its user, then accept its
        live invitations, all in one transaction."""
        async with self.sessions.begin() as session:
            new_id = await session.scalar(
                _SYNC_USER, {"id": uuid.uuid4(), "email": email, "name": name}
            )
            user_id = new_id or await session.scalar(
                select(User.id).where(func.lower(User.email) == email.lower())
            )
            assert user_id is not None
            joined = await self._accept(session, user_id, email, now)
            spaces = await session.scalars(
                select(WorkspaceMember.workspace_id)
                .join(Workspace, Workspace.id == WorkspaceMember.workspace_id)
                .where(WorkspaceMember.user_id == user_id)
                .order_by(Workspace.name)
            )
            return SignedIn(user_id, new_id is not None, tuple(spaces), joined)

    @staticmethod
    async def _accept(
        session: AsyncSession, user_id: uuid.UUID, email: str, now: datetime
    ) -> tuple[uuid.UUID, ...]:
        rows = (
            await session.execute(
                update(Invitation)
                .where(
                    func.lower(Invitation.email) == email.lower(),
                    Invitation.accepted_at.is_(None),
                    Invitation.expires_at > now,
                )
                .values(accepted_at=now)
                .returning(Invitation.workspace_id, Invitation.role)
            )
        ).all()
        for workspace_id, role in rows:
            await session.execute(
                insert(WorkspaceMember)
                .values(workspace_id=workspace_id, user_id=user_id, role=role)
                .on_conflict_do_nothing()
            )
        return tuple(r[0] for r in rows)

    async def role(self, workspace_id: uuid.UUID, user_id: uuid.UUID) -> str | None:
        """The member's role in the workspace, or None when not a member."""
        async with self.sessions() as session:
            member = await session.get(WorkspaceMember, (workspace_id, user_id))
            return None if member is None else member.role

    async def invite(
        self,
        workspace_id: uuid.UUID,
        email: str,
        role: str,
        invited_by: uuid.UUID | None,
        expires_at: datetime,
    ) -> InvitationView:
        """Invite (or invite again, with a new role and expiry) an address to a workspace."""
        async with self.sessions.begin() as session:
            if await session.get(Workspace, workspace_id) is None:
                raise NotFound("No such workspace.")
            await session.execute(
                delete(Invitation).where(
                    Invitation.workspace_id == workspace_id,
                    func.lower(Invitation.email) == email.lower(),
                )
            )
            session.add(
                Invitation(
                    workspace_id=workspace_id,
                    email=email,
                    role=role,
                    invited_by=invited_by,
                    expires_at=expires_at,
                )
            )
        return InvitationView(workspace_id, email, role, expires_at)

    async def pending(self, workspace_id: uuid.UUID, now: datetime) -> list[InvitationView]:
        """A workspace's invitations not yet used nor expired, newest first."""
        async with self.sessions() as session:
            rows = await session.scalars(
                select(Invitation)
                .where(
                    Invitation.workspace_id == workspace_id,
                    Invitation.accepted_at.is_(None),
                    Invitation.expires_at > now,
                )
                .order_by(Invitation.created_at.desc())
            )
            return [InvitationView(i.workspace_id, i.email, i.role, i.expires_at) for i in rows]

    async def member_by_email(self, workspace_id: uuid.UUID, email: str) -> uuid.UUID | None:
        """The member of the workspace with this e-mail address, if any."""
        async with self.sessions() as session:
            return await session.scalar(
                select(User.id)
                .join(WorkspaceMember, WorkspaceMember.user_id == User.id)
                .where(
                    WorkspaceMember.workspace_id == workspace_id,
                    func.lower(User.email) == email.lower(),
                )
            )
