"""A Slack app's installations: the bot tokens Bolt hands over, encrypted before they are
stored and decrypted when Bolt asks, so ``bot.slack`` never touches the cipher."""

from __future__ import annotations

from typing import Any

from scheduler.runtime import Runtime
from storage.slack import SlackStore


class SlackInstalls:
    """Installations of one Slack app (``client_id``), one row per team or org."""

    def __init__(self, runtime: Runtime, store: SlackStore, client_id: str) -> None:
        self.rt = runtime
        self.store = store
        self.client_id = client_id

    async def save(
        self, fields: dict[str, Any], bot_token: str, bot_refresh_token: str | None
    ) -> None:
        """Add or replace an installation; its tokens are stored encrypted."""
        cipher = self.rt.cipher
        await self.store.save_installation(
            {
                **fields,
                "client_id": self.client_id,
                "bot_token_enc": cipher.encrypt(bot_token),
                "bot_refresh_token_enc": (
                    cipher.encrypt(bot_refresh_token) if bot_refresh_token else None
                ),
            }
        )

    async def find(self, enterprise_id: str, team_id: str) -> dict[str, Any] | None:
        """The installation's row with ``bot_token``/``bot_refresh_token`` decrypted."""
        row = await self.store.find_installation(self.client_id, enterprise_id, team_id)
        if row is None:
            return None
        cipher, refresh = self.rt.cipher, row["bot_refresh_token_enc"]
        return {
            **row,
            "bot_token": cipher.decrypt(row["bot_token_enc"]),
            "bot_refresh_token": cipher.decrypt(refresh) if refresh else None,
        }

    async def delete(self, enterprise_id: str, team_id: str) -> None:
        """Forget an installation (uninstalled, tokens revoked)."""
        await self.store.delete_installation(self.client_id, enterprise_id, team_id)
