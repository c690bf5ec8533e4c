"""Calendar logins: one-time links the bots send, and the browser sessions they open.

A link's token is random, stored as its SHA-256, lives 15 minutes and is used up by one POST
from the confirm page, so a link scanner fetching it with GET cannot burn it.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from scheduler.runtime import Runtime
from storage.calendar import CalendarStore, LoginGrant, SessionInfo

LOGIN_TTL = timedelta(minutes=15)
SESSION_TTL = timedelta(days=14)


def calendar_store(runtime: Runtime) -> CalendarStore:
    """The runtime's calendar store."""
    return runtime.calendar


def token_hash(token: str) -> str:
    """What is stored for a link or session token."""
    return hashlib.sha256(token.encode()).hexdigest()


def safe_next(path: str | None) -> str:
    """A local path to land on; anything that could leave the site becomes "/".

    Control characters go first: browsers drop tabs and newlines from a URL, so
    "/<tab>/evil.example" would arrive as "//evil.example", another site. What is left must
    be a path that starts with one "/" and names no scheme or host.
    """
    cleaned = "".join(ch for ch in path or "" if ch >= " " and ch != "\x7f")
    if not cleaned.startswith("/") or cleaned.startswith("//") or "\\" in cleaned:
        return "/"
    parts = urlsplit(cleaned)
    if parts.scheme or parts.netloc or ":" in parts.path:
        return "/"
    return cleaned


async def create_login_link(
    runtime: Runtime, workspace_id: uuid.UUID, user_id: uuid.UUID | None, next_path: str = "/"
) -> str:
    """A one-time calendar login link for a workspace (and a member of it), valid 15 min."""
    token = secrets.token_urlsafe(32)
    now = runtime.clock.now()
    await calendar_store(runtime).add_login(
        token_hash(token), workspace_id, user_id, safe_next(next_path), now + LOGIN_TTL, now
    )
    return f"{runtime.settings.base_url}/login/{token}"


async def peek_login(runtime: Runtime, token: str) -> LoginGrant | None:
    """What a link would grant, leaving it usable; None when used, expired or unknown."""
    return await calendar_store(runtime).peek_login(token_hash(token), runtime.clock.now())


@dataclass(frozen=True)
class LoggedIn:
    """The outcome of a login: a new session token to set, or the current session widened."""

    grant: LoginGrant
    new_token: str | None


async def log_in(runtime: Runtime, token: str, current: SessionInfo | None) -> LoggedIn | None:
    """Use a link up and open (or widen) a session; None when it cannot be used."""
    store = calendar_store(runtime)
    now = runtime.clock.now()
    grant = await store.consume_login(token_hash(token), now)
    if grant is None:
        return None
    if current is not None and grant.user_id is not None and current.user_id == grant.user_id:
        await store.grant_workspace(current.token_hash, grant.workspace_id)
        return LoggedIn(grant, None)
    session_token = secrets.token_urlsafe(32)
    await store.open_session(
        token_hash(session_token), grant.user_id, [grant.workspace_id], now + SESSION_TTL
    )
    return LoggedIn(grant, session_token)


async def open_session_for(
    runtime: Runtime, user_id: uuid.UUID, workspace_ids: list[uuid.UUID], via: str
) -> str:
    """A session for a person already authenticated elsewhere (Supabase Auth)."""
    session_token = secrets.token_urlsafe(32)
    await calendar_store(runtime).open_session(
        token_hash(session_token),
        user_id,
        workspace_ids,
        runtime.clock.now() + SESSION_TTL,
        via=via,
    )
    return session_token


async def session_for(runtime: Runtime, session_token: str) -> SessionInfo | None:
    """The live session behind a cookie value, or None."""
    return await calendar_store(runtime).load_session(
        token_hash(session_token), runtime.clock.now()
    )


async def log_out(runtime: Runtime, session: SessionInfo) -> None:
    await calendar_store(runtime).close_session(session.token_hash)
