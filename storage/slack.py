"""The Slack adapter's rows: installations, OAuth states, handled deliveries, post origins."""

from __future__ import annotations

import json
import random
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import ScheduledPost
from storage.rows import driver
from storage.slack_models import SlackInstallation, SlackOAuthState

# Slack retries a delivery for a few minutes; a day of keys is ample and keeps the table small.
DELIVERY_TTL = timedelta(days=1)
CLAIM_DELIVERY = """
INSERT INTO slack_deliveries (key, received_at) VALUES ($1, $2)
ON CONFLICT (key) DO UPDATE SET received_at = EXCLUDED.received_at
    WHERE slack_deliveries.received_at < $3
RETURNING key
"""
INSTALLATION_FIELDS = (
    "client_id", "app_id", "enterprise_id", "team_id", "team_name", "is_enterprise_install",
    "installer_user_id", "bot_id", "bot_user_id", "bot_scopes", "bot_token_enc",
    "bot_refresh_token_enc", "bot_token_expires_at", "installed_at",
)


class SlackStore:
    """Queries of the Slack adapter, on the process's sessionmaker."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def claim_delivery(self, key: str, now: datetime) -> bool:
        """True the first time ``key`` is seen (within a day); False for a retry or replay."""
        # Every command and event starts here: one statement on the driver connection.
        async with driver(self.sessions) as conn:
            claimed = await conn.fetchval(CLAIM_DELIVERY, key[:200], now, now - DELIVERY_TTL)
            if random.random() < 0.01:
                await conn.execute(
                    "DELETE FROM slack_deliveries WHERE received_at < $1", now - DELIVERY_TTL
                )
        return claimed is not None

    async def merge_origin(self, post_id: uuid.UUID, patch: dict[str, Any]) -> None:
        """Merge ``patch`` into the post's ``origin`` (e.g. the summary message's ts)."""
        async with driver(self.sessions) as conn:
            await conn.execute(
                "UPDATE scheduled_posts SET origin = origin || $2::jsonb WHERE id = $1",
                post_id,
                json.dumps(patch),
            )

    async def origin(self, post_id: uuid.UUID) -> dict[str, Any] | None:
        """The post's stored origin, or None when there is no such post."""
        async with self.sessions() as session:
            found: dict[str, Any] | None = await session.scalar(
                select(ScheduledPost.origin).where(ScheduledPost.id == post_id)
            )
        return found

    async def save_installation(self, values: dict[str, Any]) -> None:
        """Insert an installation, or replace the one for the same app and team."""
        row = {k: values[k] for k in INSTALLATION_FIELDS if k in values}
        async with self.sessions.begin() as session:
            stmt = insert(SlackInstallation).values(id=uuid.uuid4(), **row)
            await session.execute(
                stmt.on_conflict_do_update(
                    constraint="uq_slack_installations",
                    set_={k: stmt.excluded[k] for k in row if k not in ("client_id",)},
                )
            )

    async def find_installation(
        self, client_id: str, enterprise_id: str, team_id: str
    ) -> dict[str, Any] | None:
        """The installation for a team (or an org-wide one for its enterprise)."""
        async with self.sessions() as session:
            rows = list(
                await session.scalars(
                    select(SlackInstallation).where(
                        SlackInstallation.client_id == client_id,
                        SlackInstallation.enterprise_id == enterprise_id,
                        (SlackInstallation.team_id == team_id)
                        | SlackInstallation.is_enterprise_install,
                    )
                )
            )
        rows.sort(key=lambda r: (r.team_id != team_id, -r.installed_at.timestamp()))
        if not rows:
            return None
        return {k: getattr(rows[0], k) for k in INSTALLATION_FIELDS}

    async def delete_installation(self, client_id: str, enterprise_id: str, team_id: str) -> None:
        """Forget an installation (app uninstalled or tokens revoked)."""
        async with self.sessions.begin() as session:
            await session.execute(
                delete(SlackInstallation).where(
                    SlackInstallation.client_id == client_id,
                    SlackInstallation.enterprise_id == enterprise_id,
                    SlackInstallation.team_id == team_id,
                )
            )

    async def add_state(self, state: str, expires_at: datetime) -> None:
        """Remember an OAuth state until it is used or expires."""
        async with self.sessions.begin() as session:
            session.add(SlackOAuthState(state=state, expires_at=expires_at))

    async def consume_state(self, state: str, now: datetime) -> bool:
        """Use up a state: True only once, and only before it expires."""
        async with self.sessions.begin() as session:
            found = await session.scalar(
                delete(SlackOAuthState)
                .where(SlackOAuthState.state == state)
                .returning(SlackOAuthState.expires_at)
            )
            await session.execute(delete(SlackOAuthState).where(SlackOAuthState.expires_at < now))
        return found is not None and found > now
