"""Long-running processes: ``run`` (web + worker), ``web`` and ``worker``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from aiohttp import web
from redis.exceptions import RedisError

from app.migrate import migrate
from app.process import open_process
from app.wiring import WorkerJobs, worker_jobs
from core import aio
from core.logging import setup_logging
from core.settings import Settings, load_settings
from scheduler.publishing.tasks import make_worker
from scheduler.runtime import Runtime

log = logging.getLogger("outpost")


def serve_command(args: argparse.Namespace) -> int:
    """``outpost run`` and ``outpost worker`` (``outpost web`` starts in ``app.processes``)."""
    settings = load_settings()
    setup_logging(settings.log_level)
    aio.run(_serve(settings, args.command))
    return 0


async def _serve(settings: Settings, command: str) -> None:
    if command == "run":
        await migrate(settings)
    await serve(settings, with_web=command != "worker", with_worker=command != "web")


class Supervisor:
    """Runs the arq worker loop, restarting it when Redis goes away, and drains on stop."""

    def __init__(self, runtime: Runtime, jobs: WorkerJobs) -> None:
        self.runtime = runtime
        self.jobs = jobs
        self.worker = self._make()
        self.retired: list[Any] = []

    def _make(self) -> Any:
        return make_worker(
            self.runtime,
            handle_signals=False,
            extra_functions=self.jobs.functions,
            extra_cron=self.jobs.cron,
        )

    async def run(self) -> None:
        while True:
            try:
                await self.worker.main()
                return
            except (RedisError, OSError) as exc:
                # Redis restarted: jobs live on in Postgres; poll again once it answers.
                log.warning("lost Redis; retrying", extra={"error": repr(exc)})
                await asyncio.sleep(1.0)
                self.retired.append(self.worker)
                self.worker = self._make()

    def _running(self) -> list[asyncio.Task[Any]]:
        workers = [self.worker, *self.retired]
        return [t for w in workers for t in w.tasks.values() if not t.done()]

    async def drain(self, loop_task: asyncio.Task[None]) -> None:
        """Stop taking jobs, let running publishes finish (up to the job timeout), then stop."""
        self.worker.allow_pick_jobs = False
        running = self._running()
        if running:
            log.info("waiting for running jobs", extra={"jobs": len(running)})
            await asyncio.wait(running, timeout=self.runtime.settings.job_timeout_seconds)
        loop_task.cancel()
        leftovers = self._running()
        for task in leftovers:
            task.cancel()  # past the job timeout: arq re-runs it, the lease protects the send
        with suppress(asyncio.CancelledError):
            await loop_task
        await asyncio.gather(*leftovers, return_exceptions=True)


async def serve(
    settings: Settings,
    *,
    with_web: bool,
    with_worker: bool,
    reuse_port: bool = False,
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Run until SIGTERM or SIGINT; then shut down gracefully.

    ``reuse_port`` lets several processes listen on one port (``app.processes``); ``on_ready``
    is called once the site listens and the worker loop has started.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with open_process(settings) as process:
        runtime = process.runtime
        runner: web.AppRunner | None = None
        if with_web:
            # Here, not at the top: a worker has no use for the routes and their imports.
            from app.web import build_app
            from app.wiring import adapters

            app = build_app(runtime, adapters(process))
            runner = web.AppRunner(app, access_log=None, handle_signals=False)
            await runner.setup()
            site = web.TCPSite(runner, settings.host, settings.port, reuse_port=reuse_port)
            await site.start()
            log.info("listening", extra={"url": settings.base_url})
        jobs = worker_jobs(process)
        supervisor = Supervisor(runtime, jobs) if with_worker else None
        worker_task = asyncio.create_task(supervisor.run()) if supervisor is not None else None
        if supervisor is not None:
            log.info("worker started", extra={"queue": settings.queue_name})
        if on_ready is not None:
            on_ready()
        stop_task = asyncio.create_task(stop.wait())
        waiting: set[asyncio.Task[Any]] = {stop_task}
        if worker_task is not None:
            waiting.add(worker_task)
        done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        log.info("shutting down")
        if worker_task is not None and supervisor is not None:
            if worker_task in done:
                worker_task.result()  # surface a crashed worker loop
            else:
                await supervisor.drain(worker_task)
        stop_task.cancel()
        if runner is not None:
            await runner.cleanup()
