"""Account tokens: signed connect links, refresh before expiry and after a 401, reconnect.

One refresh at a time per account, across every worker: the refresh runs inside
``AccountStore.refresh_locked`` (a Postgres advisory lock for the transaction), re-reads the
row under the lock and skips the call when another worker already renewed it; the new access
token and a rotated refresh token are committed together. Threads has no refresh token: its
long-lived access token renews itself (``th_refresh_token``) in the week before it expires.
A refused refresh marks the account ``reconnect``, fails its pending destinations with the
reason, and finalizes their posts so the chat that asked is told.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import timedelta

from core.errors import OutpostError
from core.states import CallbackEvent
from publishers.base import Publisher, PublishRequest, Receipt
from publishers.errors import AuthRevoked
from publishers.oauth import GrantRefused, Provider, providers, refresh_tokens
from scheduler.hooks.callbacks import emit_account
from scheduler.runtime import Runtime
from storage.accounts import AccountStore, TokenRow, TokenUpdate
from storage.views import AccountView

LINK_TTL = timedelta(minutes=15)
STATE_TTL = timedelta(minutes=10)
REFRESH_MARGIN = timedelta(minutes=10)
# Threads renews a 60-day token with itself, and only once it is a day old: renewing in its
# last week keeps an account that posts at least weekly connected without a person.
LONG_MARGINS = {"threads": timedelta(days=7)}


class LinkInvalid(OutpostError):
    """A connect link that was tampered with, is for another network, or has expired."""

    code = "link_invalid"


class ConnectError(OutpostError):
    """A connect attempt that cannot go on; ``message`` says why, ``hint`` what to do."""

    code = "connect_failed"


def hash_secret(value: str) -> str:
    """How states and choice tokens are stored: their SHA-256, never the value."""
    return hashlib.sha256(value.encode()).hexdigest()


def slug(name: str) -> str:
    """A handle made from a display name."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "account"


@dataclass(frozen=True)
class LinkGrant:
    """Who a valid connect link speaks for."""

    workspace_id: uuid.UUID
    user_id: uuid.UUID | None


def account_store(runtime: Runtime) -> AccountStore:
    """The runtime's account store."""
    return runtime.accounts


def oauth_providers(runtime: Runtime) -> dict[str, Provider]:
    """The OAuth provider table built from settings."""
    return providers(runtime.settings)


def _sign(runtime: Runtime, payload: str) -> str:
    key = runtime.settings.secret_key.get_secret_value().encode()
    mac = hmac.new(key, b"connect:" + payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:24]).decode().rstrip("=")


def connect_link(
    runtime: Runtime, workspace_id: uuid.UUID, user_id: uuid.UUID | None, platform: str
) -> str:
    """A link the bots send: opens ``/connect/{platform}`` for this workspace, 15 minutes."""
    expires = int((runtime.clock.now() + LINK_TTL).timestamp())
    payload = f"{workspace_id}.{user_id or '-'}.{platform}.{expires}"
    token = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
    return f"{runtime.settings.base_url}/connect/{platform}?link={token}.{_sign(runtime, payload)}"


def read_link(runtime: Runtime, link: str, platform: str) -> LinkGrant:
    """Check a connect link's signature, network and age."""
    again = f"Ask the bot for a new link: connect {platform}"
    body, _, mac = link.rpartition(".")
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
        workspace, user, linked, expires = payload.split(".")
        grant = LinkGrant(uuid.UUID(workspace), None if user == "-" else uuid.UUID(user))
        expiry = int(expires)
    except ValueError:
        raise LinkInvalid("This connect link is malformed.", again) from None
    if not hmac.compare_digest(mac, _sign(runtime, payload)) or linked != platform:
        raise LinkInvalid("This connect link is not valid for this network.", again)
    if expiry < runtime.clock.now().timestamp():
        raise LinkInvalid("This connect link has expired (links last 15 minutes).", again)
    return grant


def _refreshable(runtime: Runtime, platform: str) -> Provider | None:
    provider = oauth_providers(runtime).get(platform)
    return provider if provider is not None and provider.refresh != "none" else None


def _margin(platform: str) -> timedelta:
    """How long before expiry a token is renewed."""
    return LONG_MARGINS.get(platform, REFRESH_MARGIN)


def _renewal_enc(provider: Provider | None, row: TokenRow) -> str | None:
    """What a renewal spends: the refresh token, or (Threads) the long-lived access token."""
    if provider is None:
        return None
    return row.access_token_enc if provider.refresh == "threads" else row.refresh_token_enc


async def mark_reconnect(runtime: Runtime, account: AccountView, reason: str) -> None:
    """Mark the account to reconnect, fail its pending posts with ``reason``, tell the chats."""
    # Imported here: scheduler.publishing.runner calls into this module before publishing.
    from scheduler.publishing.runner import Runner

    now = runtime.clock.now()
    posts = await account_store(runtime).mark_reconnect(account.id, "auth_revoked", reason, now)
    await emit_account(runtime, account, CallbackEvent.ACCOUNT_NEEDS_RECONNECT, reason, posts)
    runner = Runner(runtime)
    for post_id in posts:
        await runner.after(post_id)


