"""Stores of the REST API: tokens, idempotency keys, hooks and their deliveries, callbacks."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.errors import NotFound
from storage.api_models import (
    CallbackDelivery,
    Hook,
    HookDelivery,
    IdempotencyKey,
)
from storage.convert import columns
from storage.models import ApiToken, SocialAccount
from storage.records import Record
from storage.rows import driver

IDEMPOTENCY_TTL = timedelta(hours=24)
# GitHub lets an owner redeliver up to 3 days back (7 on GitHub Enterprise Server); a signed
# body seen within this window is a replay, whatever its unsigned X-GitHub-Delivery says.
BODY_WINDOW = timedelta(days=7)
# How long a process trusts a live token it looked up. A revocation through this process's
# store forgets the token at once; one made by another process (another web process, another
# machine) takes effect here within this many seconds. ``last_used_at`` is touched on each
# lookup, so it is exact to within this too.
TOKEN_TTL_SECONDS = 5.0
MAX_CACHED_TOKENS = 10_000


@dataclass(frozen=True)
class TokenView:
    """An API token, without its secret."""

    id: uuid.UUID
    workspace_id: uuid.UUID
    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime | None = None

    def expired(self, now: datetime) -> bool:
        """Whether the token has passed its expiry."""
        return self.expires_at is not None and self.expires_at <= now


@dataclass(frozen=True)
class Remembered:
    """What an ``Idempotency-Key`` already stands for; ``status`` None means still running."""

    request_hash: str
    status: int | None
    body: Any


@dataclass(frozen=True)
class HookView:
    """An inbound hook's configuration; the secret stays encrypted."""

    id: uuid.UUID
    workspace_id: uuid.UUID
    name: str
    verification: str
    secret_enc: str
    template: str
    destinations: tuple[str, ...]
    timing: dict[str, Any]
    events: tuple[str, ...]
    callback_url: str | None
    enabled: bool
    created_at: datetime


@dataclass(frozen=True)
class CallbackView:
    """One callback delivery and how it went."""

    id: uuid.UUID
    workspace_id: uuid.UUID
    post_id: uuid.UUID | None  # None: an account event
    event: str
    url: str
    payload: dict[str, Any]
    status: str
    attempts: int
    response_code: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime


def _token(row: Record) -> TokenView:
    return TokenView(
        row["id"], row["workspace_id"], row["name"], tuple(row["scopes"].split()),
        row["created_at"], row["last_used_at"], row["revoked_at"], row["expires_at"],
    )  # fmt: skip


def _hook(row: Hook) -> HookView:
    return HookView(
        row.id, row.workspace_id, row.name, row.verification, row.secret_enc, row.template,
        tuple(row.destinations), dict(row.timing), tuple(row.events or ()), row.callback_url,
        row.enabled, row.created_at,
    )  # fmt: skip


def callback_view(row: CallbackDelivery) -> CallbackView:
    """A delivery row as a plain view."""
    return CallbackView(
        row.id, row.workspace_id, row.post_id, row.event, row.url, dict(row.payload), row.status,
        row.attempts, row.response_code, row.last_error, row.next_attempt_at, row.delivered_at,
        row.created_at,
    )  # fmt: skip


