"""What every API route goes through: bearer auth and scopes, a rate limit per token, body
size limits, JSON parsing that says where it broke, schema validation, ``Idempotency-Key``."""

from __future__ import annotations

import hashlib
import math
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from core.batch import Batcher
from core.errors import OutpostError, RequestProblem
from scheduler.api_tokens import api_store, authenticate, expired_message
from scheduler.edge import guard
from scheduler.runtime import Runtime
from scheduler.views import TokenView
from webhooks.body import parse_json, read_body
from webhooks.errors import ApiError, error_body, from_outpost
from webhooks.openapi import Operation, problems


@dataclass(frozen=True)
class ApiConfig:
    """Limits of the API; the defaults suit one small install."""

    rate_limit: int = 300
    rate_window: int = 60
    hook_rate_limit: int = 120
    json_limit: int = 1024 * 1024
    media_limit: int = 100 * 1024 * 1024


@dataclass(frozen=True)
class Reply:
    """A handler's answer: status and JSON body (None for 204)."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    # The id of what this answer shows a secret of: the answer is shown once, never stored.
    secret_of: str | None = None


@dataclass
class Call:
    """One API request after auth: the runtime, the token, the parsed body."""

    request: web.Request
    rt: Runtime
    op: Operation
    config: ApiConfig
    gate: RateGate
    token: TokenView | None = None
    body: Any = None
    raw: bytes = b""

    @property
    def workspace_id(self) -> uuid.UUID:
        """The calling token's workspace."""
        assert self.token is not None
        return self.token.workspace_id

    def path_id(self, name: str) -> uuid.UUID:
        """A UUID path parameter; anything else cannot name a thing, so 404."""
        try:
            return uuid.UUID(self.request.match_info[name])
        except ValueError:
            thing = name.removesuffix("_id")
            raise ApiError(404, "not_found", f"No {thing} with that id.") from None

    def revision(self) -> int | None:
        """The revision an edit is based on: the body's ``revision`` or ``If-Match``."""
        body = self.body if isinstance(self.body, dict) else {}
        given = body.get("revision")
        header = self.request.headers.get("If-Match")
        if header is None or header.strip() == "*":
            return None if given is None else int(given)
        tag = header.strip().removeprefix("W/").strip('"')
        if not tag.isdigit() or len(tag) > 10:
            raise ApiError(
                400, "bad_if_match", 'If-Match must be the post\'s revision, e.g. If-Match: "3".'
            )
        if given is not None and int(given) != int(tag):
            raise RequestProblem(["`revision` and If-Match name different revisions."])
        return int(tag)

    def check_url(self, field: str, url: str | None) -> None:
        """Refuse, where it was typed, what is not an http(s) URL with a host, or a URL this
        Outpost would refuse to connect to."""
        if url is None:
            return
        problem = url_problem(url)
        if problem is not None:
            raise RequestProblem(
                [f"`{field}` {problem}."], "Give a full URL, e.g. https://example.com/outpost."
            )
        if self.rt.settings.private_urls_allowed:
            return
        host = guard.local_host(url)
        if host is not None:
            raise RequestProblem(
                [f"`{field}` points at {host}, a private or local address; this Outpost only "
                 "sends to public addresses."]
            )  # fmt: skip

    async def idempotent(self, fingerprint: str, run: Callable[[], Awaitable[Reply]]) -> Reply:
        """Run once per ``Idempotency-Key``: replay the first answer, 409 for another body."""
        key = self.request.headers.get("Idempotency-Key")
        if key is None or self.token is None:
            return await run()
        if not 0 < len(key) <= 255 or not key.isascii() or not key.isprintable():
            raise ApiError(
                400, "bad_idempotency_key", "Idempotency-Key must be 1-255 ASCII characters."
            )
        store, ws = api_store(self.rt), self.token.workspace_id
        fingerprint = hashlib.sha256(fingerprint.encode()).hexdigest()
        prior = await store.remember(ws, key, fingerprint, self.rt.clock.now())
        if prior is not None:
            if prior.request_hash != fingerprint:
                raise ApiError(409, "idempotency_key_reused",
                               "This Idempotency-Key was used for a different request in the "
                               "last 24 hours. Use a new key for a new request.")  # fmt: skip
            if prior.status is None:
                raise ApiError(409, "idempotency_key_in_use",
                               "A request with this Idempotency-Key is still running; "
                               "retry in a moment.", headers={"Retry-After": "1"})  # fmt: skip
            return Reply(prior.status, prior.body, {"Idempotent-Replayed": "true"})
        try:
            reply = await run()
        except (ApiError, OutpostError) as exc:
            err = exc if isinstance(exc, ApiError) else from_outpost(exc)
            try:
                body = error_body(err.code, err.message, err.problems, extra=err.extra)
                await store.answer(ws, key, err.status, body)
            except BaseException:
                await store.forget(ws, key)  # a key must never stay "in use" for a day
                raise
            raise
        except BaseException:
            await store.forget(ws, key)
            raise
        try:
            await store.answer(ws, key, *_replayable(reply))
        except BaseException:
            await store.forget(ws, key)
            raise
        return reply


Handler = Callable[[Call], Awaitable[Reply]]


def url_problem(url: str) -> str | None:
    """What keeps ``url`` from being an http(s) URL with a host, or None."""
    if any(c.isspace() or not c.isprintable() for c in url):
        return "contains spaces or control characters"
    try:
        parts = urlsplit(url)
        port = parts.port  # a port that is not a number from 0 to 65535 raises here
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return "must start with http:// or https://"
    if not parts.hostname:
        return "has no host"
    if port == 0:
        return "has port 0"
    return None


