"""Accounts, API tokens and callback endpoints of the caller's workspace."""

from __future__ import annotations

from core.errors import RequestProblem
from scheduler import api_tokens
from scheduler.accounts import usecases as accounts
from scheduler.accounts.usecases import connect_with_token, disconnect_account
from scheduler.api_tokens import api_store, callback_store, create_token, parse_lifetime
from scheduler.edge import canonical_platform
from scheduler.hooks import callbacks
from scheduler.hooks.callbacks import signing_secret
from webhooks.http import Call, Reply
from webhooks.render import account_json, endpoint_json, token_json

# Platforms connected with a token (or, for webhooks, a generated secret) rather than OAuth.
TOKEN_PLATFORMS = ("mastodon", "bluesky", "discord", "telegram", "webhook")
NEEDS_BASE_URL = ("mastodon", "discord", "webhook")


async def list_accounts(call: Call) -> Reply:
    """Connected accounts."""
    items = await accounts.list_accounts(call.rt, call.workspace_id)
    return Reply(200, {"items": [account_json(a) for a in items]})


async def add_account(call: Call) -> Reply:
    """Connect an account; a webhook without a token gets a signing secret, shown once."""
    body, rt = call.body, call.rt
    platform = canonical_platform(body["platform"])
    usable = [p for p in TOKEN_PLATFORMS if p in rt.publishers]
    if platform not in usable:
        raise RequestProblem(
            [f"{body['platform']!r} cannot be connected with a token here."],
            f"Token-based platforms: {', '.join(usable)}; others connect at /connect/PLATFORM.",
        )
    base_url = body.get("base_url", "")
    if platform in NEEDS_BASE_URL and not base_url:
        raise RequestProblem([f"A {platform} account needs `base_url` (its instance or URL)."])
    token = body.get("token")
    if not token and not (token is None and platform == "webhook"):
        raise RequestProblem([f"A {platform} account needs `token`."])
    made = await connect_with_token(
        rt,
        call.workspace_id,
        platform,
        body["handle"],
        token,
        base_url=base_url,
        display_name=body.get("display_name"),
    )
    shown = str(made.account.id) if made.secret is not None else None
    return Reply(
        201, {"account": account_json(made.account), "secret": made.secret}, secret_of=shown
    )


async def remove_account(call: Call) -> Reply:
    """Disconnect an account."""
    await disconnect_account(call.rt, call.workspace_id, call.path_id("account_id"))
    return Reply(204)


async def list_tokens(call: Call) -> Reply:
    """The workspace's tokens, revoked ones included."""
    tokens = await api_store(call.rt).tokens(call.workspace_id)
    return Reply(200, {"items": [token_json(t) for t in tokens]})


async def make_token(call: Call) -> Reply:
    """A new token; the only time its value is shown."""
    lifetime = call.body.get("expires_in")
    expires_at = None if lifetime is None else call.rt.clock.now() + parse_lifetime(lifetime)
    token, view = await create_token(
        call.rt, call.workspace_id, call.body["name"], call.body["scopes"], expires_at
    )
    return Reply(201, {"token": token, "info": token_json(view)}, secret_of=str(view.id))


async def revoke_token(call: Call) -> Reply:
    """Revoke a token; it stops working at once."""
    await api_tokens.revoke_token(call.rt, call.workspace_id, call.path_id("token_id"))
    return Reply(204)


async def list_endpoints(call: Call) -> Reply:
    """Workspace-wide callback URLs."""
    items = await callback_store(call.rt).endpoints(call.workspace_id)
    return Reply(200, {"items": [endpoint_json(e) for e in items]})


async def add_endpoint(call: Call) -> Reply:
    """Add a callback URL."""
    call.check_url("url", call.body["url"])
    endpoint = await callbacks.add_endpoint(call.rt, call.workspace_id, call.body["url"])
    return Reply(201, endpoint_json(endpoint))


async def remove_endpoint(call: Call) -> Reply:
    """Remove a callback URL."""
    await callbacks.remove_endpoint(call.rt, call.workspace_id, call.path_id("endpoint_id"))
    return Reply(204)


async def callback_secret(call: Call) -> Reply:
    """The ``whsec_`` secret to verify callbacks with (made on first request)."""
    return Reply(200, {"secret": await signing_secret(call.rt, call.workspace_id)})
