"""Bolt's installation and OAuth-state stores, kept in Postgres (``scheduler.slack_installs``
encrypts the bot tokens at rest)."""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from core.clock import Clock
from scheduler.edge import SlackStore
from scheduler.slack_installs import SlackInstalls

log = logging.getLogger("outpost.slack")


def _moment(value: float | int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(float(value), UTC)


class PgInstallationStore(AsyncInstallationStore):
    """One row per app install (team or org); a reinstall replaces it."""

    def __init__(self, installs: SlackInstalls) -> None:
        self.installs = installs

    @property
    def logger(self) -> logging.Logger:
        """Bolt logs through this."""
        return log

    async def async_save(self, installation: Installation) -> None:
        """Keep the bot part of an installation (Outpost asks for no user scopes)."""
        if not installation.bot_token:
            return
        await self.installs.save(
            {
                "app_id": installation.app_id or "",
                "enterprise_id": installation.enterprise_id or "",
                "team_id": "" if installation.is_enterprise_install else installation.team_id or "",
                "team_name": installation.team_name or "",
                "is_enterprise_install": bool(installation.is_enterprise_install),
                "installer_user_id": installation.user_id or "",
                "bot_id": installation.bot_id or "",
                "bot_user_id": installation.bot_user_id or "",
                "bot_scopes": ",".join(installation.bot_scopes or []),
                "bot_token_expires_at": _moment(installation.bot_token_expires_at),
                "installed_at": _moment(installation.installed_at) or datetime.now(UTC),
            },
            installation.bot_token,
            installation.bot_refresh_token,
        )

    async def async_save_bot(self, bot: Bot) -> None:
        """Saving goes through ``async_save``; a bare bot adds nothing."""
        log.debug("bot saved with its installation", extra={"team_id": bot.team_id})

    async def _row(self, enterprise_id: str | None, team_id: str | None) -> dict[str, Any] | None:
        return await self.installs.find(enterprise_id or "", team_id or "")

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        """The installation for a team, with its decrypted bot token."""
        row = await self._row(enterprise_id, None if is_enterprise_install else team_id)
        if row is None:
            return None
        expires = row["bot_token_expires_at"]
        return Installation(
            app_id=row["app_id"] or None,
            enterprise_id=row["enterprise_id"] or None,
            team_id=row["team_id"] or team_id,
            team_name=row["team_name"] or None,
            bot_token=row["bot_token"],
            bot_id=row["bot_id"],
            bot_user_id=row["bot_user_id"],
            bot_scopes=row["bot_scopes"],
            bot_refresh_token=row["bot_refresh_token"],
            bot_token_expires_at=int(expires.timestamp()) if expires else None,
            user_id=row["installer_user_id"],
            is_enterprise_install=row["is_enterprise_install"],
            installed_at=row["installed_at"].timestamp(),
        )

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        """The bot of a team's installation."""
        found = await self.async_find_installation(
            enterprise_id=enterprise_id, team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        return None if found is None else found.to_bot()

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Forget a team's bot (uninstalled, tokens revoked)."""
        await self.installs.delete(enterprise_id or "", team_id or "")

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        """Forget a team's installation; a user's token revoked leaves the bot's alone (this
        store keeps bot tokens only)."""
        if user_id is not None:
            return
        await self.installs.delete(enterprise_id or "", team_id or "")


class PgStateStore(AsyncOAuthStateStore):
    """OAuth ``state`` values: random, single use, expiring."""

    def __init__(self, store: SlackStore, clock: Clock, expiration_seconds: int = 600) -> None:
        self.store = store
        self.clock = clock
        self.ttl = timedelta(seconds=expiration_seconds)

    @property
    def logger(self) -> logging.Logger:
        """Bolt logs through this."""
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        """A new state for one install attempt."""
        state = secrets.token_urlsafe(32)
        await self.store.add_state(state, self.clock.now() + self.ttl)
        return state

    async def async_consume(self, state: str) -> bool:
        """True once for a live state; a replayed or expired one is refused."""
        return await self.store.consume_state(state, self.clock.now())
