"""Facebook Pages and Instagram through one Facebook Login: long-lived tokens, the Page choice.

The code exchange gives a short-lived user token (an hour or two); Page tokens listed with it
die with it. So the user token is first traded for a long-lived one (about 60 days) and the
Pages are listed with that: Page tokens derived from a long-lived user token have no expiry,
and are stored with none. The user token itself is not kept: publishing needs only the Page's.
A Page token that later stops working (password change, app removed) is answered with Graph
code 190, which marks the account to reconnect.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

import aiohttp

from publishers.facebook import GRAPH_VERSION, graph_send
from publishers.oauth import Provider, Tokens, exchange_long_lived
from scheduler.accounts.access import STATE_TTL, ConnectError, account_store, hash_secret, slug
from scheduler.accounts.usecases import connect_account
from scheduler.runtime import Runtime
from storage.views import AccountView


@dataclass(frozen=True)
class Option:
    """A Page or Instagram account the person may pick."""

    key: str
    platform: str
    name: str
    handle: str


@dataclass(frozen=True)
class Choice:
    """Pages and Instagram accounts to choose from, behind a one-time token."""

    token: str
    options: tuple[Option, ...]


async def long_lived(runtime: Runtime, provider: Provider, tokens: Tokens) -> Tokens:
    """The long-lived user token for a short-lived one (Facebook and Threads)."""
    return await exchange_long_lived(
        runtime.operator_http,
        provider,
        tokens.access_token,
        limit=runtime.settings.publish_timeout_seconds,
        now=runtime.clock.now,
    )


async def hold_pages(runtime: Runtime, provider: Provider, tokens: Tokens, state_id: Any) -> Choice:
    """List the person's Pages (and their Instagram accounts) and keep them for the choice.

    ``tokens`` must be the long-lived user token: the Page tokens listed inherit its lifetime.
    """
    fields = "id,name,access_token,instagram_business_account{id,username}"
    version = provider.api_version or GRAPH_VERSION
    resp = await graph_send(
        runtime.operator_http,
        "GET",
        f"{provider.api_url}/{version}/me/accounts?fields={fields}&limit=100",
        client_timeout=aiohttp.ClientTimeout(total=runtime.settings.publish_timeout_seconds),
        label="Facebook",
        token=tokens.access_token,
    )
    pages = [p for p in (resp.data or {}).get("data", []) if p.get("access_token")]
    if not pages:
        raise ConnectError(
            "This Facebook login manages no Pages Outpost may post to.",
            "Grant access to at least one Page when Facebook asks, then try again.",
        )
    options: list[Option] = []
    for page in pages:
        options.append(
            Option(f"facebook:{page['id']}", "facebook", page["name"], slug(page["name"]))
        )
        ig = page.get("instagram_business_account")
        if ig:
            options.append(
                Option(f"instagram:{ig['id']}", "instagram", page["name"], ig["username"])
            )
    token = secrets.token_urlsafe(32)
    held = runtime.cipher.encrypt(json.dumps({"pages": pages, "api": provider.api_url}))
    await account_store(runtime).hold_choice(
        state_id, hash_secret(token), held, runtime.clock.now() + STATE_TTL
    )
    return Choice(token, tuple(options))


async def choose(runtime: Runtime, token: str, picked: list[str]) -> list[AccountView]:
    """Connect the Pages and Instagram accounts picked from a Choice (tokens without expiry)."""
    taken = await account_store(runtime).take_choice(hash_secret(token), runtime.clock.now())
    if taken is None or taken.pending_enc is None:
        raise ConnectError(
            "This choice was already made or has expired.", "Start again from /connect/facebook."
        )
    held = json.loads(runtime.cipher.decrypt(taken.pending_enc))
    made: list[AccountView] = []
    for page in held["pages"]:
        ig = page.get("instagram_business_account") or {}
        targets = [("facebook", str(page["id"]), slug(page["name"]), {"page_id": str(page["id"])})]
        if ig:
            targets.append(("instagram", str(ig["id"]), str(ig["username"]),
                            {"ig_user_id": str(ig["id"]), "page_id": str(page["id"])}))  # fmt: skip
        for platform, ident, handle, settings in targets:
            if f"{platform}:{ident}" not in picked:
                continue
            made.append(
                await connect_account(
                    runtime,
                    taken.workspace_id,
                    platform,
                    handle,
                    page["access_token"],
                    expires_at=None,  # a Page token from a long-lived user token never expires
                    base_url=held["api"],
                    display_name=page["name"],
                    settings=settings,
                    user_id=taken.user_id,
                )
            )
    if not made:
        raise ConnectError("No Page or Instagram account was picked.", "Tick at least one.")
    return made
