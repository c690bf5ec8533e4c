"""The side-by-side harness of tests/test_arq_parity.py: run a scenario through stock arq and
through Outpost's path, snapshot Redis after each, and compare.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from arq import Retry
from arq.connections import ArqRedis
from arq.constants import (
    health_check_key_suffix,
    job_key_prefix,
    result_key_prefix,
    retry_key_prefix,
)
from arq.jobs import Job as ArqJob
from arq.jobs import deserialize_job, deserialize_result
from arq.utils import ms_to_datetime, timestamp_ms, to_unix_ms
from arq.worker import Worker, func

from scheduler.publishing.arq_worker import Worker1RTT
from scheduler.publishing.queue import PUBLISH, enqueue_publish, publish_job_id
from storage.views import Job

QUEUE = "outpost:parity"
TOLERANCE_MS = 1500  # two runs of one scenario differ by scheduling noise, not by seconds
KINDS = ("stock", "outpost")
DESTS = [uuid.UUID(int=n) for n in range(1, 41)]
CRON_ID = re.compile(r"\b(tick:)\d+")  # a cron job's id ends in its run time


class Ms(float):
    """A time in milliseconds (a TTL, or a moment relative to the run's start): compared
    within the tolerance, where every other value must be equal."""


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
