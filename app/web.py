"""The one aiohttp application: health, metrics, media, and each adapter's routes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from scheduler import metrics
from scheduler.queue import queue_depth
from scheduler.runtime import Runtime
from web import media

log = logging.getLogger("outpost.web")

Setup = Callable[[web.Application, Runtime], None]


async def _check(name: str, probe: Awaitable[object]) -> tuple[str, str]:
    try:
        await asyncio.wait_for(probe, timeout=2.0)
    except Exception as exc:
        log.warning("health check failed", extra={"component": name, "error": repr(exc)})
        return name, "down"
    return name, "ok"


def build_app(runtime: Runtime, extra: list[Setup] | None = None) -> web.Application:
    """The application; ``extra`` adds the bots', API's and calendar's routes."""
    app = web.Application(client_max_size=50 * 1024 * 1024)

    async def healthz(request: web.Request) -> web.Response:
        results = dict(
            await asyncio.gather(
                _check("database", runtime.workspaces.ping()),
                _check("redis", runtime.redis.ping()),
            )
        )
        status = 200 if all(v == "ok" for v in results.values()) else 503
        return web.json_response(results, status=status)

    async def metrics_view(request: web.Request) -> web.Response:
        try:
            due, deferred = await queue_depth(
                runtime.redis, runtime.settings.queue_name, runtime.clock.now()
            )
            metrics.QUEUE_DUE.set(due)
            metrics.QUEUE_DEFERRED.set(deferred)
            metrics.OPEN_DESTINATIONS.set(await runtime.publishing.count_open())
        except Exception as exc:  # a metrics scrape must not fail because one source is down
            log.warning("metrics gauges stale", extra={"error": repr(exc)})
        body = generate_latest()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_view)
    media.setup(app, runtime)
    for setup in extra or []:
        setup(app, runtime)
    return app
