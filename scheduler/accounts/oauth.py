"""Connecting accounts: OAuth start and callback per network, Mastodon by instance, and the
token-based forms (Bluesky, Discord, Mastodon access token). Facebook and Threads trade the
code's short-lived token for a long-lived one first; the Page choice is in ``accounts_meta``.

A state is random, stored as its SHA-256, single use and 10 minutes long; its PKCE verifier
is stored encrypted. A state is bound to the browser that started it (the hash of its connect
cookie) and records the connect link that started it, so a link starts one attempt only;
the token-based forms get a state of their own (``{platform}:form``) that the form sends back.
Nothing here logs or shows a code, token or secret.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from publishers.errors import PublishError
from publishers.http import send
from publishers.oauth import (
    LONG_LIVED,
    Provider,
    Tokens,
    authorize_url,
    exchange_code,
    pkce_pair,
)
from scheduler.accounts.access import (
    STATE_TTL,
    ConnectError,
    LinkGrant,
    LinkInvalid,
    account_store,
    hash_secret,
    oauth_providers,
    slug,
)
from scheduler.accounts.meta import Choice, choose, hold_pages, long_lived
from scheduler.accounts.usecases import connect_account
from scheduler.runtime import Runtime
from storage.views import AccountView

__all__ = [
    "Choice", "ConnectError", "LinkUsed", "callback_url", "choose", "finish", "open_form",
    "resume_form", "start",
]  # fmt: skip
# Instagram business accounts are reached through a Facebook login and its Pages.
FLOW = {"instagram": "facebook"}
MASTODON_SCOPES = "read write"
log = logging.getLogger(__name__)


class LinkUsed(LinkInvalid):
    """A connect link that already started a connection: links are used once."""

    code = "link_used"


def callback_url(runtime: Runtime, platform: str) -> str:
    """The redirect URI registered with the network."""
    return f"{runtime.settings.base_url}/connect/{platform}/callback"


def _provider(runtime: Runtime, platform: str) -> Provider:
    provider = oauth_providers(runtime).get(platform)
    if provider is None:
        raise ConnectError(f"{platform} does not connect through OAuth.")
    if not provider.configured:
        name = platform.upper()
        raise ConnectError(
            f"{provider.label} is not set up on this Outpost.",
            f"An operator must set {name}_CLIENT_ID and {name}_CLIENT_SECRET.",
        )
    return provider


def browser_hash(nonce: str) -> str:
    """What a state keeps of the starting browser's connect cookie; no cookie matches none."""
    return hash_secret(nonce) if nonce else "-"


async def _new_state(
    runtime: Runtime,
    grant: LinkGrant,
    platform: str,
    pkce: bool,
    *,
    browser: str,
    instance: str = "",
    link: str = "",
) -> tuple[str, str]:
    state = secrets.token_urlsafe(32)
    verifier, challenge = pkce_pair() if pkce else ("", "")
    fresh = await account_store(runtime).add_state(
        hash_secret(state),
        grant.workspace_id,
        platform,
        user_id=grant.user_id,
        verifier_enc=runtime.cipher.encrypt(verifier) if verifier else None,
        redirect_uri=callback_url(runtime, platform),
        expires_at=runtime.clock.now() + STATE_TTL,
        instance_url=instance,
        browser_hash=browser_hash(browser),
        link_hash=hash_secret(link) if link else None,
    )
    if not fresh:
        name = platform.split(":", 1)[0]
        raise LinkUsed(
            "This connect link was already used.",
            f"Ask the bot for a new one: type `connect {name}` in Slack or Telegram.",
        )
    return state, challenge


async def start(
    runtime: Runtime, platform: str, grant: LinkGrant, *, browser: str, link: str
) -> str:
    """The network's authorize URL for a new connect attempt; uses ``link`` up and binds the
    attempt to the browser whose connect cookie is ``browser``."""
    flow = FLOW.get(platform, platform)
    provider = _provider(runtime, flow)
    # PKCE costs nothing, so it is sent wherever the network accepts it, not only where required.
    state, challenge = await _new_state(
        runtime, grant, flow, pkce=flow in ("x", "linkedin"), browser=browser, link=link
    )
    return authorize_url(provider, callback_url(runtime, flow), state, challenge)


def _form(platform: str) -> str:
    return f"{platform}:form"


