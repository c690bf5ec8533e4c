"""Signing in with Supabase Auth (seed flow 3.1) and inviting people by e-mail.

A sign-in starts in one browser: Supabase's client makes a PKCE verifier, which is kept in
``auth_flows`` under the SHA-256 of a random token the browser holds in a cookie. The callback
(``/auth/callback?code=…``) takes that row once, exchanges the code with the verifier, asks
Supabase who the token belongs to, and then trusts only a *verified* e-mail address: it finds
or creates the user by that address, joins the workspaces it was invited to, and opens an
Outpost session like a login link does. Supabase's own tokens are not kept.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from core.errors import NotFound, OutpostError
from core.i18n import msg
from scheduler.logins import open_session_for, safe_next, token_hash
from scheduler.plans import plan_usage, refusal
from scheduler.runtime import Runtime
from storage.signin import FlowState, InvitationView, SignedIn
from storage.supabase_auth import AuthOptions, SignInError, SignInUnavailable, SupabaseAuth

FLOW_TTL = timedelta(minutes=10)
INVITE_TTL = timedelta(days=7)
ROLES = ("admin", "editor", "viewer")
DEFAULT_ROLE = "editor"
ADMIN_ROLES = frozenset({"owner", "admin"})
CALLBACK_PATH = "/auth/callback"
# Deliberately plain: Supabase checks the address for real by mailing it.
_EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[^@\s<>\"'/\\]+\.[^@\s<>\"'/\\]{2,}$")

__all__ = [
    "ROLES",
    "AuthOptions",
    "InvitationView",
    "NotAllowed",
    "SignInError",
    "SignInUnavailable",
    "SignedIn",
]


class NotAllowed(OutpostError):
    """The person may not do this in this workspace (their role does not allow it)."""

    code = "forbidden"


@dataclass(frozen=True)
class Started:
    """A sign-in under way: the cookie to set, and where to send the browser (OAuth)."""

    flow_token: str
    redirect: str | None


@dataclass(frozen=True)
class Finished:
    """A finished sign-in: the session cookie, who signed in, and where to land."""

    session_token: str
    signed_in: SignedIn
    next_path: str


def valid_email(value: str) -> str | None:
    """The address trimmed when it looks like one, else None."""
    email = value.strip()
    return email if len(email) <= 320 and _EMAIL.match(email) else None


def _auth(rt: Runtime) -> SupabaseAuth:
    if rt.supabase_auth is None:
        raise NotFound("Sign-in with Supabase is not configured on this server.")
    return rt.supabase_auth


async def sign_in_options(rt: Runtime) -> AuthOptions | None:
    """What the sign-in page offers; None without Supabase (chat links only)."""
    return None if rt.supabase_auth is None else await rt.supabase_auth.options()


async def _keep(rt: Runtime, verifier: str, provider: str, next_path: str) -> str:
    token = secrets.token_urlsafe(32)
    now = rt.clock.now()
    state = FlowState(verifier, provider, safe_next(next_path))
    await rt.signin.add_flow(token_hash(token), state, now + FLOW_TTL, now)
    return token


def _callback(rt: Runtime) -> str:
    return rt.settings.base_url + CALLBACK_PATH


async def start_email(rt: Runtime, email: str, next_path: str = "/") -> Started:
    """Ask Supabase to mail a magic link to ``email``; the link finishes in this browser."""
    auth = _auth(rt)
    address = valid_email(email)
    if address is None:
        raise SignInError("That is not an e-mail address.", "Write it as name@example.com.")
    if not (await auth.options()).email:
        raise SignInError("Signing in by e-mail is turned off in this Supabase project.")
    verifier = await auth.start_email(address, _callback(rt))
    return Started(await _keep(rt, verifier, "email", next_path), None)


async def start_oauth(rt: Runtime, provider: str, next_path: str = "/") -> Started:
    """The provider's page to send the browser to; only providers the project enables."""
    auth = _auth(rt)
    if provider not in (await auth.options()).providers:
        raise NotFound(f"Signing in with “{provider[:40]}” is not enabled.")
    url, verifier = await auth.start_oauth(provider, _callback(rt))
    return Started(await _keep(rt, verifier, provider, next_path), url)


