"""Connecting accounts: OAuth states, token storage, the locked refresh, key rotation.

Tokens arrive here already encrypted (``TokenCipher``) except in ``rotate_keys``, which
re-encrypts every stored secret under the newest key without ever writing plaintext.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.crypto import TokenCipher
from core.states import DestinationStatus
from storage.accounts_models import MastodonApp, OAuthState
from storage.convert import account_view
from storage.models import PostDestination, SocialAccount
from storage.rows import on_session
from storage.usage import Quota, check
from storage.views import AccountView


@dataclass(frozen=True)
class StateView:
    """A connect attempt taken from the database (its verifier still encrypted)."""

    id: uuid.UUID
    workspace_id: uuid.UUID
    user_id: uuid.UUID | None
    platform: str
    verifier_enc: str | None = field(repr=False)
    redirect_uri: str
    next_url: str
    instance_url: str
    pending_enc: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class TokenRow:
    """An account's encrypted tokens and their expiry, read under the refresh lock."""

    account_id: uuid.UUID
    platform: str
    status: str
    access_token_enc: str = field(repr=False)
    refresh_token_enc: str | None = field(repr=False)
    expires_at: datetime | None


@dataclass(frozen=True)
class TokenUpdate:
    """New encrypted tokens to store; ``refresh_token_enc`` None keeps the old one."""

    access_token_enc: str = field(repr=False)
    refresh_token_enc: str | None = field(repr=False)
    expires_at: datetime | None


def _state(row: OAuthState) -> StateView:
    return StateView(
        row.id,
        row.workspace_id,
        row.user_id,
        row.platform,
        row.verifier_enc,
        row.redirect_uri,
        row.next_url,
        row.instance_url,
        row.pending_enc,
    )


def _tokens(row: SocialAccount) -> TokenRow:
    return TokenRow(
        row.id, row.platform, row.status, row.access_token, row.refresh_token, row.token_expires_at
    )