class ApiStore:
    """Every table of the API; each method is one transaction."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], token_ttl: float = TOKEN_TTL_SECONDS
    ) -> None:
        self.sessions = sessions
        self.token_ttl = token_ttl
        # token hash -> (the live token, until when on the monotonic clock it is trusted)
        self._live: dict[str, tuple[TokenView, float]] = {}
        # Bumped by every revocation here: a lookup that was in flight meanwhile may have read
        # the row before the revocation committed, so its answer is not remembered.
        self._revocations = 0

    # --- tokens -------------------------------------------------------------------------

    async def token(self, token_hash: str, now: datetime) -> TokenView | None:
        """The unrevoked token with this hash, touching ``last_used_at`` when it is live; an
        expired one comes back untouched, so the caller can say it expired.

        Asked on every API request: a live token is answered from memory for
        ``TOKEN_TTL_SECONDS`` after a lookup (one statement on the driver connection, no
        transaction; a second only for a token that is not live). Unknown, revoked and expired
        hashes are not remembered: a flood of them is the rate gate's to stop. A remembered
        token may pass its expiry within the TTL: callers compare ``expires_at`` themselves.
        """
        clock = time.monotonic()
        known = self._live.get(token_hash)
        if known is not None and clock < known[1]:
            return known[0]
        revocations = self._revocations
        async with driver(self.sessions) as conn:
            row = await conn.fetchrow(
                "UPDATE api_tokens SET last_used_at = $2 WHERE token_hash = $1"
                " AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)"
                " RETURNING *",
                token_hash,
                now,
            )
            if row is None:
                self._live.pop(token_hash, None)
                row = await conn.fetchrow(
                    "SELECT * FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
                    token_hash,
                )
                return None if row is None else _token(row)
        view = _token(row)
        if revocations != self._revocations:
            return view
        if len(self._live) >= MAX_CACHED_TOKENS:
            self._live = {k: v for k, v in self._live.items() if clock < v[1]}
            if len(self._live) >= MAX_CACHED_TOKENS:
                self._live.clear()
        self._live[token_hash] = (view, clock + self.token_ttl)
        return view

    async def tokens(self, workspace_id: uuid.UUID) -> list[TokenView]:
        """The workspace's tokens, oldest first."""
        async with self.sessions() as session:
            rows = await session.scalars(
                select(ApiToken)
                .where(ApiToken.workspace_id == workspace_id)
                .order_by(ApiToken.created_at, ApiToken.id)
            )
            return [_token(columns(r)) for r in rows]

    async def revoke_token(
        self, workspace_id: uuid.UUID, token_id: uuid.UUID, now: datetime
    ) -> TokenView:
        """Mark a token revoked (once)."""
        async with self.sessions.begin() as session:
            row = await session.get(ApiToken, token_id)
            if row is None or row.workspace_id != workspace_id:
                raise NotFound(f"No token {token_id} in this workspace.")
            if row.revoked_at is None:
                row.revoked_at = now
            view = _token(columns(row))
        self._revocations += 1
        self._live = {k: v for k, v in self._live.items() if v[0].id != token_id}
        return view

    # --- idempotency --------------------------------------------------------------------

    async def remember(
        self, workspace_id: uuid.UUID, key: str, request_hash: str, now: datetime
    ) -> Remembered | None:
        """Reserve ``key`` for this request (None), or say what it already stands for."""
        async with self.sessions.begin() as session:
            await session.execute(
                delete(IdempotencyKey).where(
                    IdempotencyKey.workspace_id == workspace_id,
                    IdempotencyKey.key == key,
                    IdempotencyKey.created_at < now - IDEMPOTENCY_TTL,
                )
            )
            inserted = await session.scalar(
                insert(IdempotencyKey)
                .values(workspace_id=workspace_id, key=key, request_hash=request_hash,
                        created_at=now)
                .on_conflict_do_nothing(index_elements=["workspace_id", "key"])
                .returning(IdempotencyKey.id)
            )  # fmt: skip
            if inserted is not None:
                return None
            row = await session.scalar(
                select(IdempotencyKey).where(
                    IdempotencyKey.workspace_id == workspace_id, IdempotencyKey.key == key
                )
            )
            assert row is not None
            return Remembered(row.request_hash, row.response_status, row.response_body)

    async def answer(self, workspace_id: uuid.UUID, key: str, status: int, body: Any) -> None:
        """Keep the response a reserved key will replay."""
        async with self.sessions.begin() as session:
            await session.execute(
                update(IdempotencyKey)
                .where(IdempotencyKey.workspace_id == workspace_id, IdempotencyKey.key == key)
                .values(response_status=status, response_body=body)
            )

    async def forget(self, workspace_id: uuid.UUID, key: str) -> None:
        """Drop a reservation whose request did not finish, so it can be tried again."""
        async with self.sessions.begin() as session:
            await session.execute(
                delete(IdempotencyKey).where(
                    IdempotencyKey.workspace_id == workspace_id, IdempotencyKey.key == key
                )
            )

    async def purge_keys(self, now: datetime) -> int:
        """Delete keys older than 24 hours."""
        async with self.sessions.begin() as session:
            result = await session.execute(
                delete(IdempotencyKey).where(IdempotencyKey.created_at < now - IDEMPOTENCY_TTL)
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    # --- hooks --------------------------------------------------------------------------

    async def add_hook(self, workspace_id: uuid.UUID, **fields: Any) -> HookView:
        """Store a new hook."""
        async with self.sessions.begin() as session:
            row = Hook(id=uuid.uuid4(), workspace_id=workspace_id, **fields)
            session.add(row)
            await session.flush()
            await session.refresh(row)
            return _hook(row)

    async def hook(self, hook_id: uuid.UUID, workspace_id: uuid.UUID | None = None) -> HookView:
        """A hook, optionally only within ``workspace_id``."""
        async with self.sessions() as session:
            row = await session.get(Hook, hook_id)
        if row is None or (workspace_id is not None and row.workspace_id != workspace_id):
            raise NotFound(f"No hook {hook_id} in this workspace.")
        return _hook(row)

    async def hooks(self, workspace_id: uuid.UUID) -> list[HookView]:
        """The workspace's hooks, oldest first."""
        async with self.sessions() as session:
            rows = await session.scalars(
                select(Hook).where(Hook.workspace_id == workspace_id).order_by(Hook.created_at)
            )
            return [_hook(r) for r in rows]

    async def update_hook(
        self, workspace_id: uuid.UUID, hook_id: uuid.UUID, **fields: Any
    ) -> HookView:
        """Change fields of a hook."""
        async with self.sessions.begin() as session:
            row = await session.get(Hook, hook_id, with_for_update=True)
            if row is None or row.workspace_id != workspace_id:
                raise NotFound(f"No hook {hook_id} in this workspace.")
            for name, value in fields.items():
                setattr(row, name, value)
            return _hook(row)

    async def delete_hook(self, workspace_id: uuid.UUID, hook_id: uuid.UUID) -> None:
        """Delete a hook (its deliveries go with it)."""
        async with self.sessions.begin() as session:
            result = await session.execute(
                delete(Hook).where(Hook.id == hook_id, Hook.workspace_id == workspace_id)
            )
            if not result.rowcount:  # type: ignore[attr-defined]
                raise NotFound(f"No hook {hook_id} in this workspace.")

    async def claim_delivery(
        self,
        hook_id: uuid.UUID,
        keys: Sequence[str],
        now: datetime,
        body_window: timedelta = BODY_WINDOW,
    ) -> tuple[bool, uuid.UUID | None]:
        """(True, None) when none of ``keys`` was seen; (False, its post) for a redelivery.

        ``keys`` are the delivery id and, where the id is not signed (GitHub), ``sha256:`` of
        the signed body: the same body within ``body_window`` is a replay whatever its id."""
        where_hook = HookDelivery.hook_id == hook_id
        async with self.sessions.begin() as session:
            await session.execute(
                delete(HookDelivery).where(
                    where_hook,
                    HookDelivery.delivery_id.in_([k for k in keys if k.startswith("sha256:")]),
                    HookDelivery.created_at < now - body_window,
                )
            )
            rows = [{"hook_id": hook_id, "delivery_id": k, "created_at": now} for k in keys]
            taken = set(
                await session.scalars(
                    insert(HookDelivery)
                    .values(rows)
                    .on_conflict_do_nothing(index_elements=["hook_id", "delivery_id"])
                    .returning(HookDelivery.delivery_id)
                )
            )
            if taken == set(keys):
                return True, None
            # A key someone else holds: a redelivery or a replay. Give back what we took.
            if taken:
                await session.execute(
                    delete(HookDelivery).where(where_hook, HookDelivery.delivery_id.in_(taken))
                )
            post_id = await session.scalar(
                select(HookDelivery.post_id)
                .where(where_hook, HookDelivery.delivery_id.in_(set(keys) - taken))
                .order_by(HookDelivery.post_id.is_(None))
                .limit(1)
            )
            return False, post_id

    async def settle_delivery(
        self, hook_id: uuid.UUID, keys: Sequence[str], post_id: uuid.UUID | None
    ) -> None:
        """Link a delivery to its post, or (None) drop it so a fixed resend can succeed."""
        async with self.sessions.begin() as session:
            where = (HookDelivery.hook_id == hook_id, HookDelivery.delivery_id.in_(keys))
            if post_id is None:
                await session.execute(delete(HookDelivery).where(*where))
            else:
                await session.execute(update(HookDelivery).where(*where).values(post_id=post_id))

    # --- accounts -----------------------------------------------------------------------

    async def remove_account(self, workspace_id: uuid.UUID, account_id: uuid.UUID) -> None:
        """Mark an account removed."""
        async with self.sessions.begin() as session:
            result = await session.execute(
                update(SocialAccount)
                .where(
                    SocialAccount.id == account_id,
                    SocialAccount.workspace_id == workspace_id,
                    SocialAccount.status != "removed",
                )
                .values(status="removed")
            )
            if not result.rowcount:  # type: ignore[attr-defined]
                raise NotFound(f"No account {account_id} in this workspace.")
