"""A fake OAuth 2.0 authorization server (RFC 6749 + PKCE), standing in for any network's.

``GET /authorize`` approves at once, as if the person pressed "Allow", redirecting to the
client's ``redirect_uri`` with ``code`` and ``state``. ``POST /token`` grants
``authorization_code`` (client credentials in the form or HTTP Basic, PKCE S256 checked when a
challenge was given, codes single-use and ``code_ttl`` seconds long) and ``refresh_token``
(rotating: each use issues a new refresh token and kills the old one). Errors are RFC 6749
JSON (``invalid_grant``, ``invalid_client``, ...). Issued access tokens are added to
``grants_to`` (a network fake's token set), so the network accepts them.

``shape`` gives a code exchange the answer of a network that departs from RFC 6749: Facebook
(``access_token``, ``token_type``, ``expires_in``: a short-lived user token, no refresh token)
and Threads (``access_token`` and ``user_id`` only). Their long-lived exchanges and Threads'
refresh live on the Graph hosts, so ``tests.fakes.facebook`` answers them.

``allowed_scopes`` is what the app's products include: an authorize request asking for more is
sent back with ``error=unauthorized_scope_error``, as LinkedIn does ("Scope … is not authorized
for your application"; LinkedIn "Authorization Code Flow", read 2026-12-07). ``token_scopes``
(a network fake's table) records the scopes each issued token was granted.

Run alone with ``python -m tests.fakes.oauth --port N``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import time
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from tests.fakes.base import RECORDED, FakeServer, run_main


class FakeAuthServer(FakeServer):
    """One client (``client_id``/``client_secret``) and the codes and tokens it was given."""

    name = "oauth"

    def __init__(
        self,
        grants_to: set[str] | None = None,
        prefix: str = "at",
        seed: int = 0,
        shape: str = "oauth",
    ) -> None:
        super().__init__(seed)
        self.shape = shape  # "oauth", "facebook" or "threads"
        self.user_id = "2600000000001"  # what a Threads code exchange names
        self.client_id, self.client_secret = "outpost-client", "outpost-secret"
        self.grants_to = grants_to if grants_to is not None else set()
        self.prefix = prefix
        self.code_ttl = 600.0
        self.expires_in = 3600
        self.rotate_refresh = True
        self.refuse_refresh = False  # the person revoked the app: every refresh is invalid_grant
        self.codes: dict[str, dict[str, Any]] = {}
        self.refresh_tokens: set[str] = set()
        self.refreshes = 0
        self.allowed_scopes: set[str] | None = None  # None: the app may ask for anything
        self.token_scopes: dict[str, set[str]] | None = None
        self.scope_separator = " "
        self.refresh_scopes: dict[str, str] = {}
        self._n = itertools.count(1)

    def created_keys(self) -> list[str]:
        """Authorization servers create no posts."""
        return []

    def add_routes(self, app: web.Application) -> None:
        """Authorize and token."""
        app.router.add_get("/authorize", self._authorize)
        app.router.add_post("/token", self._token)

    def error(
        self, status: int, message: str, headers: dict[str, str] | None = None
    ) -> web.Response:
        """RFC 6749 section 5.2 error body; Meta's token endpoints answer in Graph's shape."""
        code, _, description = message.partition(":")
        if self.shape != "oauth":
            # Meta: a bad code is OAuthException 100 (subcode 36007), a bad client code 1.
            number = 1 if code == "invalid_client" else 100
            error = {"message": description.strip() or code, "type": "OAuthException",
                     "code": number, "fbtrace_id": "AbCdEf"}  # fmt: skip
            return web.json_response({"error": error}, status=status, headers=headers)
        body = {"error": code, "error_description": description.strip() or code}
        return web.json_response(body, status=status, headers=headers)

    def expire_codes(self) -> None:
        """Make every outstanding code too old to exchange."""
        for code in self.codes.values():
            code["issued"] -= self.code_ttl + 1

    async def _authorize(self, request: web.Request) -> web.Response:
        q = request.query
        if q.get("client_id") != self.client_id or q.get("response_type") != "code":
            return self.error(400, "invalid_request: unknown client or response type")
        asked = {s for s in q.get("scope", "").split(self.scope_separator) if s}
        refused = asked - self.allowed_scopes if self.allowed_scopes is not None else set()
        if refused:
            why = f'Scope "{sorted(refused)[0]}" is not authorized for your application'
            query = {"error": "unauthorized_scope_error", "error_description": why,
                     "state": q.get("state", "")}  # fmt: skip
            raise web.HTTPFound(q.get("redirect_uri", "") + "?" + urlencode(query))
        code = f"code-{next(self._n)}"
        self.codes[code] = {
            "redirect_uri": q.get("redirect_uri", ""),
            "challenge": q.get("code_challenge"),
            "scope": q.get("scope", ""),
            "issued": time.time(),
        }
        target = q.get("redirect_uri", "") + "?" + urlencode({"code": code, "state": q["state"]})
        raise web.HTTPFound(target)

    def _client_ok(self, request: web.Request, form: dict[str, Any]) -> bool:
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            pair = base64.b64decode(auth[6:]).decode()
            return pair == f"{self.client_id}:{self.client_secret}"
        return (form.get("client_id"), form.get("client_secret")) == (
            self.client_id,
            self.client_secret,
        )

    def _issue(self, scope: str) -> dict[str, Any]:
        access = f"{self.prefix}-{next(self._n)}"
        self.grants_to.add(access)
        if self.token_scopes is not None:
            self.token_scopes[access] = {s for s in scope.split(self.scope_separator) if s}
        if self.shape == "facebook":
            return {"access_token": access, "token_type": "bearer", "expires_in": 5400}
        if self.shape == "threads":
            return {"access_token": access, "user_id": int(self.user_id)}
        refresh = f"rt-{next(self._n)}"
        self.refresh_tokens.add(refresh)
        self.refresh_scopes[refresh] = scope
        return {
            "access_token": access, "token_type": "bearer", "expires_in": self.expires_in,
            "refresh_token": refresh, "scope": scope,
        }  # fmt: skip

    async def _token(self, request: web.Request) -> web.Response:
        if self.latency:
            await asyncio.sleep(self.latency)
        form = dict(request[RECORDED].form or {})
        if not self._client_ok(request, form):
            return self.error(401, "invalid_client: client authentication failed")
        grant = form.get("grant_type")
        if grant == "authorization_code":
            return self._code_grant(form)
        if grant == "refresh_token" and self.shape == "oauth":
            return self._refresh_grant(str(form.get("refresh_token", "")))
        return self.error(400, "unsupported_grant_type: grant type not supported")

    def _code_grant(self, form: dict[str, Any]) -> web.Response:
        entry = self.codes.pop(str(form.get("code", "")), None)
        if entry is None:
            return self.error(400, "invalid_grant: authorization code is invalid or was used")
        if time.time() - entry["issued"] > self.code_ttl:
            return self.error(400, "invalid_grant: authorization code has expired")
        if entry["redirect_uri"] != form.get("redirect_uri"):
            return self.error(400, "invalid_grant: redirect_uri does not match")
        if entry["challenge"]:
            verifier = str(form.get("code_verifier", "")).encode()
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
            if digest.decode() != entry["challenge"]:
                return self.error(400, "invalid_grant: code_verifier does not match")
        return web.json_response(self._issue(entry["scope"]))

    def _refresh_grant(self, token: str) -> web.Response:
        self.refreshes += 1
        if self.refuse_refresh or token not in self.refresh_tokens:
            return self.error(400, "invalid_grant: refresh token is invalid or revoked")
        answer = self._issue(self.refresh_scopes.get(token, ""))
        if self.rotate_refresh:
            self.refresh_tokens.discard(token)
        else:
            self.refresh_tokens.discard(answer["refresh_token"])
            answer.pop("refresh_token")
        return web.json_response(answer)


if __name__ == "__main__":
    run_main(FakeAuthServer())
