"""Outpost's arq fast paths and stock arq 0.28, side by side on the same jobs.

``scheduler.publishing.queue`` enqueues with a Lua script and
``scheduler.publishing.arq_worker`` starts jobs with another and sends transactions together;
each claims to leave Redis exactly as arq would. Each test runs one scenario twice against real
Redis, once through stock arq (``ArqRedis.enqueue_job``, ``arq.worker.Worker``) and once
through Outpost's path, with a flush between, and compares every key left behind (type, TTL,
job payloads and results decoded with arq's deserializers, retry counts, in-progress keys,
queue scores) and what arq's own ``Job`` reports. Times are compared relative to each run's
start.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.constants import (
    abort_jobs_ss,
    in_progress_key_prefix,
    job_key_prefix,
    result_key_prefix,
    retry_key_prefix,
)
from arq.cron import cron
from arq.jobs import Job as ArqJob
from arq.utils import ms_to_datetime, timestamp_ms, to_unix_ms
from redis.exceptions import ResponseError

from scheduler.publishing.queue import PUBLISH, enqueue_publish, publish_job_id
from storage.views import Job
from tests.arq_parity import (
    DESTS,
    QUEUE,
    TOLERANCE_MS,
    Side,
    both,
    run_burst,
)
from tests.support import TEST_REDIS


@pytest.fixture
async def redis() -> AsyncIterator[ArqRedis]:
    pool = await create_pool(RedisSettings.from_dsn(TEST_REDIS), default_queue_name=QUEUE)
    await pool.flushdb()
    yield pool
    await pool.flushdb()
    await pool.aclose()


async def test_enqueue_defer_and_duplicates(redis: ArqRedis) -> None:
    async def scenario(side: Side) -> None:
        jobs = [
            side.job(0),
            side.job(1, due_in=600),
            side.job(2, due_in=5, revision=4, attempt=3),
        ]
        side.seen["new"] = [await side.enqueue(j) for j in jobs]
        await side.snap()
        side.seen["status"] = [await side.status(j) for j in jobs]
        side.seen["info"] = [await side.info(j) for j in jobs]
        side.seen["again"] = [await side.enqueue(j) for j in jobs]
        await side.snap()
        deferred = jobs[1]
        score = await side.redis.zscore(QUEUE, publish_job_id(deferred.destination_id, 1))
        side.seen["deferred score is the due time"] = score == to_unix_ms(deferred.due_at)

    stock, _ = await both(redis, scenario)
    assert stock.seen["new"] == [True, True, True]
    assert stock.seen["again"] == [False, False, False]
    assert stock.seen["status"] == ["queued", "deferred", "deferred"]
    assert stock.seen["deferred score is the due time"]
    assert stock.seen["info"][1] == (PUBLISH, (str(DESTS[1]), 1), {}, None, 600_000)
    job_key = job_key_prefix + publish_job_id(DESTS[1], 1)
    _, ttl, payload = stock.snaps[0][job_key]
    assert payload[:5] == ("job", PUBLISH, (str(DESTS[1]), 1), {}, None)
    assert ttl > 600_000 + redis.expires_extra_ms - TOLERANCE_MS


async def test_a_finished_job_with_a_kept_result_is_not_queued_again(redis: ArqRedis) -> None:
    async def scenario(side: Side) -> None:
        first = side.job(0)
        await side.enqueue(first)
        await run_burst(side.worker())
        await side.snap()
        side.seen["status"] = await side.status(first)
        side.seen["again"] = await side.enqueue(first)
        await side.snap()

    stock, _ = await both(redis, scenario)
    assert stock.seen["status"] == "complete"
    assert stock.seen["again"] is False


async def test_start_and_finish_many_jobs(redis: ArqRedis) -> None:
    """Twenty due jobs start together (one Lua call for Outpost, a WATCH each for arq); one
    held by another worker and one deferred do not; all finish with their results."""
    running = 20

    async def scenario(side: Side) -> None:
        jobs = [side.job(n) for n in range(running)]
        held, later = side.job(running), side.job(running + 1, due_in=600)
        for job in [*jobs, held, later]:
            side.plan[str(job.destination_id)] = "wait"
            await side.enqueue(job)
        held_id = publish_job_id(held.destination_id, held.revision)
        await side.redis.psetex(in_progress_key_prefix + held_id, 60_000, b"1")
        worker = side.worker()
        ids = await side.redis.zrange(QUEUE, 0, -1)
        await worker.start_jobs(ids)
        side.seen["started"] = sorted(worker.tasks)
        for job in jobs:
            event = side.started.setdefault(str(job.destination_id), asyncio.Event())
            await asyncio.wait_for(event.wait(), timeout=10)
        await side.snap()
        side.seen["running"] = [await side.status(j) for j in [jobs[0], held, later]]
        side.release.set()
        await asyncio.wait_for(asyncio.gather(*worker.tasks.values()), timeout=10)
        await side.snap()
        side.seen["done"] = [await side.status(j) for j in [jobs[0], held, later]]
        side.seen["counts"] = (worker.jobs_complete, worker.jobs_failed, worker.jobs_retried)

    stock, _ = await both(redis, scenario)
    assert len(stock.seen["started"]) == running
    assert stock.seen["running"] == ["in_progress", "in_progress", "deferred"]
    assert stock.seen["done"] == ["complete", "in_progress", "deferred"]
    assert stock.seen["counts"] == (running, 0, 0)
    one = publish_job_id(DESTS[0], 1)
    assert stock.snaps[0][retry_key_prefix + one][2] == ("tries", 1)
    assert stock.snaps[0][in_progress_key_prefix + one][2] == ("raw", b"1")
    result = stock.snaps[1][result_key_prefix + one][2]
    assert result[4:7] == (1, True, f"published {DESTS[0]}:1")


async def test_retry_failure_expiry_and_max_tries(redis: ArqRedis) -> None:
    async def scenario(side: Side) -> None:
        retried, failing, hopeless, expired = (side.job(n) for n in range(4))
        side.plan.update(
            {str(retried.destination_id): "retry", str(failing.destination_id): "fail",
             str(hopeless.destination_id): "always retry"}
        )  # fmt: skip
        for job in (retried, failing, hopeless, expired):
            await side.enqueue(job)
        await side.redis.delete(job_key_prefix + publish_job_id(expired.destination_id, 1))
        retried_id = publish_job_id(retried.destination_id, 1)

        async def after(ctx: dict[str, Any]) -> None:
            if ctx["job_id"] == retried_id and ctx["job_try"] == 1:  # its retry is recorded
                await side.snap(only={retried_id})

        worker = side.worker(after_job_end=after)
        await run_burst(worker)
        await side.snap()
        side.seen["counts"] = (worker.jobs_complete, worker.jobs_failed, worker.jobs_retried)

    stock, _ = await both(redis, scenario)
    retried_id = publish_job_id(DESTS[0], 1)
    mid = stock.snaps[0]
    assert mid[retry_key_prefix + retried_id][2] == ("tries", 1)
    assert in_progress_key_prefix + retried_id not in mid
    assert mid[QUEUE][2][retried_id] >= 300 - TOLERANCE_MS  # deferred by the Retry
    final = stock.snaps[1]
    results = {k: v[2] for k, v in final.items() if k.startswith(result_key_prefix)}
    assert results[result_key_prefix + retried_id][4:7] == (2, True, f"published {DESTS[0]}:1")
    failed = results[result_key_prefix + publish_job_id(DESTS[1], 1)]
    assert failed[4:7] == (1, False, ("ValueError", (f"cannot publish {DESTS[1]}",)))
    gave_up = results[result_key_prefix + publish_job_id(DESTS[2], 1)]
    assert gave_up[4:7] == (4, False, ("JobExecutionFailed", ("max 3 retries exceeded",)))
    lost = results[result_key_prefix + publish_job_id(DESTS[3], 1)]
    assert lost[5:7] == (False, ("JobExecutionFailed", ("job expired",)))
    assert QUEUE not in final
    assert stock.seen["counts"] == (1, 3, 4)


async def test_abort_running_and_deferred_jobs(redis: ArqRedis) -> None:
    async def scenario(side: Side) -> None:
        running, later = side.job(0), side.job(1, due_in=600)
        side.plan[str(running.destination_id)] = "wait"
        for job in (running, later):
            await side.enqueue(job)
        worker = side.worker(allow_abort_jobs=True)
        main = asyncio.create_task(run_burst(worker))
        started = side.started.setdefault(str(running.destination_id), asyncio.Event())
        await asyncio.wait_for(started.wait(), timeout=10)
        side.seen["aborted"] = [
            await ArqJob(publish_job_id(j.destination_id, 1), side.redis, _queue_name=QUEUE).abort(
                timeout=10, poll_delay=0.02
            )
            for j in (running, later)
        ]
        await main
        await side.snap()
        side.seen["status"] = [await side.status(j) for j in (running, later)]
        side.seen["abort set"] = await side.redis.zcard(abort_jobs_ss)

    stock, _ = await both(redis, scenario)
    assert stock.seen["aborted"] == [True, True]
    assert stock.seen["status"] == ["complete", "complete"]
    assert stock.seen["abort set"] == 0
    later = stock.snaps[0][result_key_prefix + publish_job_id(DESTS[1], 1)][2]
    assert later[5:7] == (False, ("CancelledError", ()))


async def tick(ctx: dict[str, Any]) -> str:
    """A cron body, as the reconciler is one."""
    side: Side = ctx["side"]
    side.seen.setdefault("ticks", []).append(ctx["job_try"])
    return "ticked"


async def test_a_cron_job_runs_once_and_keeps_its_in_progress_key(redis: ArqRedis) -> None:
    async def scenario(side: Side) -> None:
        daily = cron(tick, name="tick", hour={3}, minute={0}, second={0}, run_at_startup=True)
        worker = side.worker(cron_jobs=[daily])
        await run_burst(worker)
        await side.snap()
        side.seen["counts"] = (worker.jobs_complete, worker.jobs_failed, worker.jobs_retried)

    stock, _ = await both(redis, scenario)
    assert stock.seen["ticks"] == [1]
    state = stock.snaps[0]
    assert sorted(state) == [in_progress_key_prefix + "tick:<t>"]  # no result kept
    _, ttl, _ = state[in_progress_key_prefix + "tick:<t>"]
    assert abs(ttl - 60_000) < TOLERANCE_MS  # arq keeps a cron job's key a minute


async def test_an_overdue_job_keeps_its_key_where_arqs_enqueue_fails(redis: ArqRedis) -> None:
    """The one deliberate difference: arq sets the job key's TTL to (due - now) plus
    ``expires_extra_ms``, which goes negative for a job overdue by more than that, and Redis
    refuses the PSETEX. The reconciler queues overdue work after an outage, so Outpost's
    script counts an overdue job's TTL from now."""
    extra = redis.expires_extra_ms
    now = ms_to_datetime(timestamp_ms())
    overdue = Job(DESTS[0], 1, now - timedelta(milliseconds=extra + 60_000))
    late = Job(DESTS[1], 1, now - timedelta(hours=1))
    with pytest.raises(ResponseError, match="expire"):
        await redis.enqueue_job(
            PUBLISH, str(overdue.destination_id), 1, _job_id="stock", _defer_until=overdue.due_at
        )
    assert await redis.enqueue_job(
        PUBLISH, str(late.destination_id), 1, _job_id="stock-late", _defer_until=late.due_at
    )
    assert await enqueue_publish(redis, [overdue, late]) == 2
    for job in (overdue, late):
        job_id = publish_job_id(job.destination_id, 1)
        assert await redis.pttl(job_key_prefix + job_id) > extra - TOLERANCE_MS
        assert await redis.zscore(QUEUE, job_id) == to_unix_ms(job.due_at)
    stock_ttl = await redis.pttl(job_key_prefix + "stock-late")
    assert abs(stock_ttl - (extra - 3_600_000)) < TOLERANCE_MS
