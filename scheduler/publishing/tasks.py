"""arq glue: task functions, the reconciler cron, and the worker built from a Runtime.

Only the queue retries: ``RetryLater`` from the runner becomes ``arq.Retry``. Jobs take ids
and are safe to run twice. A worker's job timeout is short so a killed worker's job comes back
in about a minute; SIGTERM lets running publishes finish first.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

from arq import Retry
from arq.cron import CronJob, cron
from arq.worker import Function, Worker, func
from redis.exceptions import RedisError

from scheduler import metrics
from scheduler.approval import expire_task
from scheduler.health.digest import digest_task
from scheduler.health.heartbeat import heartbeat
from scheduler.health.watch import daily_task, due_soon_task
from scheduler.publishing.horizon import sweep, within
from scheduler.publishing.queue import (
    NOTIFY,
    PUBLISH,
    enqueue_notify,
    enqueue_publish,
    missing,
    queue_depth,
)
from scheduler.publishing.runner import RetryLater, Runner, backoff
from scheduler.publishing.waking import WakingWorker
from scheduler.runtime import Runtime

log = logging.getLogger("outpost.worker")


async def publish_destination(ctx: dict[str, Any], dest_id: str, revision: int) -> str:
    """Publish one destination revision."""
    runner: Runner = ctx["runner"]
    try:
        return await runner.publish(uuid.UUID(dest_id), revision)
    except RetryLater as later:
        rt = runner.rt
        if not within(rt, rt.clock.now() + timedelta(seconds=later.delay)):
            # The row is pending with its new due time: the horizon sweep queues it again
            # (this job ends, and arq keeps no result, so the same job id is free by then).
            return "beyond horizon"
        raise Retry(defer=later.delay) from None
    except Exception:
        # Outside an attempt (the runner counts a publisher's failures as failed attempts):
        # Postgres or Redis went away mid-job, or a bug of ours. The row says where we are (a
        # claimed row keeps its lease), so running the job again soon is safe and quicker
        # than the reconciler; the traceback and the count say it happened.
        log.exception("publish job failed; retrying", extra={"dest": dest_id})
        metrics.ERRORS.labels("unknown").inc()
        raise Retry(defer=backoff(ctx.get("job_try", 1))) from None


async def notify_post(ctx: dict[str, Any], post_id: str, revision: int) -> str:
    """Report a finished post to where it was asked for."""
    runner: Runner = ctx["runner"]
    try:
        return await runner.notify(uuid.UUID(post_id), revision)
    except RetryLater as later:  # the chat asked us to wait (Telegram's retry_after)
        raise Retry(defer=later.delay) from None
    except Exception as exc:
        tries: int = ctx.get("job_try", 1)
        if tries >= 12:
            log.exception("giving up on a notification", extra={"post_id": post_id})
            return "gave up"
        log.warning("notification failed; will retry", extra={"error": repr(exc)})
        raise Retry(defer=backoff(tries)) from None


class Reconciler:
    """Puts back whatever a crash, a flush or a race left behind; safe to run anywhere."""

    def __init__(self, runtime: Runtime, runner: Runner) -> None:
        self.rt = runtime
        self.runner = runner

    async def run_once(self) -> dict[str, int]:
        rt, now = self.rt, self.rt.clock.now()
        counts = {"expired": 0, "resolved": 0, "entered": 0, "requeued": 0, "finalized": 0}
        counts["notified"] = 0
        counts["expired"] = len(await rt.publishing.expire_leases(now))
        for dest_id in await rt.publishing.unknown():
            await self.runner.resolve(dest_id)
            counts["resolved"] += 1
        try:
            counts["entered"] = await sweep(rt)
        except (RedisError, OSError) as exc:  # the mark stays; the next pass sweeps again
            log.warning("horizon sweep failed", extra={"error": str(exc)})
        # A job lost while its mark survived (an enqueue that failed, a partial flush): look
        # for the jobs of the next few minutes one by one. Never past the queue horizon.
        ahead = min(rt.settings.reconcile_horizon_seconds, rt.settings.queue_horizon_seconds)
        lost = await missing(rt.redis, await rt.publishing.due(now + timedelta(seconds=ahead)))
        counts["requeued"] = await enqueue_publish(rt.redis, lost)
        for post_id in await rt.publishing.unfinalized(now):
            await self.runner.after(post_id)
            counts["finalized"] += 1
        # A report is sent by the job that finished the post, within the job timeout.
        settled = now - timedelta(seconds=rt.settings.job_timeout_seconds + 10)
        for post_id, revision in await rt.publishing.unnotified(settled):
            counts["notified"] += await enqueue_notify(rt.redis, post_id, revision)
        for kind, count in counts.items():
            if count:
                metrics.RECONCILED.labels(kind).inc(count)
        due, deferred = await queue_depth(rt.redis, rt.settings.queue_name, now)
        metrics.QUEUE_DUE.set(due)
        metrics.QUEUE_DEFERRED.set(deferred)
        if any(counts.values()):
            log.info("reconciled", extra=counts)
        return counts


async def reconcile(ctx: dict[str, Any]) -> dict[str, int]:
    """The cron task."""
    reconciler: Reconciler = ctx["reconciler"]
    return await reconciler.run_once()


TaskBody = Callable[..., Awaitable[object]]


def extra_task(body: TaskBody, name: str, *, max_tries: int = 20, timeout: float = 60) -> Function:
    """Wrap ``async def body(runtime, *args)`` from another package as an arq task.

    Adapters keep their job logic without importing arq; raise ``RetryLater`` to retry.
    """

    async def task(ctx: dict[str, Any], *args: Any) -> object:
        try:
            return await body(ctx["runtime"], *args)
        except RetryLater as later:
            raise Retry(defer=later.delay) from None

    task.__qualname__ = task.__name__ = name
    return func(task, name=name, max_tries=max_tries, timeout=timeout)


def _cron_seconds(interval: float) -> dict[str, Any]:
    if interval >= 60:
        step = max(1, int(interval // 60))
        return {"minute": set(range(0, 60, step)), "second": {0}}
    step = max(1, int(interval))
    return {"second": set(range(0, 60, step))}


async def idle_task(ctx: dict[str, Any]) -> int:
    """Threads written in a chat and left without `done` become their author's drafts."""
    # Imported here: the use cases load the media libraries, which a worker otherwise loads
    # only when a post with media is due (tests/test_cli_imports.py).
    from scheduler.chat_threads import save_idle
    from scheduler.service import Scheduler

    return await save_idle(Scheduler(ctx["runtime"]))


