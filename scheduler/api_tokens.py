"""API tokens (shown once, stored hashed, revocable, scoped) and the API's stores."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from datetime import datetime, timedelta

from core.errors import RequestProblem
from scheduler.runtime import Runtime
from storage.api import ApiStore, TokenView
from storage.api_callbacks import CallbackStore

# ``approve``: the token acts as an approver (approve/reject; its posts need no approval).
# Only the shell makes one (``outpost token create --scopes "read write approve"``).
SCOPES = ("read", "write", "approve")


def api_store(rt: Runtime) -> ApiStore:
    """The runtime's ApiStore."""
    return rt.api


def callback_store(rt: Runtime) -> CallbackStore:
    """The runtime's CallbackStore."""
    return rt.callbacks


def hash_token(token: str) -> str:
    """What is stored for a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
MAX_LIFETIME = timedelta(days=3660)


def parse_lifetime(text: str) -> timedelta:
    """``30d``, ``12h``, ``2w``, ``90m`` as a duration; RequestProblem otherwise."""
    found = re.fullmatch(r"\s*(\d{1,6})\s*([mhdw])\s*", text.lower())
    lifetime = timedelta(**{UNITS[found[2]]: int(found[1])}) if found else None
    if lifetime is None or not timedelta(0) < lifetime <= MAX_LIFETIME:
        raise RequestProblem(
            [f"“{text}” is not a token lifetime."],
            "Give a number and a unit up to 10 years: 90m, 12h, 30d or 8w.",
        )
    return lifetime


async def create_token(
    rt: Runtime,
    workspace_id: uuid.UUID,
    name: str,
    scopes: list[str],
    expires_at: datetime | None = None,
) -> tuple[str, TokenView]:
    """A new token (to show once) and its stored record; ``expires_at`` None: until revoked."""
    if expires_at is not None and expires_at <= rt.clock.now():
        raise RequestProblem(["The expiry is in the past."], "Give a time to come.")
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise RequestProblem(
            [f"Unknown scope {s!r}." for s in unknown] or ["A token needs at least one scope."],
            'Scopes are "read" and "write".',
        )
    token = "op_" + secrets.token_urlsafe(32)
    token_id = await rt.workspaces.add_token(
        workspace_id, name, hash_token(token), " ".join(dict.fromkeys(scopes)), expires_at
    )
    for view in await api_store(rt).tokens(workspace_id):
        if view.id == token_id:
            return token, view
    raise AssertionError("a token just written is missing")


async def authenticate(rt: Runtime, token: str) -> TokenView | None:
    """The unrevoked token behind a bearer string (check ``expired``), or None."""
    if not token.startswith("op_") or len(token) > 200:
        return None
    return await api_store(rt).token(hash_token(token), rt.clock.now())


async def revoke_token(rt: Runtime, workspace_id: uuid.UUID, token_id: uuid.UUID) -> None:
    """Revoke a token now; NotFound when it is not the workspace's."""
    await api_store(rt).revoke_token(workspace_id, token_id, rt.clock.now())


def expired_message(token: TokenView) -> str:
    """What a caller with an expired token is told (the same over REST and MCP)."""
    assert token.expires_at is not None
    when = token.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"This token ({token.name}) expired at {when}; make a new one with "
        "`outpost token create --expires 30d` or on the calendar's settings page."
    )
