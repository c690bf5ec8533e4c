"""Long-running processes: ``run`` (web + worker), ``web`` and ``worker``."""

from __future__ import annotations

import asyncio
import logging
import signal
from contextlib import suppress
from typing import Any

from aiohttp import web

from app.web import build_app
from app.wiring import adapters, notifier_for
from core.settings import Settings
from scheduler.runtime import Runtime, open_runtime
from scheduler.tasks import make_worker
from storage.db import ensure_database, upgrade

log = logging.getLogger("outpost")


async def migrate(settings: Settings) -> None:
    """Create the database if needed and upgrade it to the newest schema."""
    if await ensure_database(settings.database_url):
        log.info("created the database")
    await upgrade(settings.database_url)


async def _drain(worker_task: asyncio.Task[None], runtime: Runtime, worker: object) -> None:
    """Stop taking jobs, let running publishes finish (up to the job timeout), then stop."""
    tasks = getattr(worker, "tasks", {})
    worker.allow_pick_jobs = False  # type: ignore[attr-defined]
    running = [t for t in tasks.values() if not t.done()]
    if running:
        log.info("waiting for running jobs", extra={"jobs": len(running)})
        await asyncio.wait(running, timeout=runtime.settings.job_timeout_seconds)
    worker_task.cancel()
    leftovers = [t for t in tasks.values() if not t.done()]
    for task in leftovers:
        task.cancel()  # past the job timeout: arq re-runs it, the lease protects the send
    with suppress(asyncio.CancelledError):
        await worker_task
    await asyncio.gather(*leftovers, return_exceptions=True)


async def serve(settings: Settings, *, with_web: bool, with_worker: bool) -> None:
    """Run until SIGTERM or SIGINT; then shut down gracefully."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with open_runtime(settings) as runtime:
        runtime.notifier = notifier_for(runtime)
        runner: web.AppRunner | None = None
        if with_web:
            app = build_app(runtime, adapters(runtime))
            runner = web.AppRunner(app, access_log=None, handle_signals=False)
            await runner.setup()
            site = web.TCPSite(runner, settings.host, settings.port)
            await site.start()
            log.info("listening", extra={"url": settings.base_url})
        worker = make_worker(runtime, handle_signals=False) if with_worker else None
        worker_task = asyncio.create_task(worker.main()) if worker is not None else None
        if worker is not None:
            log.info("worker started", extra={"queue": settings.queue_name})
        stop_task = asyncio.create_task(stop.wait())
        waiting: set[asyncio.Task[Any]] = {stop_task}
        if worker_task is not None:
            waiting.add(worker_task)
        done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        log.info("shutting down")
        if worker_task is not None and worker is not None:
            if worker_task in done:
                worker_task.result()  # surface a crashed worker loop
            else:
                await _drain(worker_task, runtime, worker)
        stop_task.cancel()
        if runner is not None:
            await runner.cleanup()
