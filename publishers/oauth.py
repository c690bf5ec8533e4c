"""OAuth 2.0 helpers: provider table from settings, PKCE, authorize URLs, token calls.

Pure apart from the token calls, which go through ``http.send()`` so an authorization server's
answers are classified like any network's. A refused grant (``invalid_grant``: an expired,
reused or revoked code or refresh token) becomes ``GrantRefused``, a kind of AuthRevoked: the
person must connect again. Messages never carry codes, tokens or secrets.

Meta's networks add a step after the code exchange, because the code buys a short-lived token
(an hour or two) and nothing to refresh it with:

    Facebook  GET {graph}/{version}/oauth/access_token?grant_type=fb_exchange_token -> ~60 days;
              Page tokens listed with that user token never expire
    Threads   GET {threads}/access_token?grant_type=th_exchange_token -> 60 days, renewed
              with GET {threads}/refresh_access_token?grant_type=th_refresh_token

Both take the app secret in the query string, as Meta documents; URLs never reach a message.
Their errors are Graph-shaped (``{"error": {"code": 190, ...}}``) and read by ``graph_error``.

LinkedIn scopes: a self-serve app (products "Sign In with LinkedIn using OpenID Connect" and
"Share on LinkedIn") may ask only for ``openid profile w_member_social``; asking for more makes
LinkedIn refuse the whole sign-in. Organization pages need the Community Management API product
and are asked for only when ``LINKEDIN_ORGANIZATIONS=true``.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import aiohttp
from pydantic import SecretStr

from core.settings import Settings
from publishers.errors import AuthRevoked, PermanentError, PublishError
from publishers.facebook import graph_error, graph_version
from publishers.http import Now, Response, error_text, send, utc_now

# name: (scopes, PKCE required, client auth, refresh style); endpoints, client and API base
# are settings (``core.settings``, read field by field in ``_apps``).
_DEFAULTS: dict[str, tuple[str, bool, str, str]] = {
    "x": ("tweet.read tweet.write users.read media.write offline.access", True, "basic", "oauth"),
    "linkedin": ("openid profile w_member_social", False, "body", "oauth"),
    "facebook": (
        "pages_show_list,pages_manage_posts,pages_read_engagement,pages_manage_engagement,"
        "business_management,instagram_basic,instagram_content_publish,"
        "instagram_manage_comments",
        False, "body", "none",
    ),
    "threads": ("threads_basic,threads_content_publish", False, "body", "threads"),
}  # fmt: skip
# Instagram business accounts are reached through a Facebook login and its Pages.
OAUTH_PLATFORMS = frozenset(_DEFAULTS) | {"instagram"}
# Networks whose code exchange gives a short-lived token that must be traded for a long one.
LONG_LIVED = frozenset({"facebook", "threads"})
LINKEDIN_ORGANIZATION_SCOPES = "w_organization_social r_organization_admin"


_WHY = {
    "authorization code": ": it has expired or was already used",
    "refresh token": ": access was revoked or has expired",
}


class GrantRefused(AuthRevoked):
    """The authorization server refused a code or refresh token: connect again."""

    code = "grant_refused"


@dataclass(frozen=True)
class Provider:
    """One network's OAuth endpoints and this install's client credentials."""

    name: str
    label: str
    authorize_url: str
    token_url: str
    scopes: str
    pkce: bool
    client_auth: str  # "basic" (HTTP Basic) or "body" (client_secret in the form)
    refresh: str  # "oauth" (refresh_token grant), "threads" (th_refresh_token), "none"
    api_url: str
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    # The API version in paths (Graph, Threads); "" where the network versions otherwise.
    api_version: str = ""

    @property
    def configured(self) -> bool:
        """True when this install has a client id and secret for the network."""
        return bool(self.client_id and self.client_secret)


@dataclass(frozen=True)
class Tokens:
    """What a token endpoint granted."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: datetime | None = None
    scope: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _secret(value: SecretStr | str | None) -> str:
    # ``Settings.model_copy(update=...)`` does not validate, so a secret may still be a str.
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    return value or ""