async def finish(rt: Runtime, flow_token: str | None, code: str) -> Finished:
    """The callback: exchange the code, sync the user by verified e-mail, open a session."""
    auth = _auth(rt)
    now = rt.clock.now()
    flow = await rt.signin.take_flow(token_hash(flow_token), now) if flow_token else None
    if flow is None:
        raise SignInError(
            "This sign-in was not started in this browser, or it took more than 10 minutes.",
            "Open the e-mail link in the browser where you asked for it, or sign in again.",
        )
    if not code:
        raise SignInError("Supabase sent no sign-in code.", "Sign in again.")
    user = await auth.finish(code, flow.code_verifier)
    if not user.email_verified:
        raise SignInError(
            "Supabase has not verified this account's e-mail address.",
            "Confirm the address with the provider, then sign in again.",
        )
    signed = await rt.signin.sign_in_email(user.email, user.name, now)
    if not signed.workspace_ids:
        raise NotAllowed(
            f"{user.email} is not a member of any workspace here.",
            "Ask a workspace admin to type `invite " + user.email + "` in Slack or Telegram.",
        )
    session = await open_session_for(rt, signed.user_id, list(signed.workspace_ids), "supabase")
    return Finished(session, signed, flow.next_path)


async def invite(
    rt: Runtime, workspace_id: uuid.UUID, inviter: uuid.UUID, email: str, role: str = ""
) -> InvitationView:
    """An owner or admin invites an address; it joins with ``role`` on its first sign-in."""
    if await rt.signin.role(workspace_id, inviter) not in ADMIN_ROLES:
        raise NotAllowed(msg("Only the workspace's owners and admins can invite people."))
    address = valid_email(email)
    wanted = (role or DEFAULT_ROLE).strip().lower()
    if address is None or wanted not in ROLES:
        raise OutpostError(
            msg("Write `invite name@example.com` and, optionally, a role: admin, editor or viewer.")
        )
    if rt.supabase_auth is None:
        raise OutpostError(
            msg(
                "Sign-in by e-mail is not set up on this server (it needs Supabase Auth), "
                "so an invitation could not be used."
            )
        )
    # The plan's member limit counts the invitations still open: each may join on sign-in.
    found = await plan_usage(rt, workspace_id)
    allowed = found.plan.limit("members")
    if allowed is not None:
        waiting = len(await rt.signin.pending(workspace_id, rt.clock.now()))
        used = found.usage.members + waiting
        if used >= allowed:
            name = (await rt.workspaces.by_id(workspace_id)).name
            raise refusal(rt, found.plan, "members", used, name)
    return await rt.signin.invite(
        workspace_id, address, wanted, inviter, rt.clock.now() + INVITE_TTL
    )


async def pending_invitations(rt: Runtime, workspace_id: uuid.UUID) -> list[InvitationView]:
    """Invitations of a workspace not used nor expired yet."""
    return await rt.signin.pending(workspace_id, rt.clock.now())


async def is_admin(rt: Runtime, workspace_id: uuid.UUID, user_id: uuid.UUID | None) -> bool:
    """Whether the person may invite and manage the workspace."""
    return user_id is not None and await rt.signin.role(workspace_id, user_id) in ADMIN_ROLES


async def member_link(
    rt: Runtime, workspace_name: str, email: str | None
) -> tuple[uuid.UUID, uuid.UUID | None]:
    """The workspace and (when an e-mail is given) the member a shell login link is for."""
    ws = await rt.workspaces.by_name(workspace_name)
    if not email:
        return ws.id, None
    user_id = await rt.signin.member_by_email(ws.id, email)
    if user_id is None:
        raise NotFound(f"No member of {ws.name} has the e-mail address {email}.")
    return ws.id, user_id
