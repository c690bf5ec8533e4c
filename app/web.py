"""The one aiohttp application: health, metrics, media, and each adapter's routes.

Every request passes the body-size edge first: its route's limit is checked against
``Content-Length`` before anything is read, and routes that do not stream their body read it
through ``client_max_size`` set to that limit, so a chunked body is cut off there too.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from core.settings import Settings
from scheduler import metrics
from scheduler.health.alarm import StallAlarm, snapshot
from scheduler.media.ingest import upload_limit
from scheduler.publishing.queue import queue_depth
from scheduler.runtime import Runtime
from web import media
from web.compose import MAX_FILES
from web.csrf import csrf_middleware

log = logging.getLogger("outpost.web")

Setup = Callable[[web.Application, Runtime], None]
KB = 1024
MB = 1024 * KB
# Slack caps a message's text at 40,000 characters (at most 160 KB of UTF-8); an event carries
# it twice (text and rich-text blocks) and a modal submission at most 100 blocks of 3,000
# characters. 512 KB holds the largest of these and refuses a flood long before it costs.
SLACK_LIMIT = 512 * KB
# A Telegram update is one message (text up to 4,096 characters, caption 1,024) with the
# message it replies to and their entities: tens of KB at most.
TELEGRAM_LIMIT = 256 * KB
# Calendar and connect forms: a post's text (Facebook's 63,206 characters, percent-encoded)
# fits; anything larger is not a form a person typed.
FORM_LIMIT = 1 * MB
# The API's JSON bodies and inbound hooks (``webhooks.ApiConfig.json_limit``).
JSON_LIMIT = 1 * MB
# Room for a multipart body's boundaries and small fields around its files.
MULTIPART_SLACK = 1 * MB


@dataclass(frozen=True)
class BodyLimit:
    """The largest body a path prefix takes; ``streams`` when its handler reads it bounded."""

    prefix: str
    limit: int
    streams: bool = False


def body_limits(runtime: Runtime) -> list[BodyLimit]:
    """Each route's limit, longest prefix first; anything else takes a form's."""
    upload = upload_limit(runtime)
    rules = [
        BodyLimit("/slack/", SLACK_LIMIT),
        BodyLimit("/telegram/", TELEGRAM_LIMIT),
        BodyLimit("/api/v1/media", upload + MULTIPART_SLACK, streams=True),
        BodyLimit("/api/v1/", JSON_LIMIT, streams=True),
        BodyLimit("/hooks/", JSON_LIMIT, streams=True),
        BodyLimit("/mcp", JSON_LIMIT),
        BodyLimit("/compose", MAX_FILES * upload + MULTIPART_SLACK, streams=True),
        # The compose form's live count: one post's texts as JSON, read whole.
        BodyLimit("/compose/count", FORM_LIMIT),
    ]
    return sorted(rules, key=lambda rule: len(rule.prefix), reverse=True)


def _words(size: int) -> str:
    return f"{size // MB} MB" if size >= MB else f"{size // KB} KB"


def _too_large(request: web.Request, rule: BodyLimit) -> web.Response:
    where = rule.prefix or "this route"
    message = f"The request body is larger than {_words(rule.limit)}, the most {where} takes."
    if request.path.startswith(("/slack/", "/telegram/", "/api/", "/hooks/")):
        response = web.json_response(
            {"error": {"code": "too_large", "message": message}}, status=413
        )
    else:
        response = web.Response(status=413, text=message + " Send less.")
    # Whatever is left of the body is not wanted: end the connection after this answer.
    response.force_close()
    return response


REFUSALS = frozenset({401, 413, 429})


def refusal_delay_middleware(runtime: Runtime) -> Middleware:
    """Answer refusals after ``REFUSAL_DELAY_SECONDS``: a sleep, not work, so one client
    sending unsigned, oversized or rate-limited requests back to back gets a few a second."""
    delay = runtime.settings.refusal_delay_seconds

    @web.middleware
    async def slow_refusals(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            if exc.status in REFUSALS and delay:
                await asyncio.sleep(delay)
            raise
        if response.status in REFUSALS and delay:
            await asyncio.sleep(delay)
        return response

    return slow_refusals


def body_limit_middleware(runtime: Runtime) -> Middleware:
    """Refuse a body over its route's limit before reading it, and while reading it."""
    rules = body_limits(runtime)
    default = BodyLimit("", FORM_LIMIT)

    @web.middleware
    async def limit_bodies(request: web.Request, handler: Handler) -> web.StreamResponse:
        rule = next((r for r in rules if request.path.startswith(r.prefix)), default)
        length = request.content_length
        if length is not None and length > rule.limit:
            log.info("body refused", extra={"path": rule.prefix, "length": length})
            return _too_large(request, rule)
        bounded = request if rule.streams else request.clone(client_max_size=rule.limit)
        try:
            return await handler(bounded)
        except web.HTTPRequestEntityTooLarge:
            return _too_large(request, rule)

    return limit_bodies