def _apps(s: Settings) -> dict[str, tuple[str, str, str | None, SecretStr | None, str, str]]:
    """Each OAuth network's settings, named field by field: authorize and token URLs, client
    id and secret, API base, API version."""
    return {
        "x": (s.x_authorize_url, s.x_token_url, s.x_client_id, s.x_client_secret,
              s.x_api_url, ""),
        "linkedin": (s.linkedin_authorize_url, s.linkedin_token_url, s.linkedin_client_id,
                     s.linkedin_client_secret, s.linkedin_api_url, ""),
        "facebook": (s.facebook_authorize_url, s.facebook_token_url, s.facebook_client_id,
                     s.facebook_client_secret, s.facebook_graph_url, graph_version(s)),
        "threads": (s.threads_authorize_url, s.threads_token_url, s.threads_client_id,
                    s.threads_client_secret, s.threads_api_url, s.threads_api_version),
    }  # fmt: skip


def providers(settings: Settings) -> dict[str, Provider]:
    """The provider table: each network's endpoints and client from the settings, and its
    scopes, PKCE, client authentication and refresh style from ``_DEFAULTS``."""
    apps = _apps(settings)
    table: dict[str, Provider] = {}
    for name, (scopes, pkce, client_auth, refresh) in _DEFAULTS.items():
        auth, token, client_id, secret, api, version = apps[name]
        organizations = name == "linkedin" and settings.linkedin_organizations
        table[name] = Provider(
            name=name,
            label={"x": "X", "linkedin": "LinkedIn"}.get(name, name.title()),
            authorize_url=auth,
            token_url=token,
            scopes=scopes + (f" {LINKEDIN_ORGANIZATION_SCOPES}" if organizations else ""),
            pkce=pkce,
            client_auth=client_auth,
            refresh=refresh,
            api_url=api.rstrip("/"),
            api_version=version,
            client_id=client_id or "",
            client_secret=_secret(secret),
        )
    return table


def pkce_pair() -> tuple[str, str]:
    """A PKCE verifier and its S256 challenge (RFC 7636)."""
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize_url(provider: Provider, redirect_uri: str, state: str, challenge: str = "") -> str:
    """Where to send the person's browser to grant access."""
    params = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": redirect_uri,
        "scope": provider.scopes,
        "state": state,
    }
    if challenge:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    joiner = "&" if "?" in provider.authorize_url else "?"
    return provider.authorize_url + joiner + urlencode(params)


def _tokens(resp: Response, now: datetime, old_refresh: str | None = None) -> Tokens:
    data = resp.data if isinstance(resp.data, dict) else {}
    access = data.get("access_token")
    if not isinstance(access, str) or not access:
        raise GrantRefused("the authorization server answered without an access token")
    expires_in = data.get("expires_in")
    expires_at = now + timedelta(seconds=float(expires_in)) if expires_in else None
    refresh = data.get("refresh_token") or old_refresh
    secret_keys = {"access_token", "refresh_token", "id_token"}
    extra = {k: v for k, v in data.items() if k not in secret_keys}
    return Tokens(
        access, str(refresh) if refresh else None, expires_at, str(data.get("scope", "")), extra
    )


async def _token_call(
    http: aiohttp.ClientSession,
    provider: Provider,
    form: dict[str, str],
    *,
    limit: float,
    now: Now,
    what: str,
) -> Response:
    headers = {"Accept": "application/json"}
    if provider.client_auth == "basic":
        pair = f"{provider.client_id}:{provider.client_secret}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    else:
        form = {**form, "client_id": provider.client_id, "client_secret": provider.client_secret}
    try:
        return await send(
            http,
            "POST",
            provider.token_url,
            client_timeout=aiohttp.ClientTimeout(total=limit),
            label=f"{provider.label} sign-in",
            headers=headers,
            data=form,
            now=now,
        )
    except PermanentError as exc:
        why = _WHY.get(what, "")
        raise GrantRefused(
            f"{provider.label} refused the {what} ({exc.message.split(': ', 1)[-1]}){why}. "
            "Connect the account again.",
            exc.status,
        ) from None


