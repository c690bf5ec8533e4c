"""Deferred jobs in Redis: deterministic ids, so enqueuing twice is harmless.

A destination's job id carries its revision: rescheduling or editing bumps the revision, so a
job queued for the old one finds nothing to do. Postgres stays the source of truth; the
reconciler rebuilds any job Redis lost.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from contextlib import suppress
from datetime import datetime
from typing import Any

from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix, job_key_prefix, result_key_prefix
from arq.jobs import Job as ArqJob
from arq.jobs import serialize_job
from arq.utils import timestamp_ms, to_ms, to_unix_ms
from redis.exceptions import RedisError

from storage.views import Job

log = logging.getLogger("outpost.queue")

PUBLISH = "publish_destination"
NOTIFY = "notify_post"


def publish_job_id(destination_id: uuid.UUID, revision: int, attempt: int = 0) -> str:
    base = f"pub:{destination_id}:{revision}"
    return f"{base}:{attempt}" if attempt else base


def notify_job_id(post_id: uuid.UUID, revision: int) -> str:
    return f"notify:{post_id}:{revision}"


def wake_channel(queue_name: str) -> str:
    """Where enqueuers say "a job is due at this score" to the workers (see ``arq_worker``)."""
    return f"{queue_name}:wake"


# Queue many jobs in one round trip, by arq's rules: a job whose key or result exists is not
# queued again (the job id is the dedupe); its key expires a day after it is due. Then tell
# the workers the earliest new score, so one sleeping until a later job wakes for this one.
# ARGV: queue, job key prefix, result key prefix, then (id, score, ttl ms, payload)...
ENQUEUE = """
local added = 0
local earliest = nil
for i = 4, #ARGV, 4 do
    local id = ARGV[i]
    if redis.call('EXISTS', ARGV[2] .. id, ARGV[3] .. id) == 0 then
        redis.call('PSETEX', ARGV[2] .. id, ARGV[i + 2], ARGV[i + 3])
        redis.call('ZADD', ARGV[1], ARGV[i + 1], id)
        added = added + 1
        local score = tonumber(ARGV[i + 1])
        if earliest == nil or score < earliest then earliest = score end
    end
end
if earliest ~= nil then
    redis.call('PUBLISH', ARGV[1] .. ':wake', string.format('%d', earliest))
end
return added
"""
CHUNK = 500


class WakingRedis(ArqRedis):  # arq is untyped: ArqRedis is Any to mypy
    """An ``ArqRedis`` whose ``enqueue_job`` tells the workers when the new job is due.

    Every job Outpost queues goes through ``ENQUEUE`` (which publishes itself) or through
    this, so a worker waiting for the earliest job hears of an earlier one at once.
    """

    def __init__(self, shared: ArqRedis) -> None:
        super().__init__(
            shared.connection_pool,
            job_serializer=shared.job_serializer,
            job_deserializer=shared.job_deserializer,
            default_queue_name=shared.default_queue_name,
            expires_extra_ms=shared.expires_extra_ms,
        )

    async def enqueue_job(self, function: str, *args: Any, **kwargs: Any) -> ArqJob | None:
        job = await super().enqueue_job(function, *args, **kwargs)
        if job is not None:
            until, by = kwargs.get("_defer_until"), kwargs.get("_defer_by")
            score = to_unix_ms(until) if until else timestamp_ms() + (to_ms(by) or 0)
            queue = kwargs.get("_queue_name") or self.default_queue_name
            # The job is queued either way; without the message the workers' poll finds it.
            with suppress(RedisError, OSError):
                await self.publish(wake_channel(queue), str(score))
        return job


async def enqueue_publish(redis: ArqRedis, jobs: Iterable[Job]) -> int:
    """Queue each job at its due time; returns how many were new. Never raises on Redis loss.

    One round trip per 500 jobs instead of arq's three per job (``enqueue_job``), with the
    same payload (``serialize_job``), key expiry and dedupe. Whether a job should be in Redis
    yet is ``horizon.queue_jobs``'s call, not this function's.
    """
    try:
        return await enqueue_or_raise(redis, jobs)
    except (RedisError, OSError) as exc:
        # The rows are committed: the reconciler will queue what is missing.
        log.warning("enqueue failed; the reconciler will retry", extra={"error": str(exc)})
        return 0


async def enqueue_or_raise(redis: ArqRedis, jobs: Iterable[Job]) -> int:
    """``enqueue_publish`` for callers that must know Redis failed (the horizon sweep)."""
    added = 0
    pending = list(jobs)
    for start in range(0, len(pending), CHUNK):
        added += await _enqueue(redis, pending[start : start + CHUNK])
    return added


async def _enqueue(redis: ArqRedis, jobs: list[Job]) -> int:
    if not jobs:
        return 0
    now = timestamp_ms()
    args: list[bytes | str | int | float] = [
        redis.default_queue_name,
        job_key_prefix,
        result_key_prefix,
    ]
    for job in jobs:
        score = to_unix_ms(job.due_at)
        payload = serialize_job(
            PUBLISH,
            (str(job.destination_id), job.revision),
            {},
            None,
            now,
            serializer=redis.job_serializer,
        )
        ttl = max(score - now, 0) + redis.expires_extra_ms
        args += [publish_job_id(job.destination_id, job.revision, job.attempt), score, ttl, payload]
    script = redis.register_script(ENQUEUE)
    return int(await script(args=args))


async def enqueue_notify(redis: ArqRedis, post_id: uuid.UUID, revision: int) -> bool:
    try:
        job = await redis.enqueue_job(
            NOTIFY, str(post_id), revision, _job_id=notify_job_id(post_id, revision)
        )
    except (RedisError, OSError) as exc:
        log.warning("notify enqueue failed", extra={"error": str(exc)})
        return False
    return job is not None


async def missing(redis: ArqRedis, jobs: list[Job]) -> list[Job]:
    """The jobs that have neither a queued nor a running entry in Redis."""
    if not jobs:
        return []
    async with redis.pipeline(transaction=False) as pipe:
        for job in jobs:
            job_id = publish_job_id(job.destination_id, job.revision)
            pipe.exists(job_key_prefix + job_id, in_progress_key_prefix + job_id)
        counts = await pipe.execute()
    return [job for job, count in zip(jobs, counts, strict=True) if not count]


async def queue_depth(redis: ArqRedis, queue_name: str, now: datetime) -> tuple[int, int]:
    """(due now, deferred) job counts."""
    due = await redis.zcount(queue_name, "-inf", now.timestamp() * 1000)
    total = await redis.zcard(queue_name)
    return int(due), int(total) - int(due)


async def enqueue_task(
    redis: ArqRedis, name: str, *args: object, job_id: str, defer_by: float = 0.0
) -> bool:
    """Queue a task registered with ``extra_task``; an existing ``job_id`` makes this a no-op."""
    job = await redis.enqueue_job(name, *args, _job_id=job_id, _defer_by=defer_by or None)
    return job is not None