class AccountStore:
    """Everything the connect flows and the token refresher write."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    # --- OAuth states --------------------------------------------------------------------

    async def add_state(
        self,
        state_hash: str,
        workspace_id: uuid.UUID,
        platform: str,
        *,
        user_id: uuid.UUID | None,
        verifier_enc: str | None,
        redirect_uri: str,
        expires_at: datetime,
        next_url: str = "",
        instance_url: str = "",
        browser_hash: str | None = None,
        link_hash: str | None = None,
    ) -> bool:
        """Remember a connect attempt until its callback (or expiry); False when ``link_hash``
        already started one (a connect link is used once)."""
        stmt = (
            insert(OAuthState)
            .values(
                id=uuid.uuid4(),
                state_hash=state_hash,
                workspace_id=workspace_id,
                user_id=user_id,
                platform=platform,
                verifier_enc=verifier_enc,
                redirect_uri=redirect_uri,
                next_url=next_url,
                instance_url=instance_url,
                expires_at=expires_at,
                browser_hash=browser_hash,
                link_hash=link_hash,
            )
            .on_conflict_do_nothing(index_elements=["link_hash"])
            .returning(OAuthState.id)
        )
        async with self.sessions.begin() as session:
            made = await session.scalar(stmt)
        return made is not None

    async def take_state(
        self, state_hash: str, platform: str, now: datetime, browser_hash: str | None = None
    ) -> StateView | None:
        """The live, unused state for ``platform`` started in this browser, marked used in the
        same statement."""
        async with self.sessions.begin() as session:
            row = await session.scalar(
                update(OAuthState)
                .where(
                    OAuthState.state_hash == state_hash,
                    OAuthState.platform == platform,
                    OAuthState.browser_hash.is_not_distinct_from(browser_hash),
                    OAuthState.used_at.is_(None),
                    OAuthState.expires_at > now,
                )
                .values(used_at=now)
                .returning(OAuthState)
            )
        return None if row is None else _state(row)

    async def peek_state(
        self, state_hash: str, platform: str, now: datetime, browser_hash: str
    ) -> StateView | None:
        """The live, unused state for ``platform`` started in this browser, left usable (a
        form may be sent again after a typo)."""
        async with self.sessions() as session:
            row = await session.scalar(
                select(OAuthState).where(
                    OAuthState.state_hash == state_hash,
                    OAuthState.platform == platform,
                    OAuthState.browser_hash == browser_hash,
                    OAuthState.used_at.is_(None),
                    OAuthState.expires_at > now,
                )
            )
        return None if row is None else _state(row)

    async def hold_choice(
        self, state_id: uuid.UUID, choice_hash: str, pending_enc: str, expires_at: datetime
    ) -> None:
        """Keep the encrypted list of pages to pick from, behind a one-time choice token."""
        async with self.sessions.begin() as session:
            await session.execute(
                update(OAuthState)
                .where(OAuthState.id == state_id)
                .values(choice_hash=choice_hash, pending_enc=pending_enc, expires_at=expires_at)
            )

    async def take_choice(self, choice_hash: str, now: datetime) -> StateView | None:
        """The held list for ``choice_hash``, emptied so it is used once."""
        async with self.sessions.begin() as session:
            row = await session.scalar(
                select(OAuthState)
                .where(
                    OAuthState.choice_hash == choice_hash,
                    OAuthState.pending_enc.is_not(None),
                    OAuthState.expires_at > now,
                )
                .with_for_update()
            )
            if row is None:
                return None
            view = _state(row)
            row.pending_enc = None
        return view

    async def purge_states(self, now: datetime) -> int:
        """Delete connect attempts expired over a day ago (their ``link_hash`` keeps a used
        link used until well past the link's own 15 minutes)."""
        async with self.sessions.begin() as session:
            result = await session.execute(
                text("DELETE FROM oauth_states WHERE expires_at < :cutoff"),
                {"cutoff": now - timedelta(days=1)},
            )
        return int(getattr(result, "rowcount", 0) or 0)

    # --- Mastodon apps -------------------------------------------------------------------

    async def mastodon_app(self, instance_url: str) -> tuple[str, str, str] | None:
        """(client id, encrypted secret, redirect URI) registered on an instance."""
        async with self.sessions() as session:
            row = await session.get(MastodonApp, instance_url)
        return None if row is None else (row.client_id, row.client_secret_enc, row.redirect_uri)

    async def save_mastodon_app(
        self, instance_url: str, client_id: str, secret_enc: str, redirect_uri: str
    ) -> None:
        """Remember an instance's app registration (last one wins)."""
        async with self.sessions.begin() as session:
            stmt = insert(MastodonApp).values(
                instance_url=instance_url,
                client_id=client_id,
                client_secret_enc=secret_enc,
                redirect_uri=redirect_uri,
            )
            await session.execute(
                stmt.on_conflict_do_update(
                    index_elements=["instance_url"],
                    set_={
                        "client_id": stmt.excluded.client_id,
                        "client_secret_enc": stmt.excluded.client_secret_enc,
                        "redirect_uri": stmt.excluded.redirect_uri,
                    },
                )
            )

    # --- accounts and tokens -------------------------------------------------------------

    async def connect(
        self,
        workspace_id: uuid.UUID,
        platform: str,
        handle: str,
        access_token_enc: str,
        *,
        refresh_token_enc: str | None = None,
        expires_at: datetime | None = None,
        base_url: str = "",
        display_name: str | None = None,
        settings: dict[str, Any] | None = None,
        user_id: uuid.UUID | None = None,
        quota: Quota | None = None,
    ) -> AccountView:
        """Add the account, or replace the tokens of the same (workspace, platform, handle).

        Under ``quota`` (a plan's connected accounts) a new one is added only if it fits;
        renewing one already connected always is.
        """
        values: dict[str, Any] = {
            "access_token": access_token_enc,
            "refresh_token": refresh_token_enc,
            "token_expires_at": expires_at,
            "base_url": base_url,
            "display_name": display_name,
            "settings": settings or {},
            "status": "active",
        }
        async with self.sessions.begin() as session:
            await check(on_session(session), workspace_id, quota)
            stmt = insert(SocialAccount).values(
                id=uuid.uuid4(),
                workspace_id=workspace_id,
                platform=platform,
                handle=handle,
                user_id=user_id,
                **values,
            )
            upsert = stmt.on_conflict_do_update(
                index_elements=["workspace_id", "platform", "handle"], set_=values
            ).returning(SocialAccount)
            row = (await session.scalars(upsert)).one()
        return account_view(row)

    async def account(self, account_id: uuid.UUID) -> AccountView | None:
        """One account, or None."""
        async with self.sessions() as session:
            row = await session.get(SocialAccount, account_id)
        return None if row is None else account_view(row)

    async def tokens(self, account_id: uuid.UUID) -> TokenRow | None:
        """An account's encrypted tokens and expiry, without locking."""
        async with self.sessions() as session:
            row = await session.get(SocialAccount, account_id)
        return None if row is None else _tokens(row)

    async def refresh_locked(
        self,
        account_id: uuid.UUID,
        decide: Callable[[TokenRow], Awaitable[TokenUpdate | None]],
    ) -> TokenRow | None:
        """Run ``decide`` holding the account's advisory lock; store what it returns.

        The lock is transaction-scoped, so it is released however the transaction ends, and
        the new access and (rotated) refresh tokens commit together or not at all.
        """
        async with self.sessions.begin() as session:
            await session.execute(
                text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 5))"),
                {"key": f"outpost:refresh:{account_id}"},
            )
            row = await session.get(SocialAccount, account_id, populate_existing=True)
            if row is None:
                return None
            current = _tokens(row)
            new = await decide(current)
            if new is None:
                return current
            row.access_token = new.access_token_enc
            if new.refresh_token_enc is not None:
                row.refresh_token = new.refresh_token_enc
            row.token_expires_at = new.expires_at
            row.status = "active"
            return _tokens(row)

    async def mark_reconnect(
        self, account_id: uuid.UUID, code: str, message: str, now: datetime
    ) -> list[uuid.UUID]:
        """Mark the account to reconnect and fail its pending destinations; their post ids."""
        async with self.sessions.begin() as session:
            await session.execute(
                update(SocialAccount)
                .where(SocialAccount.id == account_id, SocialAccount.status != "removed")
                .values(status="reconnect")
            )
            rows = await session.execute(
                update(PostDestination)
                .where(
                    PostDestination.social_account_id == account_id,
                    PostDestination.status == DestinationStatus.PENDING,
                )
                .values(
                    status=DestinationStatus.FAILED,
                    error_code=code,
                    error_message=message,
                    updated_at=now,
                )
                .returning(PostDestination.post_id)
            )
            return sorted({r[0] for r in rows}, key=str)

    async def rotate_keys(self, cipher: TokenCipher, batch: int = 200) -> int:
        """Re-encrypt every stored secret under the newest key; the number of rows changed."""
        changed = 0
        changed += await self._rotate(
            cipher, SocialAccount, ("access_token", "refresh_token"), batch
        )
        changed += await self._rotate(cipher, OAuthState, ("verifier_enc", "pending_enc"), batch)
        changed += await self._rotate(cipher, MastodonApp, ("client_secret_enc",), batch)
        return changed

    async def _rotate(
        self, cipher: TokenCipher, model: Any, columns: tuple[str, ...], batch: int
    ) -> int:
        key = next(iter(model.__table__.primary_key.columns)).name
        changed, last = 0, None
        while True:
            async with self.sessions.begin() as session:
                query = select(model).order_by(getattr(model, key)).limit(batch).with_for_update()
                if last is not None:
                    query = query.where(getattr(model, key) > last)
                rows = list(await session.scalars(query))
                for row in rows:
                    for column in columns:
                        value = getattr(row, column)
                        if value:
                            setattr(row, column, cipher.rotate(value))
                    changed += 1
            if len(rows) < batch:
                return changed
            last = getattr(rows[-1], key)
