"""Publish jobs queued in one round trip read exactly as arq's own ``enqueue_job`` writes them."""

from __future__ import annotations

import uuid
from datetime import timedelta

from arq.constants import job_key_prefix
from arq.jobs import Job as ArqJob
from arq.utils import to_unix_ms

from scheduler.publishing.queue import PUBLISH, enqueue_publish, publish_job_id
from scheduler.runtime import Runtime
from storage.views import Job


async def test_jobs_are_queued_once_at_their_time_with_arqs_payload(runtime: Runtime) -> None:
    redis = runtime.redis
    now = runtime.clock.now()
    jobs = [Job(uuid.uuid4(), i, now + timedelta(minutes=i)) for i in range(1200)]
    assert await enqueue_publish(redis, jobs) == 1200  # three chunks
    assert await enqueue_publish(redis, jobs[:10]) == 0  # the job id is the dedupe
    first = jobs[3]
    job_id = publish_job_id(first.destination_id, first.revision)
    score = await redis.zscore(runtime.settings.queue_name, job_id)
    assert score == to_unix_ms(first.due_at)  # arq rounds to the millisecond
    info = await ArqJob(job_id, redis, _queue_name=runtime.settings.queue_name).info()
    assert info is not None
    assert info.function == PUBLISH
    assert info.args == (str(first.destination_id), first.revision)
    ttl = await redis.pttl(job_key_prefix + job_id)
    assert ttl > 3 * 60 * 1000 + redis.expires_extra_ms - 60_000  # a day after it is due
    # arq's own enqueue sees the job as already there.
    assert await redis.enqueue_job(PUBLISH, "x", 0, _job_id=job_id) is None
