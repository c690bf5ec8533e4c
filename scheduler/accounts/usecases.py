"""Connecting and disconnecting accounts: the one place an account's tokens are encrypted and
its row written, whoever asks (a chat, the connect pages, the REST API, the shell).

Connecting the same (workspace, platform, handle) again replaces its tokens and settings.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.errors import LimitReached
from publishers.signing import generate_secret
from scheduler.accounts.access import account_store
from scheduler.api_tokens import api_store
from scheduler.plans import quota, refused, workspace_plan
from scheduler.runtime import Runtime
from storage.views import AccountView


@dataclass(frozen=True)
class Connected:
    """A connected account, and the signing secret made for it (shown once) if any."""

    account: AccountView
    secret: str | None = None


async def connect_account(
    rt: Runtime,
    workspace_id: uuid.UUID,
    platform: str,
    handle: str,
    token: str,
    *,
    refresh_token: str | None = None,
    expires_at: datetime | None = None,
    base_url: str = "",
    display_name: str | None = None,
    settings: dict[str, Any] | None = None,
    user_id: uuid.UUID | None = None,
) -> AccountView:
    """Encrypt the tokens and add the account (or renew the one with this handle).

    A new account must fit the plan's connected accounts (checked under the workspace's lock
    in the same transaction as the insert); refused, nothing is written.
    """
    plan = await workspace_plan(rt, workspace_id)
    try:
        return await account_store(rt).connect(
            workspace_id,
            platform,
            handle,
            rt.cipher.encrypt(token),
            refresh_token_enc=rt.cipher.encrypt(refresh_token) if refresh_token else None,
            expires_at=expires_at,
            base_url=base_url,
            display_name=display_name,
            settings=settings,
            user_id=user_id,
            quota=quota(rt, plan, "accounts", platform, handle),
        )
    except LimitReached as exc:
        raise await refused(rt, workspace_id, plan, exc) from None


async def connect_with_token(
    rt: Runtime,
    workspace_id: uuid.UUID,
    platform: str,
    handle: str,
    token: str | None,
    *,
    base_url: str = "",
    display_name: str | None = None,
    settings: dict[str, Any] | None = None,
) -> Connected:
    """A token-based account (the API, the shell); a webhook given no token gets a new
    ``whsec_`` signing secret, returned once and stored encrypted like any token."""
    secret = generate_secret() if platform == "webhook" and not token else None
    account = await connect_account(
        rt,
        workspace_id,
        platform,
        handle,
        secret or token or "",
        base_url=base_url,
        display_name=display_name,
        settings=settings,
    )
    return Connected(account, secret)


async def disconnect_account(rt: Runtime, workspace_id: uuid.UUID, account_id: uuid.UUID) -> None:
    """Mark the account removed; NotFound when it is not in the workspace."""
    await api_store(rt).remove_account(workspace_id, account_id)


async def list_accounts(rt: Runtime, workspace_id: uuid.UUID) -> list[AccountView]:
    """The workspace's connected accounts (removed ones left out)."""
    return await rt.workspaces.accounts(workspace_id)
