"""A fake of Supabase Auth (GoTrue) behind the project URL's ``/auth/v1``: magic links, one
OAuth provider, PKCE, refresh, the user endpoint and the project's settings.

Written from Supabase's docs, read 2026-12-07: "PKCE flow"
(supabase.com/docs/guides/auth/sessions/pkce-flow), "Passwordless email logins"
(…/auth/auth-email-passwordless), "Login with GitHub" (…/auth/social-login/auth-github), the
Auth API reference of supabase/auth (``openapi.yaml``: ``/otp``, ``/verify``, ``/authorize``,
``/callback``, ``/token``, ``/user``, ``/settings``), the error codes page
(…/auth/debugging/error-codes) and the ``supabase_auth`` Python client 2.34.1 (which sends
``X-Supabase-Api-Version: 2024-01-01`` and reads ``code`` from error bodies answered with it).

What it refuses, as the real service does:

- every call but the browser-facing ones (``/verify``, ``/authorize``, ``/callback``) without
  the project's ``apikey`` header: 401 ``{"message": "No API key found in request"}`` (the API
  gateway's answer), or ``Invalid API key`` for a wrong one;
- ``POST /token?grant_type=pkce`` with an empty code or verifier (400 ``validation_failed``),
  an unknown or already used code (404 ``flow_state_not_found``), a code older than
  ``code_ttl`` (400 ``flow_state_expired``), a verifier whose S256 is not the challenge (400
  ``bad_code_verifier``);
- a used or unknown refresh token (400 ``refresh_token_not_found``: tokens rotate);
- ``/authorize`` for a provider the project does not enable (400 ``validation_failed``);
- a ``redirect_to`` outside the allow list: the browser is sent to ``site_url`` instead.

A magic link's mail lands in ``mailbox`` (``link_for(email)`` reads the newest). The OAuth
provider is simulated at ``/_fake/<provider>/authorize``: a page with an "Authorize" link that
comes back to ``/auth/v1/callback`` as the provider would, for the address in ``providers``.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import urlencode

import jwt
from aiohttp import web

AUTH = "/auth/v1"
API_VERSION = "2024-01-01"
OPEN_PATHS = (f"{AUTH}/verify", f"{AUTH}/authorize", f"{AUTH}/callback")
JWT_SECRET = "fake-supabase-jwt-secret-of-at-least-32-bytes"


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z")


def s256(verifier: str) -> str:
    """RFC 7636's S256 challenge of a verifier."""
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


@dataclass
class AuthUser:
    id: str
    email: str
    provider: str
    created: float
    name: str | None = None
    confirmed: float | None = None

    def to_json(self) -> dict[str, Any]:
        meta: dict[str, Any] = {"email": self.email, "email_verified": bool(self.confirmed)}
        if self.name:
            meta["full_name"] = self.name
        return {
            "id": self.id,
            "aud": "authenticated",
            "role": "authenticated",
            "email": self.email,
            "phone": "",
            "email_confirmed_at": _iso(self.confirmed) if self.confirmed else None,
            "confirmed_at": _iso(self.confirmed) if self.confirmed else None,
            "last_sign_in_at": _iso(time.time()),
            "app_metadata": {"provider": self.provider, "providers": [self.provider]},
            "user_metadata": meta,
            "identities": [],
            "created_at": _iso(self.created),
            "updated_at": _iso(time.time()),
            "is_anonymous": False,
        }


@dataclass
class Flow:
    """GoTrue's flow state: the challenge, then (once verified) the user and an auth code."""

    challenge: str
    method: str
    redirect_to: str
    provider: str
    email: str = ""
    created: float = field(default_factory=time.time)
    user_id: str | None = None


@dataclass
class Mail:
    to: str
    link: str


