"""Outpost's arq fast paths and stock arq 0.28, side by side on the same jobs.

``scheduler.queue`` enqueues with a Lua script and ``scheduler.arq_worker`` starts jobs with
another and sends transactions together; each claims to leave Redis exactly as arq would. Each
test runs one scenario twice against real Redis, once through stock arq
(``ArqRedis.enqueue_job``, ``arq.worker.Worker``) and once through Outpost's path, with a
flush between, and compares every key left behind (type, TTL, job payloads and results decoded
with arq's deserializers, retry counts, in-progress keys, queue scores) and what arq's own
``Job`` reports. Times are compared relative to each run's start.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from arq import Retry
from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.constants import (
    abort_jobs_ss,
    health_check_key_suffix,
    in_progress_key_prefix,
    job_key_prefix,
    result_key_prefix,
    retry_key_prefix,
)
from arq.cron import cron
from arq.jobs import Job as ArqJob
from arq.jobs import deserialize_job, deserialize_result
from arq.utils import ms_to_datetime, timestamp_ms, to_unix_ms
from arq.worker import Worker, func
from redis.exceptions import ResponseError

from scheduler.arq_worker import Worker1RTT
from scheduler.queue import PUBLISH, enqueue_publish, publish_job_id
from storage.views import Job
from tests.support import TEST_REDIS

QUEUE = "outpost:parity"
TOLERANCE_MS = 1500  # two runs of one scenario differ by scheduling noise, not by seconds
KINDS = ("stock", "outpost")
DESTS = [uuid.UUID(int=n) for n in range(1, 41)]
CRON_ID = re.compile(r"\b(tick:)\d+")  # a cron job's id ends in its run time


class Ms(float):
    """A time in milliseconds (a TTL, or a moment relative to the run's start): compared
    within the tolerance, where every other value must be equal."""


@pytest.fixture
async def redis() -> AsyncIterator[ArqRedis]:
    pool = await create_pool(RedisSettings.from_dsn(TEST_REDIS), default_queue_name=QUEUE)
    await pool.flushdb()
    yield pool
    await pool.flushdb()
    await pool.aclose()


@dataclass
class Side:
    """One run of a scenario: stock arq or Outpost's path."""

    kind: str
    redis: ArqRedis
    t0: int = field(default_factory=timestamp_ms)
    snaps: list[dict[str, Any]] = field(default_factory=list)
    seen: dict[str, Any] = field(default_factory=dict)
    plan: dict[str, str] = field(default_factory=dict)
    started: dict[str, asyncio.Event] = field(default_factory=dict)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def job(self, n: int, *, due_in: float = 0.0, revision: int = 1, attempt: int = 0) -> Job:
        """Destination ``n``'s job, due ``due_in`` seconds after this run started."""
        due = ms_to_datetime(self.t0) + timedelta(seconds=due_in)
        return Job(DESTS[n], revision, due, attempt=attempt)

    async def enqueue(self, job: Job) -> bool:
        """Queue ``job`` the stock way or Outpost's; True if it was new."""
        job_id = publish_job_id(job.destination_id, job.revision, job.attempt)
        if self.kind == "stock":
            queued = await self.redis.enqueue_job(
                PUBLISH, str(job.destination_id), job.revision, _job_id=job_id,
                _defer_until=job.due_at,
            )  # fmt: skip
            return queued is not None
        return await enqueue_publish(self.redis, [job]) == 1

    def worker(self, **kw: Any) -> Worker:
        cls = Worker if self.kind == "stock" else Worker1RTT
        options: dict[str, Any] = {
            "functions": [func(task, name=PUBLISH, max_tries=3)],
            "redis_pool": self.redis,
            "queue_name": QUEUE,
            "burst": True,
            "handle_signals": False,
            "poll_delay": 0.01,
            "keep_result": 3600,
            "job_timeout": 30,
            "max_jobs": 100,
            "ctx": {"side": self},
        }
        options.update(kw)
        return cls(**options)

    async def snap(self, only: set[str] | None = None) -> None:
        self.snaps.append(await snapshot(self.redis, self.t0, only))

    async def info(self, job: Job) -> tuple[Any, ...]:
        """What arq's ``Job.info`` says, the score relative to the run's start."""
        job_id = publish_job_id(job.destination_id, job.revision, job.attempt)
        found = await ArqJob(job_id, self.redis, _queue_name=QUEUE).info()
        assert found is not None
        score = None if found.score is None else found.score - self.t0
        return (found.function, found.args, found.kwargs, found.job_try, score)

    async def status(self, job: Job) -> str:
        job_id = publish_job_id(job.destination_id, job.revision, job.attempt)
        return str((await ArqJob(job_id, self.redis, _queue_name=QUEUE).status()).value)


async def task(ctx: dict[str, Any], dest: str, revision: int) -> str:
    """The job body both workers run; what it does is the scenario's plan for ``dest``."""
    side: Side = ctx["side"]
    plan = side.plan.get(dest, "ok")
    tries = side.seen.setdefault(f"tries {dest}", [])
    tries.append(ctx["job_try"])
    if plan == "retry" and ctx["job_try"] == 1:
        raise Retry(defer=0.3)
    if plan == "always retry":
        raise Retry(defer=0.05)
    if plan == "fail":
        raise ValueError(f"cannot publish {dest}")
    if plan == "wait":
        side.started.setdefault(dest, asyncio.Event()).set()
        await side.release.wait()
    return f"published {dest}:{revision}"


def _result(value: Any) -> Any:
    if isinstance(value, BaseException):
        return (type(value).__name__, value.args)
    return value


async def snapshot(redis: ArqRedis, t0: int, only: set[str] | None = None) -> dict[str, Any]:
    """Every key but the health check, decoded; times relative to ``t0``.

    ``only`` keeps the keys (and queue members) of those job ids.
    """
    out: dict[str, Any] = {}
    for raw in sorted(await redis.keys("*")):
        key = raw.decode()
        name = CRON_ID.sub(r"\1<t>", key)
        if key.endswith(health_check_key_suffix):
            continue
        kind = (await redis.type(key)).decode()
        ttl = await redis.pttl(key)
        ttl = Ms(ttl) if ttl >= 0 else ttl
        if kind == "zset":
            members = await redis.zrange(key, 0, -1, withscores=True)
            value: Any = {
                CRON_ID.sub(r"\1<t>", m.decode()): score if score < 1e12 else Ms(score - t0)
                for m, score in members
                if only is None or m.decode() in only
            }
            if not value:
                continue
        else:
            job_id = key.split(":", 2)[-1]
            if only is not None and job_id not in only:
                continue
            value = await _decode(key, await redis.get(key), t0)
        out[name] = (kind, ttl, value)
    return out


async def _decode(key: str, data: bytes, t0: int) -> Any:
    if key.startswith(job_key_prefix):
        job = deserialize_job(data)
        ago = Ms(to_unix_ms(job.enqueue_time) - t0)
        return ("job", job.function, job.args, job.kwargs, job.job_try, ago)
    if key.startswith(result_key_prefix):
        res = deserialize_result(data)
        return (
            "result", res.function, res.args, res.kwargs, res.job_try, res.success,
            _result(res.result), res.queue_name, res.job_id,
        )  # fmt: skip
    if key.startswith(retry_key_prefix):
        return ("tries", int(data))
    return ("raw", data)


def close(a: Any, b: Any) -> bool:
    """Equal, numbers within the tolerance."""
    if isinstance(a, Ms) and isinstance(b, Ms):
        return abs(a - b) <= TOLERANCE_MS
    if isinstance(a, tuple | list) and isinstance(b, tuple | list):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    return bool(a == b)


def assert_same(stock: dict[str, Any], ours: dict[str, Any]) -> None:
    assert sorted(stock) == sorted(ours)
    for key, value in stock.items():
        assert close(value, ours[key]), (key, value, ours[key])


Scenario = Callable[[Side], Awaitable[None]]


async def both(redis: ArqRedis, scenario: Scenario) -> tuple[Side, Side]:
    """Run ``scenario`` through stock arq, then through Outpost's path, and compare."""
    sides = []
    for kind in KINDS:
        await redis.flushdb()
        side = Side(kind, redis)
        await scenario(side)
        sides.append(side)
    stock, ours = sides
    assert len(stock.snaps) == len(ours.snaps)
    for a, b in zip(stock.snaps, ours.snaps, strict=True):
        assert_same(a, b)
    assert stock.seen == ours.seen
    return stock, ours


async def run_burst(worker: Worker) -> None:
    await asyncio.wait_for(worker.main(), timeout=20)


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