def make_worker(
    runtime: Runtime,
    *,
    burst: bool = False,
    handle_signals: bool = True,
    extra_functions: Sequence[Function] = (),
    extra_cron: Sequence[CronJob] = (),
) -> Worker:
    """An arq worker sharing the runtime's Redis pool, database and HTTP session.

    ``extra_functions`` and ``extra_cron`` come from other use cases (callbacks, media
    cleanup); their tasks find the runtime in ``ctx["runtime"]``.
    """
    settings = runtime.settings
    runner = Runner(runtime)
    timeout = settings.job_timeout_seconds
    return WakingWorker(
        functions=[
            func(publish_destination, name=PUBLISH, max_tries=10_000, timeout=timeout),
            func(notify_post, name=NOTIFY, max_tries=20, timeout=timeout),
            *extra_functions,
        ],
        cron_jobs=[
            cron(
                reconcile,
                run_at_startup=True,
                # arq sizes every in-progress key by the longest timeout: keep them equal.
                timeout=timeout,
                **_cron_seconds(settings.reconcile_seconds),
            ),
            # Every worker says it is alive (not unique: each one runs its own).
            cron(
                heartbeat,
                run_at_startup=True,
                unique=False,
                timeout=timeout,
                **_cron_seconds(settings.heartbeat_seconds),
            ),
            # Every account once a day; accounts with posts due in 24 hours, hourly.
            cron(
                daily_task, name="health:daily", hour={3}, minute={7}, second={0}, timeout=timeout
            ),
            cron(due_soon_task, name="health:due-soon", minute={37}, second={0}, timeout=timeout),
            # The weekly digest, Monday 08:00 UTC, to the chats that opted in.
            cron(
                digest_task,
                name="health:digest",
                weekday={0},
                hour={8},
                minute={3},
                second={0},
                timeout=timeout,
            ),
            # Posts still waiting for an approver when their time comes become drafts again.
            cron(
                expire_task,
                name="approval:expire",
                timeout=timeout,
                **_cron_seconds(settings.reconcile_seconds),
            ),
            # Threads written in a chat and left without `done` become their author's drafts.
            cron(
                idle_task,
                name="threads:idle",
                timeout=timeout,
                **_cron_seconds(settings.reconcile_seconds),
            ),
            *extra_cron,
        ],
        redis_pool=runtime.redis,
        queue_name=settings.queue_name,
        burst=burst,
        handle_signals=handle_signals,
        job_completion_wait=int(timeout),
        max_jobs=settings.worker_max_jobs,
        job_timeout=timeout,
        keep_result=0,
        poll_delay=settings.worker_poll_delay,
        ctx={"runtime": runtime, "runner": runner, "reconciler": Reconciler(runtime, runner)},
        log_results=False,
    )