class FakeSupabaseAuth:
    """Auth routes and state; ``FakeSupabase`` mounts them beside Storage."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.url = ""
        self.site_url = "http://localhost:3000"
        self.allow_redirects: list[str] = []
        self.providers: dict[str, tuple[str, str]] = {"github": ("octocat@example.com", "Octo")}
        self.email_enabled = True
        self.code_ttl = 300.0
        # Addresses a provider reports without verifying them: Supabase leaves them unconfirmed.
        self.unverified: set[str] = set()
        self.reset_auth()

    def reset_auth(self) -> None:
        self.users: dict[str, AuthUser] = {}
        self.otps: dict[str, Flow] = {}
        self.oauth_states: dict[str, Flow] = {}
        self.codes: dict[str, Flow] = {}
        self.access: dict[str, str] = {}
        self.refresh: dict[str, str] = {}
        self.used_refresh: set[str] = set()
        self.mailbox: list[Mail] = []
        self.exchanges: list[dict[str, Any]] = []

    # --- controls --------------------------------------------------------------------------

    def link_for(self, email: str) -> str:
        """The newest magic link mailed to ``email``."""
        for mail in reversed(self.mailbox):
            if mail.to.lower() == email.lower():
                return mail.link
        raise AssertionError(f"no mail to {email}: {[m.to for m in self.mailbox]}")

    def age_codes(self, seconds: float) -> None:
        """Make every pending auth code ``seconds`` older (to test expiry)."""
        for flow in self.codes.values():
            flow.created -= seconds

    def add_auth_routes(self, app: web.Application) -> None:
        r = app.router
        r.add_get(AUTH + "/settings", self._settings)
        r.add_post(AUTH + "/otp", self._otp)
        r.add_get(AUTH + "/verify", self._verify)
        r.add_get(AUTH + "/authorize", self._authorize)
        r.add_get(AUTH + "/callback", self._callback)
        r.add_post(AUTH + "/token", self._token)
        r.add_get(AUTH + "/user", self._user)
        r.add_get("/_fake/{provider}/authorize", self._provider_page)

    # --- plumbing --------------------------------------------------------------------------

    def gateway(self, request: web.Request) -> web.Response | None:
        """The API gateway's key check for ``/auth/v1`` (browser-facing paths are open)."""
        if request.path in OPEN_PATHS:
            return None
        given = request.headers.get("apikey")
        if given is None:
            return web.json_response(
                {"message": "No API key found in request",
                 "hint": "No `apikey` request header or url param was found."},
                status=401,
            )  # fmt: skip
        if given != self.key:
            return web.json_response({"message": "Invalid API key"}, status=401)
        return None

    @staticmethod
    def _error(request: web.Request, status: int, code: str, message: str) -> web.Response:
        if request.headers.get("X-Supabase-Api-Version") == API_VERSION:
            return web.json_response(
                {"code": code, "message": message},
                status=status,
                headers={"X-Supabase-Api-Version": API_VERSION},
            )
        return web.json_response(
            {"code": status, "error_code": code, "msg": message}, status=status
        )

    def _redirect_target(self, asked: str) -> str:
        if asked and any(asked.startswith(prefix) for prefix in self.allow_redirects):
            return asked
        return self.site_url

    @staticmethod
    def _with(url: str, **params: str) -> str:
        return url + ("&" if "?" in url else "?") + urlencode(params)

    def _user_for(self, email: str, provider: str, name: str | None = None) -> AuthUser:
        found = self.users.get(email.lower())
        if found is None:
            found = AuthUser(str(uuid.uuid4()), email, provider, time.time(), name)
            self.users[email.lower()] = found
        if email.lower() not in self.unverified:
            found.confirmed = found.confirmed or time.time()
        return found

    def _code_for(self, flow: Flow, user: AuthUser) -> str:
        flow.user_id = user.id
        flow.email = user.email
        flow.created = time.time()
        code = str(uuid.uuid4())
        self.codes[code] = flow
        return code

    def _session(self, user: AuthUser) -> dict[str, Any]:
        now = int(time.time())
        access = jwt.encode(
            {"sub": user.id, "email": user.email, "aud": "authenticated",
             "role": "authenticated", "iat": now, "exp": now + 3600, "jti": secrets.token_hex(8)},
            JWT_SECRET,
            algorithm="HS256",
        )  # fmt: skip
        refresh = secrets.token_urlsafe(12)
        self.access[access] = user.email.lower()
        self.refresh[refresh] = user.email.lower()
        return {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": 3600,
            "expires_at": now + 3600,
            "refresh_token": refresh,
            "user": user.to_json(),
        }

    # --- routes ----------------------------------------------------------------------------

    async def _settings(self, request: web.Request) -> web.StreamResponse:
        external = {"email": self.email_enabled, "phone": False, "anonymous_users": False}
        external |= dict.fromkeys(self.providers, True)
        external |= {"google": False, "apple": False}
        return web.json_response(
            {"external": external, "disable_signup": False, "mailer_autoconfirm": False,
             "phone_autoconfirm": False, "sms_provider": "", "saml_enabled": False}
        )  # fmt: skip

    async def _otp(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        email = str(body.get("email") or "")
        if not email or "@" not in email:
            return self._error(
                request, 400, "validation_failed", "Unable to validate email address"
            )
        if not self.email_enabled:
            return self._error(request, 422, "email_provider_disabled", "Email logins are disabled")
        if body.get("create_user") is False and email.lower() not in self.users:
            return self._error(request, 422, "otp_disabled", "Signups not allowed for otp")
        challenge, method = body.get("code_challenge"), body.get("code_challenge_method")
        if bool(challenge) != bool(method):
            return self._error(
                request, 400, "validation_failed",
                "PKCE flow requires code_challenge_method and code_challenge",
            )  # fmt: skip
        token = "pkce_" + secrets.token_hex(20)
        redirect_to = request.query.get("redirect_to", "")
        self.otps[token] = Flow(
            str(challenge or ""), str(method or ""), redirect_to, "email", email
        )
        link = f"{self.url}{AUTH}/verify?" + urlencode(
            {"token": token, "type": "magiclink", "redirect_to": redirect_to}
        )
        self.mailbox.append(Mail(email, link))
        return web.json_response({})

    async def _verify(self, request: web.Request) -> web.StreamResponse:
        flow = self.otps.pop(request.query.get("token", ""), None)
        target = self._redirect_target(request.query.get("redirect_to", ""))
        if flow is None or time.time() - flow.created > 3600:
            raise web.HTTPSeeOther(self._with(
                target, error="access_denied", error_code="otp_expired",
                error_description="Email link is invalid or has expired",
            ))  # fmt: skip
        user = self._user_for(flow.email, "email")
        raise web.HTTPSeeOther(self._with(target, code=self._code_for(flow, user)))

    async def _authorize(self, request: web.Request) -> web.StreamResponse:
        provider = request.query.get("provider", "")
        if provider not in self.providers:
            return self._error(
                request, 400, "validation_failed", "Unsupported provider: provider is not enabled"
            )
        challenge = request.query.get("code_challenge", "")
        method = request.query.get("code_challenge_method", "")
        state = secrets.token_urlsafe(16)
        self.oauth_states[state] = Flow(
            challenge, method, request.query.get("redirect_to", ""), provider
        )
        raise web.HTTPFound(f"{self.url}/_fake/{provider}/authorize?state={state}")

    async def _provider_page(self, request: web.Request) -> web.StreamResponse:
        provider = request.match_info["provider"]
        state = request.query.get("state", "")
        email, _ = self.providers.get(provider, ("", ""))
        back = f"{self.url}{AUTH}/callback?" + urlencode({"code": "provider-code", "state": state})
        html = (
            f"<!doctype html><title>{escape(provider)}</title><h1>Authorize Outpost</h1>"
            f"<p>Signed in to {escape(provider)} as {escape(email)}.</p>"
            f'<a id="authorize" href="{escape(back)}">Authorize</a>'
        )
        return web.Response(text=html, content_type="text/html")

    async def _callback(self, request: web.Request) -> web.StreamResponse:
        flow = self.oauth_states.pop(request.query.get("state", ""), None)
        if flow is None:
            return self._error(request, 400, "bad_oauth_state", "OAuth state is invalid")
        email, name = self.providers[flow.provider]
        user = self._user_for(email, flow.provider, name)
        target = self._redirect_target(flow.redirect_to)
        raise web.HTTPFound(self._with(target, code=self._code_for(flow, user)))

    async def _token(self, request: web.Request) -> web.StreamResponse:
        grant = request.query.get("grant_type", "")
        body = await request.json()
        if grant == "pkce":
            return self._pkce(request, str(body.get("auth_code") or ""),
                              str(body.get("code_verifier") or ""))  # fmt: skip
        if grant == "refresh_token":
            token = str(body.get("refresh_token") or "")
            email = self.refresh.pop(token, None)
            if email is None:
                return self._error(
                    request, 400, "refresh_token_not_found",
                    "Invalid Refresh Token: Refresh Token Not Found",
                )  # fmt: skip
            self.used_refresh.add(token)
            return web.json_response(self._session(self.users[email]))
        return self._error(request, 400, "validation_failed", "unsupported_grant_type")

    def _pkce(self, request: web.Request, code: str, verifier: str) -> web.Response:
        self.exchanges.append({"code": code, "verifier": verifier})
        if not code or not verifier:
            return self._error(
                request, 400, "validation_failed",
                "invalid request: both auth code and code verifier should be non-empty",
            )  # fmt: skip
        flow = self.codes.get(code)
        if flow is None:
            return self._error(
                request, 404, "flow_state_not_found",
                "invalid flow state, no valid flow state found",
            )  # fmt: skip
        if time.time() - flow.created > self.code_ttl:
            del self.codes[code]
            return self._error(
                request, 400, "flow_state_expired", "invalid flow state, flow state has expired"
            )
        expected = s256(verifier) if flow.method.lower() == "s256" else verifier
        if not secrets.compare_digest(expected, flow.challenge):
            return self._error(
                request, 400, "bad_code_verifier",
                "code challenge does not match previously saved code verifier",
            )  # fmt: skip
        del self.codes[code]
        return web.json_response(self._session(self.users[flow.email.lower()]))

    async def _user(self, request: web.Request) -> web.StreamResponse:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        email = self.access.get(token)
        if email is None:
            return self._error(
                request, 403, "bad_jwt",
                "invalid JWT: unable to parse or verify signature, token is malformed",
            )  # fmt: skip
        return web.json_response(self.users[email].to_json())
