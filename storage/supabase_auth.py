"""Supabase Auth (GoTrue) through the ``supabase_auth`` client, one short-lived client per login.

The library keeps the PKCE code verifier in its ``storage`` and a signed-in session in the
client object. A process-wide client would share both between everyone signing in at once, so
each step builds its own ``AsyncGoTrueClient`` over a fresh ``AsyncMemoryStorage`` (sharing only
the HTTP connection pool), reads the verifier out after ``sign_in_with_otp`` /
``sign_in_with_oauth``, and hands it to the caller, who keeps it server-side until the callback.
Tokens Supabase returns are used once, to read the verified user, and dropped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import cast

import httpx
from supabase_auth import AsyncGoTrueClient, AsyncMemoryStorage
from supabase_auth.errors import AuthApiError, AuthError, AuthRetryableError
from supabase_auth.types import Provider

from core.errors import OutpostError

STORAGE_KEY = "outpost"
VERIFIER_KEY = f"{STORAGE_KEY}-code-verifier"
SETTINGS_TTL = 60.0
# What ``external`` in /auth/v1/settings lists that is not a provider one signs in with.
NOT_PROVIDERS = frozenset({"email", "phone", "anonymous_users", "saml"})


class SignInError(OutpostError):
    """Supabase refused or could not be reached; ``message`` says which, without secrets."""

    code = "signin_failed"


class SignInUnavailable(SignInError):
    """Supabase Auth did not answer; trying again later may work."""


@dataclass(frozen=True)
class VerifiedUser:
    """The person Supabase vouches for after a code exchange."""

    supabase_id: str
    email: str
    email_verified: bool
    name: str | None


@dataclass(frozen=True)
class AuthOptions:
    """What the project enables: e-mail links, and the OAuth providers."""

    email: bool
    providers: tuple[str, ...]


def _refusal(exc: Exception) -> SignInError:
    if isinstance(exc, AuthRetryableError | httpx.HTTPError):
        return SignInUnavailable(
            "Supabase Auth did not answer.", "Try again in a minute; if it keeps failing, "
            "check SUPABASE_URL."
        )
    if isinstance(exc, AuthApiError) and exc.code in (
        "flow_state_not_found", "flow_state_expired", "bad_code_verifier", "otp_expired",
    ):  # fmt: skip
        return SignInError(
            "This sign-in link has expired or was already used.", "Sign in again from /login."
        )
    if isinstance(exc, AuthApiError) and exc.code == "over_email_send_rate_limit":
        return SignInError("Too many e-mails were sent to this address.", "Wait a minute.")
    return SignInError("Supabase Auth refused the sign-in.", "Sign in again from /login.")


class SupabaseAuth:
    """The project's Auth API: ``url`` is the project URL, ``key`` the key sent as ``apikey``."""

    def __init__(self, url: str, key: str, timeout: float = 10.0) -> None:
        self.base = url.rstrip("/") + "/auth/v1"
        self.key = key
        self._http = httpx.AsyncClient(timeout=timeout)
        self._options: tuple[float, AuthOptions] | None = None

    def _client(self) -> tuple[AsyncGoTrueClient, AsyncMemoryStorage]:
        storage = AsyncMemoryStorage()
        client = AsyncGoTrueClient(
            url=self.base,
            headers={"apikey": self.key, "Authorization": f"Bearer {self.key}"},
            storage_key=STORAGE_KEY,
            storage=storage,
            http_client=self._http,
            flow_type="pkce",
            auto_refresh_token=False,
            persist_session=False,
        )
        return client, storage

    async def options(self) -> AuthOptions:
        """``GET /auth/v1/settings``, kept a minute: the sign-in page asks on every view."""
        if self._options and time.monotonic() - self._options[0] < SETTINGS_TTL:
            return self._options[1]
        try:
            answer = await self._http.get(f"{self.base}/settings", headers={"apikey": self.key})
            answer.raise_for_status()
            external = answer.json().get("external") or {}
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            raise _refusal(httpx.HTTPError(str(exc))) from exc
        found = AuthOptions(
            bool(external.get("email")),
            tuple(sorted(k for k, on in external.items() if on and k not in NOT_PROVIDERS)),
        )
        self._options = (time.monotonic(), found)
        return found

    async def start_email(self, email: str, redirect_to: str) -> str:
        """Ask Supabase to mail a magic link; the PKCE verifier to keep for the callback."""
        client, storage = self._client()
        try:
            await client.sign_in_with_otp(
                {"email": email, "options": {"email_redirect_to": redirect_to}}
            )
        except (AuthError, httpx.HTTPError) as exc:
            raise _refusal(exc) from exc
        return await _verifier(storage)

    async def start_oauth(self, provider: str, redirect_to: str) -> tuple[str, str]:
        """The provider's sign-in URL to send the browser to, and the verifier to keep."""
        client, storage = self._client()
        answer = await client.sign_in_with_oauth(
            {"provider": cast(Provider, provider), "options": {"redirect_to": redirect_to}}
        )
        return answer.url, await _verifier(storage)

    async def finish(self, code: str, verifier: str) -> VerifiedUser:
        """Exchange the callback's code with its verifier, then ask who the token belongs to."""
        client, _ = self._client()
        try:
            done = await client.exchange_code_for_session(
                {"auth_code": code, "code_verifier": verifier}
            )
            if done.session is None:
                raise SignInError("Supabase Auth returned no session.", "Sign in again.")
            # Seed flow 3.1: the app validates the session with Supabase before trusting it.
            found = await client.get_user(done.session.access_token)
        except (AuthError, httpx.HTTPError) as exc:
            raise _refusal(exc) from exc
        if found is None or not found.user.email:
            raise SignInError("Supabase Auth has no e-mail address for this account.")
        user = found.user
        meta = user.user_metadata or {}
        name = meta.get("full_name") or meta.get("name") or meta.get("user_name")
        return VerifiedUser(
            user.id, user.email or "", user.email_confirmed_at is not None,
            str(name) if name else None,
        )  # fmt: skip

    async def aclose(self) -> None:
        await self._http.aclose()


async def _verifier(storage: AsyncMemoryStorage) -> str:
    stored = await storage.get_item(VERIFIER_KEY)
    if not stored:
        raise SignInError("Supabase Auth client made no PKCE verifier.")
    return stored