async def open_form(
    runtime: Runtime, platform: str, grant: LinkGrant, *, browser: str, link: str
) -> str:
    """Use ``link`` up for a form-based network; the token the form sends back instead."""
    token, _ = await _new_state(runtime, grant, _form(platform), False, browser=browser, link=link)
    return token


async def resume_form(runtime: Runtime, platform: str, token: str, browser: str) -> LinkGrant:
    """Who a connect form speaks for, when this browser opened it in the last 10 minutes."""
    found = await account_store(runtime).peek_state(
        hash_secret(token), _form(platform), runtime.clock.now(), browser_hash(browser)
    )
    if found is None:
        raise ConnectError(
            "This form did not open in this browser, or it expired (10 minutes).",
            f"Ask the bot for a new link: type `connect {platform}` in Slack or Telegram.",
        )
    return LinkGrant(found.workspace_id, found.user_id)


async def finish(
    runtime: Runtime, platform: str, query: Mapping[str, str], *, browser: str
) -> list[AccountView] | Choice:
    """Handle the network's redirect back: check the state (and that it comes back to the
    browser that started it), exchange the code, store tokens."""
    store, now = account_store(runtime), runtime.clock.now()
    again = f"Start again from /connect/{platform}."
    taken = await store.take_state(
        hash_secret(query.get("state", "")), platform, now, browser_hash(browser)
    )
    if taken is None:
        raise ConnectError(
            "This sign-in did not start here or in this browser, or it was already used or "
            "expired (10 minutes).",
            again,
        )
    if query.get("error"):
        raise ConnectError(f"The network said: {str(query.get('error', ''))[:100]}.", again)
    code = query.get("code", "")
    if not code:
        raise ConnectError("The network sent no authorization code.", again)
    verifier = runtime.cipher.decrypt(taken.verifier_enc) if taken.verifier_enc else ""
    if platform == "mastodon":
        provider = await _mastodon_provider(runtime, taken.instance_url)
    else:
        provider = _provider(runtime, platform)
    try:
        # A Mastodon server is one the user typed; the other providers are the operator's.
        http = runtime.http if platform == "mastodon" else runtime.operator_http
        tokens = await exchange_code(
            http, provider, code, taken.redirect_uri, verifier, now=runtime.clock.now
        )
        if platform in LONG_LIVED:
            tokens = await long_lived(runtime, provider, tokens)
        if platform == "facebook":
            return await hold_pages(runtime, provider, tokens, taken.id)
        return await _store(runtime, platform, provider, tokens, taken.workspace_id, taken.user_id)
    except PublishError as exc:
        raise ConnectError(exc.message, again) from None


async def _store(
    runtime: Runtime,
    platform: str,
    provider: Provider,
    tokens: Tokens,
    workspace_id: Any,
    user_id: Any,
) -> list[AccountView]:
    who = await _identities(runtime, platform, provider, tokens.access_token)
    made = []
    for handle, name, base_url, settings in who:
        made.append(
            await connect_account(
                runtime,
                workspace_id,
                platform,
                handle,
                tokens.access_token,
                refresh_token=tokens.refresh_token,
                expires_at=tokens.expires_at,
                base_url=base_url,
                display_name=name,
                settings=settings,
                user_id=user_id,
            )
        )
    return made


async def _get(runtime: Runtime, url: str, token: str, label: str, **headers: str) -> Any:
    resp = await send(
        runtime.operator_http,
        "GET",
        url,
        client_timeout=aiohttp.ClientTimeout(total=runtime.settings.publish_timeout_seconds),
        label=label,
        headers={"Authorization": f"Bearer {token}", **headers},
    )
    return resp.data or {}


