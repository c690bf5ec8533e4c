"""What every MCP tool goes through: who is calling (a live token), whether its scopes allow
the call, and for tools that change something, at most one run per idempotency key."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError

from core.errors import Conflict, NotFound, OutpostError, RequestProblem, StaleRevision
from core.limits import MAX_AHEAD_WORDS, too_far_ahead
from scheduler.api_tokens import api_store, authenticate, expired_message
from scheduler.runtime import Runtime
from scheduler.views import TokenView

# Where the HTTP bridge leaves the request's authenticated token in the ASGI scope.
SCOPE_KEY = "outpost.token"
KEY_NOTE = (
    " Pass `idempotency_key` (any string up to 200 characters, e.g. a UUID you make) and "
    "send the same key when you retry this call: a repeat with the same key and arguments "
    "answers what the first did and changes nothing again. Without one, a key is made per "
    "call and a retry is a new call."
)

Who = Callable[[Context], Awaitable[TokenView]]


async def from_scope(ctx: Context) -> TokenView:
    """The token the HTTP bridge authenticated for this request."""
    request = ctx.request_context.request
    scope = getattr(request, "scope", None) or {}
    token = scope.get(SCOPE_KEY)
    if not isinstance(token, TokenView):
        raise ToolError("Not authenticated: send Authorization: Bearer <API token>.")
    return token


def from_secret(rt: Runtime, secret: str) -> Who:
    """A ``Who`` that checks one token (stdio) on every call, so a revoke or an expiry
    takes effect at once in a long-lived local session too."""

    async def who(ctx: Context) -> TokenView:
        token = await authenticate(rt, secret)
        if token is None:
            raise ToolError("This token is unknown or revoked; make one with "
                            "`outpost token create --workspace NAME`.")  # fmt: skip
        if token.expired(rt.clock.now()):
            raise ToolError(expired_message(token))
        return token

    return who


def need(token: TokenView, scope: str) -> None:
    """Refuse a call the token's scopes do not allow."""
    if scope not in token.scopes:
        raise ToolError(
            f"This token lacks the {scope!r} scope this tool needs (it has "
            f"{', '.join(token.scopes) or 'none'}); make one with it: "
            f'`outpost token create --workspace NAME --scopes "read {scope}"`.'
        )


def refusal(exc: OutpostError) -> ToolError:
    """Our own error as a tool error an agent can act on."""
    kind = {NotFound: "not found", Conflict: "conflict", RequestProblem: "invalid request"}
    label = next((v for k, v in kind.items() if isinstance(exc, k)), "error")
    text = f"{label}: {exc.message} {exc.hint}".strip()
    if isinstance(exc, StaleRevision):
        text += f" (current_revision: {exc.current})"
    return ToolError(text)


def parse_time(value: str, name: str, now: datetime) -> datetime:
    """An ISO-8601 time with an offset, as a tool argument."""
    example = "e.g. 2026-12-03T10:30:00+01:00"
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ToolError(f"`{name}` is not an ISO-8601 time ({example}).") from None
    if moment.tzinfo is None:
        raise ToolError(f"`{name}` needs a time zone offset ({example}).")
    moment = moment.astimezone(UTC)
    if too_far_ahead(moment, now):
        raise ToolError(f"`{name}` is more than {MAX_AHEAD_WORDS} ahead.")
    return moment


async def once(
    rt: Runtime,
    token: TokenView,
    tool: str,
    arguments: dict[str, Any],
    key: str | None,
    run: Callable[[], Awaitable[dict[str, Any]]],
) -> dict[str, Any]:
    """Run ``run`` once per ``key`` in the workspace: a repeat with the same arguments gets
    the first answer (or the same refusal), other arguments with the key are refused."""
    if key is not None and not (0 < len(key) <= 200 and key.isprintable()):
        raise ToolError("`idempotency_key` must be 1-200 printable characters.")
    stored = f"mcp:{key or uuid.uuid4().hex}"
    body = json.dumps({"tool": tool, "arguments": arguments}, sort_keys=True, default=str)
    fingerprint = hashlib.sha256(body.encode()).hexdigest()
    store, ws = api_store(rt), token.workspace_id
    prior = await store.remember(ws, stored, fingerprint, rt.clock.now())
    if prior is not None:
        if prior.request_hash != fingerprint:
            raise ToolError("This idempotency_key was used for a different call in the last 24 "
                            "hours; use a new key for a new request.")  # fmt: skip
        if prior.status is None:
            raise ToolError("A call with this idempotency_key is still running; retry shortly.")
        if prior.status >= 400:
            raise ToolError(str(prior.body.get("error", "refused")))
        return {**prior.body, "replayed": True}
    try:
        result = await run()
    except OutpostError as exc:
        error = refusal(exc)
        await _settle(rt, ws, stored, 409 if isinstance(exc, Conflict) else 422,
                      {"error": str(error)})  # fmt: skip
        raise error from None
    except BaseException:
        await store.forget(ws, stored)
        raise
    await _settle(rt, ws, stored, 200, result)
    return result


async def _settle(rt: Runtime, ws: uuid.UUID, key: str, status: int, body: Any) -> None:
    store = api_store(rt)
    try:
        await store.answer(ws, key, status, body)
    except BaseException:
        await store.forget(ws, key)  # a key must never stay "in use" for a day
        raise
