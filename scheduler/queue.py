"""Deferred jobs in Redis: deterministic ids, so enqueuing twice is harmless.

A destination's job id carries its revision: rescheduling or editing bumps the revision, so a
job queued for the old one finds nothing to do. Postgres stays the source of truth; the
reconciler rebuilds any job Redis lost.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import datetime

from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix, job_key_prefix
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


async def enqueue_publish(redis: ArqRedis, jobs: Iterable[Job]) -> int:
    """Queue each job at its due time; returns how many were new. Never raises on Redis loss."""
    added = 0
    try:
        for job in jobs:
            queued = await redis.enqueue_job(
                PUBLISH,
                str(job.destination_id),
                job.revision,
                _job_id=publish_job_id(job.destination_id, job.revision, job.attempt),
                _defer_until=job.due_at,
            )
            added += queued is not None
    except (RedisError, OSError) as exc:
        # The rows are committed: the reconciler will queue what is missing.
        log.warning("enqueue failed; the reconciler will retry", extra={"error": str(exc)})
    return added


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
