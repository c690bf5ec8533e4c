"""Callback endpoints, the workspace signing secret, and the delivery log."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.batch import Batcher
from core.errors import Conflict, NotFound
from core.states import CallbackEvent
from storage.api import CallbackView, callback_view
from storage.api_models import CallbackDelivery, CallbackEndpoint, CallbackSecret
from storage.rows import driver


@dataclass(frozen=True)
class EndpointView:
    """A workspace-wide callback URL."""

    id: uuid.UUID
    workspace_id: uuid.UUID
    url: str
    created_at: datetime


@dataclass(frozen=True)
class NewCallback:
    """An event to deliver to one URL; ``dedupe_key`` makes queuing it twice harmless."""

    workspace_id: uuid.UUID
    post_id: uuid.UUID | None  # None: an account event
    event: CallbackEvent
    url: str
    dedupe_key: str
    payload: dict[str, Any]


class CallbackStore:
    """Each method is one transaction."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        # A request must not wait for company; a worker finishing hundreds of posts should.
        self._listening = Batcher(self._listening_many)
        self._listening_late = Batcher(self._listening_many, window=0.02)

    async def secret(self, workspace_id: uuid.UUID, make: Callable[[], str]) -> str:
        """The workspace's encrypted signing secret, made with ``make()`` on first use."""
        async with self.sessions.begin() as session:
            await session.execute(
                insert(CallbackSecret)
                .values(workspace_id=workspace_id, secret_enc=make())
                .on_conflict_do_nothing(index_elements=["workspace_id"])
            )
            value = await session.scalar(
                select(CallbackSecret.secret_enc).where(CallbackSecret.workspace_id == workspace_id)
            )
        assert value is not None
        return value

    async def add_endpoint(self, workspace_id: uuid.UUID, url: str) -> EndpointView:
        """Add a callback URL; 409 if it is already there."""
        async with self.sessions.begin() as session:
            row = await session.scalar(
                insert(CallbackEndpoint)
                .values(id=uuid.uuid4(), workspace_id=workspace_id, url=url)
                .on_conflict_do_nothing(index_elements=["workspace_id", "url"])
                .returning(CallbackEndpoint)
            )
            if row is None:
                raise Conflict(f"{url} is already a callback endpoint of this workspace.")
            return EndpointView(row.id, row.workspace_id, row.url, row.created_at)

    async def listening(self, workspace_id: uuid.UUID, *, batched: bool = False) -> bool:
        """Whether the workspace has any callback URL; concurrent asks go out as one query.

        ``batched`` waits up to 20 ms for other asks (the worker, once per finished post).
        """
        if batched:
            return await self._listening_late(workspace_id)
        return await self._listening(workspace_id)

    async def _listening_many(self, workspace_ids: list[uuid.UUID]) -> list[bool]:
        async with driver(self.sessions) as conn:
            rows = await conn.fetch(
                "SELECT DISTINCT workspace_id FROM api_callback_endpoints"
                " WHERE workspace_id = ANY($1::uuid[])",
                workspace_ids,
            )
        found = {r["workspace_id"] for r in rows}
        return [w in found for w in workspace_ids]

    async def endpoints(self, workspace_id: uuid.UUID) -> list[EndpointView]:
        """The workspace's callback URLs."""
        async with self.sessions() as session:
            rows = await session.scalars(
                select(CallbackEndpoint)
                .where(CallbackEndpoint.workspace_id == workspace_id)
                .order_by(CallbackEndpoint.created_at, CallbackEndpoint.id)
            )
            return [EndpointView(r.id, r.workspace_id, r.url, r.created_at) for r in rows]

    async def remove_endpoint(self, workspace_id: uuid.UUID, endpoint_id: uuid.UUID) -> None:
        """Remove a callback URL."""
        async with self.sessions.begin() as session:
            result = await session.execute(
                delete(CallbackEndpoint).where(
                    CallbackEndpoint.id == endpoint_id,
                    CallbackEndpoint.workspace_id == workspace_id,
                )
            )
            if not result.rowcount:  # type: ignore[attr-defined]
                raise NotFound(f"No callback endpoint {endpoint_id} in this workspace.")

    async def add(self, items: Sequence[NewCallback], now: datetime) -> list[uuid.UUID]:
        """Record deliveries; returns the ids of the ones not recorded before."""
        ids: list[uuid.UUID] = []
        async with self.sessions.begin() as session:
            for item in items:
                new_id = await session.scalar(
                    insert(CallbackDelivery)
                    .values(
                        id=uuid.uuid4(),
                        workspace_id=item.workspace_id,
                        post_id=item.post_id,
                        event=item.event,
                        url=item.url,
                        dedupe_key=item.dedupe_key,
                        payload=item.payload,
                        status="pending",
                        attempts=0,
                        next_attempt_at=now,
                    )
                    .on_conflict_do_nothing(index_elements=["dedupe_key"])
                    .returning(CallbackDelivery.id)
                )
                if new_id is not None:
                    ids.append(new_id)
        return ids

    async def get(self, delivery_id: uuid.UUID) -> CallbackView | None:
        """One delivery, or None."""
        async with self.sessions() as session:
            row = await session.get(CallbackDelivery, delivery_id)
        return None if row is None else callback_view(row)

    async def record(
        self,
        delivery_id: uuid.UUID,
        *,
        status: str,
        response_code: int | None,
        error: str | None,
        next_attempt_at: datetime | None,
        now: datetime,
    ) -> None:
        """Count one attempt; only a pending delivery moves."""
        values: dict[str, Any] = {
            "status": status,
            "attempts": CallbackDelivery.attempts + 1,
            "response_code": response_code,
            "last_error": error,
            "next_attempt_at": next_attempt_at,
        }
        if status == "delivered":
            values["delivered_at"] = now
        async with self.sessions.begin() as session:
            await session.execute(
                update(CallbackDelivery)
                .where(CallbackDelivery.id == delivery_id, CallbackDelivery.status == "pending")
                .values(**values)
            )

    async def for_post(self, workspace_id: uuid.UUID, post_id: uuid.UUID) -> list[CallbackView]:
        """A post's deliveries, oldest first."""
        async with self.sessions() as session:
            rows = await session.scalars(
                select(CallbackDelivery)
                .where(
                    CallbackDelivery.workspace_id == workspace_id,
                    CallbackDelivery.post_id == post_id,
                )
                .order_by(CallbackDelivery.created_at, CallbackDelivery.url)
            )
            return [callback_view(r) for r in rows]

    async def overdue(self, before: datetime, limit: int = 500) -> list[uuid.UUID]:
        """Pending deliveries whose next attempt is past ``before`` (their job may be lost)."""
        async with self.sessions() as session:
            rows = await session.scalars(
                select(CallbackDelivery.id)
                .where(
                    CallbackDelivery.status == "pending",
                    CallbackDelivery.next_attempt_at < before,
                )
                .order_by(CallbackDelivery.next_attempt_at)
                .limit(limit)
            )
            return list(rows)