async def exchange_code(
    http: aiohttp.ClientSession,
    provider: Provider,
    code: str,
    redirect_uri: str,
    verifier: str = "",
    *,
    limit: float = 15.0,
    now: Now = utc_now,
) -> Tokens:
    """Trade an authorization code for tokens (``authorization_code`` grant)."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if verifier:
        form["code_verifier"] = verifier
    resp = await _token_call(http, provider, form, limit=limit, now=now, what="authorization code")
    return _tokens(resp, now())


async def refresh_tokens(
    http: aiohttp.ClientSession,
    provider: Provider,
    refresh_token: str,
    *,
    limit: float = 15.0,
    now: Now = utc_now,
) -> Tokens:
    """New tokens from a refresh token; a rotated refresh token replaces the old one."""
    if provider.refresh == "threads":
        # Threads renews a long-lived access token with itself; there is no refresh token.
        query = {"grant_type": "th_refresh_token", "access_token": refresh_token}
        resp = await _meta_get(
            http, provider, f"{provider.api_url}/refresh_access_token?{urlencode(query)}",
            limit=limit, now=now, why="refused to renew the token",
        )  # fmt: skip
        return _tokens(resp, now())
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    resp = await _token_call(http, provider, form, limit=limit, now=now, what="refresh token")
    return _tokens(resp, now(), old_refresh=refresh_token)


async def _meta_get(
    http: aiohttp.ClientSession, provider: Provider, url: str, *, limit: float, now: Now, why: str
) -> Response:
    label = f"{provider.label} sign-in"

    def classifier(
        status: int, headers: Mapping[str, str], data: Any, text: str, at: datetime
    ) -> PublishError:
        error = graph_error(status, headers, data, text, label=label, now=at)
        if not isinstance(error, PermanentError):
            return error  # throttled or down: try again later, the token may still be fine
        body = data.get("error") if isinstance(data, dict) else None
        if isinstance(body, dict) and body.get("message"):
            detail = f"{body.get('code', status)}: {str(body['message'])[:200]}"
        else:
            detail = error_text(data, text)
        return GrantRefused(
            f"{provider.label} {why} ({detail}). Connect the account again.", status
        )

    return await send(
        http, "GET", url, client_timeout=aiohttp.ClientTimeout(total=limit), label=label,
        headers={"Accept": "application/json"}, now=now, classifier=classifier,
    )  # fmt: skip


async def exchange_long_lived(
    http: aiohttp.ClientSession,
    provider: Provider,
    short_token: str,
    *,
    limit: float = 15.0,
    now: Now = utc_now,
) -> Tokens:
    """Trade a short-lived Facebook or Threads user token for a long-lived one (~60 days)."""
    if provider.name == "facebook":
        query = {
            "grant_type": "fb_exchange_token",
            "client_id": provider.client_id,
            "client_secret": provider.client_secret,
            "fb_exchange_token": short_token,
        }
        version = provider.api_version or graph_version(None)
        url = f"{provider.api_url}/{version}/oauth/access_token?{urlencode(query)}"
    elif provider.name == "threads":
        query = {
            "grant_type": "th_exchange_token",
            "client_secret": provider.client_secret,
            "access_token": short_token,
        }
        url = f"{provider.api_url}/access_token?{urlencode(query)}"
    else:
        raise ValueError(f"{provider.name} has no long-lived token exchange")
    resp = await _meta_get(
        http, provider, url, limit=limit, now=now, why="refused to extend the sign-in"
    )
    return _tokens(resp, now())