def _reason(account: AccountView, why: str) -> str:
    return f"{why} Reconnect {account.platform} {account.handle}, then press Retry."


async def _refresh(runtime: Runtime, account: AccountView, stale: str | None) -> AccountView:
    """Renew under the lock; ``stale`` is the access token a 401 refused (None: expiry)."""
    provider = _refreshable(runtime, account.platform)
    cipher, now, margin = runtime.cipher, runtime.clock.now, _margin(account.platform)

    async def decide(row: TokenRow) -> TokenUpdate | None:
        if stale is None and (row.expires_at is None or row.expires_at - now() > margin):
            return None  # another worker renewed it while we waited for the lock
        if stale is not None and row.access_token_enc != stale:
            return None
        spent = _renewal_enc(provider, row)
        if provider is None or not spent:
            raise GrantRefused(f"{account.platform} tokens cannot be renewed without you.")
        tokens = await refresh_tokens(
            runtime.operator_http,
            provider,
            cipher.decrypt(spent),
            limit=runtime.settings.publish_timeout_seconds,
            now=now,
        )
        refresh = cipher.encrypt(tokens.refresh_token) if tokens.refresh_token else None
        return TokenUpdate(cipher.encrypt(tokens.access_token), refresh, tokens.expires_at)

    try:
        row = await account_store(runtime).refresh_locked(account.id, decide)
    except GrantRefused as exc:
        reason = _reason(account, exc.message)
        await mark_reconnect(runtime, account, reason)
        raise AuthRevoked(reason, exc.status) from None
    if row is None:
        raise AuthRevoked(_reason(account, "The account was removed."))
    return replace(account, access_token_enc=row.access_token_enc, status=row.status)


async def ensure_fresh(
    runtime: Runtime, account: AccountView, *, just_read: bool = False
) -> AccountView:
    """The account with a token valid for at least its margin, refreshing if needed.

    ``just_read``: the view was read from its row a moment ago (a worker's claim); if its
    token is far from expiring, the row need not be read again. A token another worker
    rotated meanwhile shows up as a 401, which refreshes once (``refresh_after_401``).
    """
    if account.status == "reconnect":
        raise AuthRevoked(_reason(account, "The account's access was revoked."))
    expires = account.expires_at
    if just_read and (expires is None or expires - runtime.clock.now() > _margin(account.platform)):
        return account
    row = await account_store(runtime).tokens(account.id)
    if row is None:
        raise AuthRevoked(_reason(account, "The account was removed."))
    current = replace(account, access_token_enc=row.access_token_enc)
    expires = row.expires_at
    if expires is None or expires - runtime.clock.now() > _margin(account.platform):
        return current
    if not _renewal_enc(_refreshable(runtime, account.platform), row):
        return current  # cannot renew; let the network say whether it still works
    return await _refresh(runtime, current, None)


async def refresh_after_401(
    runtime: Runtime, account: AccountView, error: AuthRevoked
) -> AccountView:
    """After the network refused the token: renew once, or mark reconnect and re-raise."""
    if isinstance(error, GrantRefused):
        raise error
    row = await account_store(runtime).tokens(account.id)
    if row is None or not _renewal_enc(_refreshable(runtime, account.platform), row):
        await mark_reconnect(runtime, account, _reason(account, error.message))
        raise error
    return await _refresh(runtime, account, account.access_token_enc)


async def publish_fresh(
    runtime: Runtime,
    publisher: Publisher,
    account: AccountView,
    build: Callable[[AccountView], PublishRequest],
    *,
    just_read: bool = False,
) -> Receipt:
    """Publish with a fresh token; on AuthRevoked, refresh once and publish again."""
    return await call_fresh(runtime, account, build, publisher.publish, just_read=just_read)


async def call_fresh(
    runtime: Runtime,
    account: AccountView,
    build: Callable[[AccountView], PublishRequest],
    call: Callable[[PublishRequest], Awaitable[Receipt]],
    *,
    just_read: bool = False,
) -> Receipt:
    """``call`` (a publish, a reply, a comment) with a fresh token; on AuthRevoked, refresh
    once and call again."""
    account = await ensure_fresh(runtime, account, just_read=just_read)
    try:
        return await call(build(account))
    except AuthRevoked as exc:
        fresh = await refresh_after_401(runtime, account, exc)
    return await call(build(fresh))


async def rotate_keys(runtime: Runtime) -> int:
    """Re-encrypt every stored token with the newest ENCRYPTION_KEYS key."""
    return await account_store(runtime).rotate_keys(runtime.cipher)