async def _identities(
    runtime: Runtime, platform: str, provider: Provider, token: str
) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(handle, display name, base URL, settings) of each account the token can post as."""
    api = provider.api_url
    if platform == "mastodon":
        handle, name = await mastodon_identity(runtime, api, token)
        return [(handle, name, api, {})]
    if platform == "linkedin":
        me = await _get(runtime, api + "/v2/userinfo", token, "LinkedIn")
        found = [(slug(me.get("name", "me")), me.get("name", ""), api,
                  {"author": f"urn:li:person:{me['sub']}", "kind": "person"})]  # fmt: skip
        if runtime.settings.linkedin_organizations:
            found += await _linkedin_pages(runtime, api, token)
        return found
    if platform == "threads":
        version = provider.api_version or "v1.0"
        me = await _get(runtime, f"{api}/{version}/me?fields=id,username", token, "Threads")
        return [(me["username"], me["username"], api, {"threads_user_id": str(me["id"])})]
    if platform == "x":
        me = await _get(runtime, api + "/2/users/me", token, "X")
        data = me.get("data", {})
        return [(data["username"], data.get("name", ""), api, {"user_id": str(data["id"])})]
    raise ConnectError(f"{platform} cannot be connected this way.")


async def _linkedin_pages(
    runtime: Runtime, api: str, token: str
) -> list[tuple[str, str, str, dict[str, Any]]]:
    """The organization pages the member administers; none when LinkedIn will not say.

    Needs the Community Management API product (``r_organization_admin``). A refusal here must
    not cost the member their own account, so it is logged and the pages are left out.
    """
    versioned = {"LinkedIn-Version": runtime.settings.linkedin_version,
                 "X-Restli-Protocol-Version": "2.0.0"}  # fmt: skip
    found: list[tuple[str, str, str, dict[str, Any]]] = []
    try:
        acls = await _get(
            runtime,
            api + "/rest/organizationAcls?q=roleAssignee&role=ADMINISTRATOR&state=APPROVED",
            token,
            "LinkedIn",
            **versioned,
        )
        for acl in acls.get("elements", []):
            urn = str(acl["organization"])
            org = await _get(runtime, f"{api}/rest/organizations/{urn.rsplit(':', 1)[1]}",
                             token, "LinkedIn", **versioned)  # fmt: skip
            handle = org.get("vanityName") or slug(org.get("localizedName", urn))
            found.append((handle, org.get("localizedName", handle), api,
                          {"author": urn, "kind": "organization"}))  # fmt: skip
    except PublishError as exc:
        log.warning(
            "LinkedIn organization pages could not be listed; connecting the member only",
            extra={"error": exc.code, "detail": exc.message},
        )
        return []
    return found


def normalize_instance(raw: str) -> str:
    """``mastodon.social`` or ``https://mastodon.social/`` -> ``https://mastodon.social``."""
    value = raw.strip().rstrip("/")
    if "://" not in value:
        value = "https://" + value.lstrip("@").split("@")[-1]
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConnectError(f"{raw!r} is not a server address.", "Type it like mastodon.social")
    return f"{parts.scheme}://{parts.netloc}"


async def _mastodon_provider(runtime: Runtime, instance: str) -> Provider:
    app = await account_store(runtime).mastodon_app(instance)
    if app is None:
        raise ConnectError("This Mastodon server was not registered.", "Start again.")
    client_id, secret_enc, _ = app
    return Provider(
        "mastodon", "Mastodon", f"{instance}/oauth/authorize", f"{instance}/oauth/token",
        MASTODON_SCOPES, True, "body", "none", instance, client_id,
        runtime.cipher.decrypt(secret_enc),
    )  # fmt: skip


async def start_mastodon(
    runtime: Runtime, grant: LinkGrant, raw_instance: str, *, browser: str
) -> str:
    """Register Outpost on the instance (once), then return its authorize URL."""
    instance = normalize_instance(raw_instance)
    redirect = callback_url(runtime, "mastodon")
    store = account_store(runtime)
    known = await store.mastodon_app(instance)
    if known is None or known[2] != redirect:
        form = {"client_name": "Outpost", "redirect_uris": redirect, "scopes": MASTODON_SCOPES}
        try:
            resp = await send(
                runtime.http,
                "POST",
                instance + "/api/v1/apps",
                client_timeout=aiohttp.ClientTimeout(
                    total=runtime.settings.publish_timeout_seconds
                ),
                label="Mastodon",
                data=form,
            )
        except PublishError as exc:
            raise ConnectError(exc.message, "Check the server address and try again.") from None
        data = resp.data or {}
        secret = runtime.cipher.encrypt(str(data["client_secret"]))
        await store.save_mastodon_app(instance, str(data["client_id"]), secret, redirect)
    provider = await _mastodon_provider(runtime, instance)
    state, challenge = await _new_state(
        runtime, grant, "mastodon", pkce=True, browser=browser, instance=instance
    )
    return authorize_url(provider, redirect, state, challenge)


async def mastodon_identity(runtime: Runtime, instance: str, token: str) -> tuple[str, str]:
    """(``@user@host``, display name) of a Mastodon token."""
    me = await _get(runtime, instance + "/api/v1/accounts/verify_credentials", token, "Mastodon")
    host = urlsplit(instance).netloc
    return f"@{me['username']}@{host}", str(me.get("display_name") or me["username"])