def _replayable(reply: Reply) -> tuple[int, Any]:
    """What a replay of ``reply`` answers: itself, or for a secret a 409 naming what was made."""
    if reply.secret_of is None:
        return reply.status, reply.body
    return 409, error_body(
        "secret_not_replayed",
        f"This Idempotency-Key already made {reply.secret_of}; its secret was shown once, in "
        "that answer, and is not kept. If it was lost, delete or revoke that one and make "
        "another with a new key.",
        resource_id=reply.secret_of,
    )


async def bearer(request: web.Request, rt: Runtime) -> TokenView:
    """The token of ``Authorization: Bearer``, or 401."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    challenge = {"WWW-Authenticate": 'Bearer realm="outpost"'}
    if scheme.lower() != "bearer" or not value.strip():
        raise ApiError(401, "unauthenticated",
                       "Send Authorization: Bearer <token> (make one with "
                       "`outpost token create --workspace NAME`).", headers=challenge)  # fmt: skip
    token = await authenticate(rt, value.strip())
    if token is None:
        raise ApiError(401, "unauthenticated", "This token is unknown or revoked.",
                       headers=challenge)  # fmt: skip
    if token.expired(rt.clock.now()):
        raise ApiError(401, "token_expired", expired_message(token), headers=challenge)
    return token


class RateGate:
    """Fixed-window counters in Redis; a subject past its limit is also remembered in this
    process until its window ends, so a flood beyond the limit costs no Redis or Postgres
    round trip (one per app, made when the routes are mounted). The counts of requests
    arriving together go to Redis as one script call."""

    def __init__(self, runtime: Runtime) -> None:
        self._closed: dict[str, float] = {}
        self._redis = runtime.redis
        self._counts: Batcher[tuple[str, int], int] = Batcher(self._count_many)

    async def _count_many(self, keys: list[tuple[str, int]]) -> list[int]:
        script = self._redis.register_script(COUNT)
        counts = await script(keys=[k for k, _ in keys], args=[ttl for _, ttl in keys])
        return [int(c) for c in counts]

    def check(self, subject: str, now: float) -> None:
        """429 at once if ``subject`` was refused earlier in its current window."""
        until = self._closed.get(subject)
        if until is not None:
            if now < until:
                raise _too_many(math.ceil(until - now))
            del self._closed[subject]

    async def count(
        self, rt: Runtime, subject: str, limit: int, window: int, *aliases: str
    ) -> None:
        """Count one request for ``subject``; 429 with Retry-After once ``limit`` is passed,
        and until the window ends for ``subject`` and ``aliases`` alike."""
        now = rt.clock.now().timestamp()
        self.check(subject, now)
        slot = int(now // window)
        key = f"outpost:ratelimit:{subject}:{slot}"
        count = await self._counts((key, window + 5))
        if int(count) > limit:
            until = (slot + 1) * window
            if len(self._closed) > MAX_CLOSED:
                self._closed = {k: v for k, v in self._closed.items() if v > now}
            for name in (subject, *aliases):
                self._closed[name] = until
            raise _too_many(max(1, math.ceil(until - now)), limit, window)


MAX_CLOSED = 10_000
# INCR and EXPIRE each key in one command (a MULTI/EXEC pipeline sends four per key, and its
# client-side bookkeeping cost more than the script); a key given twice counts twice, in order.
COUNT = """
local counts = {}
for i, key in ipairs(KEYS) do
    counts[i] = redis.call('INCR', key)
    redis.call('EXPIRE', key, ARGV[i])
end
return counts
"""


def _too_many(wait: int, limit: int | None = None, window: int | None = None) -> ApiError:
    said = f"More than {limit} requests in {window} s" if limit else "Too many requests"
    return ApiError(429, "rate_limited", f"{said}; wait {wait} s and retry.",
                    headers={"Retry-After": str(max(1, wait))})  # fmt: skip


def auth_alias(request: web.Request) -> str:
    """A name for the request's credentials that needs no database to compute."""
    given = request.headers.get("Authorization", "")
    return "auth:" + hashlib.sha256(given.encode()).hexdigest()


def route(rt: Runtime, op: Operation, handler: Handler, config: ApiConfig, gate: RateGate) -> Any:
    """The aiohttp handler for ``op``: auth, limits, body, idempotency, then ``handler``."""

    async def serve(request: web.Request) -> web.StreamResponse:
        """Answer one request for ``op``."""
        call = Call(request, rt, op, config, gate)
        if op.scope is not None:
            alias = auth_alias(request)
            gate.check(alias, rt.clock.now().timestamp())  # a known flood: no token lookup
            call.token = await bearer(request, rt)
            await gate.count(rt, f"token:{call.token.id}", config.rate_limit, config.rate_window,
                             alias)  # fmt: skip
            if op.scope not in call.token.scopes:
                raise ApiError(403, "insufficient_scope",
                               f"This token lacks the {op.scope!r} scope this needs; make one "
                               "with it.")  # fmt: skip
        if op.body not in (None, "multipart", "any"):
            call.raw = await read_body(request, config.json_limit)
            call.body = parse_json(call.raw)
            found = problems(str(op.body), call.body)
            if found:
                raise ApiError(422, "invalid_body", "The body does not match the "
                               f"{op.body} schema: {found[0]}", problems=found)  # fmt: skip
        if op.method != "get" and op.body != "multipart":
            # If-Match is part of what was asked: the same body at another revision differs.
            match = request.headers.get("If-Match", "")
            digest = hashlib.sha256(
                f"{op.operation_id} {request.path} {match}\n".encode() + call.raw
            )
            reply = await call.idempotent(digest.hexdigest(), lambda: handler(call))
        else:
            reply = await handler(call)
        if reply.body is None:
            return web.Response(status=reply.status, headers=reply.headers)
        return web.json_response(reply.body, status=reply.status, headers=reply.headers)

    return serve
