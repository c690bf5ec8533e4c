"""Accounts connected with a token typed into a form: Bluesky, Discord, Mastodon.

Each is checked against the network before anything is stored, so a typo is answered at once
and leaves nothing behind.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import aiohttp

from publishers.errors import PublishError
from publishers.http import send
from scheduler.accounts.access import LinkGrant
from scheduler.accounts.oauth import ConnectError, mastodon_identity, normalize_instance
from scheduler.accounts.usecases import connect_account
from scheduler.runtime import Runtime
from storage.views import AccountView

DEFAULT_PDS = "https://bsky.social"


def _timeout(runtime: Runtime) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=runtime.settings.publish_timeout_seconds)


async def connect_bluesky(
    runtime: Runtime, grant: LinkGrant, handle: str, app_password: str, pds: str = ""
) -> AccountView:
    """Check the app password with ``createSession``, then store it encrypted."""
    base = normalize_instance(pds) if pds.strip() else DEFAULT_PDS
    identifier = handle.strip().lstrip("@")
    try:
        resp = await send(
            runtime.http,
            "POST",
            base + "/xrpc/com.atproto.server.createSession",
            client_timeout=_timeout(runtime),
            label="Bluesky",
            json_body={"identifier": identifier, "password": app_password.strip()},
        )
    except PublishError as exc:
        raise ConnectError(
            f"Bluesky did not accept that handle and app password ({exc.message}).",
            "Create an app password under Settings > Privacy and security > App passwords.",
        ) from None
    data = resp.data or {}
    return await connect_account(
        runtime,
        grant.workspace_id,
        "bluesky",
        "@" + str(data.get("handle") or identifier),
        app_password.strip(),
        base_url=base,
        display_name=str(data.get("handle") or identifier),
        settings={"identifier": identifier, "did": data.get("did")},
        user_id=grant.user_id,
    )


async def connect_discord(runtime: Runtime, grant: LinkGrant, webhook_url: str) -> AccountView:
    """Check a channel webhook URL with ``GET`` (Discord answers its name), then store it."""
    url = webhook_url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or "/api/webhooks/" not in parts.path:
        raise ConnectError(
            "That is not a Discord webhook URL.",
            "Copy it from Channel settings > Integrations > Webhooks.",
        )
    try:
        resp = await send(
            runtime.http, "GET", url, client_timeout=_timeout(runtime), label="Discord"
        )
    except PublishError:
        raise ConnectError("Discord does not know that webhook.", "Copy the URL again.") from None
    data = resp.data or {}
    name = str(data.get("name") or "discord")
    return await connect_account(
        runtime,
        grant.workspace_id,
        "discord",
        name,
        # The URL's last segment is the webhook's secret; the publisher reads it from base_url.
        url.rsplit("/", 1)[-1],
        base_url=url,
        display_name=name,
        settings={"channel_id": data.get("channel_id"), "guild_id": data.get("guild_id")},
        user_id=grant.user_id,
    )


async def connect_mastodon_token(
    runtime: Runtime, grant: LinkGrant, raw_instance: str, token: str
) -> AccountView:
    """Check an access token with ``verify_credentials``, then store it encrypted."""
    instance = normalize_instance(raw_instance)
    try:
        handle, name = await mastodon_identity(runtime, instance, token.strip())
    except PublishError as exc:
        raise ConnectError(
            f"Mastodon did not accept that token ({exc.message}).",
            "Create one under Preferences > Development with the write scope.",
        ) from None
    return await connect_account(
        runtime,
        grant.workspace_id,
        "mastodon",
        handle,
        token.strip(),
        base_url=instance,
        display_name=name,
        user_id=grant.user_id,
    )