async def _check(name: str, probe: Awaitable[object]) -> tuple[str, str]:
    try:
        await asyncio.wait_for(probe, timeout=2.0)
    except Exception as exc:
        log.warning("health check failed", extra={"component": name, "error": repr(exc)})
        return name, "down"
    return name, "ok"


def _loopback(remote: str | None) -> bool:
    try:
        return remote is not None and ipaddress.ip_address(remote).is_loopback
    except ValueError:
        return False


def metrics_refusal(settings: Settings, request: web.Request) -> web.Response | None:
    """Who may scrape: the ``METRICS_TOKEN`` bearer when set; else loopback in production."""
    token = settings.metrics_token
    if token is not None and token.get_secret_value():
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        expected = token.get_secret_value().encode()
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected):
            return None
        return web.Response(
            status=401,
            text="Send Authorization: Bearer <METRICS_TOKEN>.",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    if settings.outpost_env == "production" and not _loopback(request.remote):
        return web.Response(
            status=403,
            text="Metrics are served to this machine only; set METRICS_TOKEN to scrape from "
            "elsewhere.",
        )
    return None


def build_app(runtime: Runtime, extra: list[Setup] | None = None) -> web.Application:
    """The application; ``extra`` adds the bots', API's and calendar's routes."""
    app = web.Application(
        client_max_size=FORM_LIMIT,
        middlewares=[
            refusal_delay_middleware(runtime),
            body_limit_middleware(runtime),
            csrf_middleware(runtime),
        ],
    )

    async def healthz(request: web.Request) -> web.Response:
        results = dict(
            await asyncio.gather(
                _check("database", runtime.workspaces.ping()),
                _check("redis", runtime.redis.ping()),
            )
        )
        body: dict[str, object] = dict(results)
        healthy = all(v == "ok" for v in results.values())
        try:
            # Workers seen lately and due work not started: 503 when it is late and nobody
            # is alive to do it (scheduler.health.alarm).
            shot = await asyncio.wait_for(snapshot(runtime), timeout=2.0)
        except Exception as exc:
            log.warning("health check failed", extra={"component": "work", "error": repr(exc)})
            healthy = False
        else:
            body.update(shot.to_json())
            healthy = healthy and shot.healthy(runtime.settings.healthz_late_seconds)
        return web.json_response(body, status=200 if healthy else 503)

    async def metrics_view(request: web.Request) -> web.Response:
        refused = metrics_refusal(runtime.settings, request)
        if refused is not None:
            return refused
        try:
            due, deferred = await queue_depth(
                runtime.redis, runtime.settings.queue_name, runtime.clock.now()
            )
            metrics.QUEUE_DUE.set(due)
            metrics.QUEUE_DEFERRED.set(deferred)
            metrics.OPEN_DESTINATIONS.set(await runtime.publishing.count_open())
            await snapshot(runtime)  # live workers, due not started, the oldest's lateness
        except Exception as exc:  # a metrics scrape must not fail because one source is down
            log.warning("metrics gauges stale", extra={"error": repr(exc)})
        body = generate_latest()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def stall_alarm(app: web.Application) -> AsyncIterator[None]:
        # Here, not in a worker: the alarm must sound exactly when the workers are dead.
        task = asyncio.create_task(StallAlarm(runtime).run())
        yield
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task

    app.cleanup_ctx.append(stall_alarm)
    metrics.PROCESS.info({"pid": str(os.getpid())})
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_view)
    media.setup(app, runtime)
    for setup in extra or []:
        setup(app, runtime)
    return app
