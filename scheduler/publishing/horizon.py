"""Which jobs Redis holds: only those due within the horizon (``QUEUE_HORIZON_SECONDS``).

A destination due later lives in Postgres only. ``queue_jobs`` is the one place that decides
"queue now or leave it to the reconciler", for new posts, reschedules, edits, retries and the
next occurrence of a recurring post. ``sweep`` is the reconciler's half: each pass queues the
pending destinations that came within the horizon since the last pass, in batches of one
query and one pipelined enqueue.

The sweep remembers how far it has queued in Redis (``<queue>:horizon``, a ms timestamp), so
a pass reads only the rows that entered since. A flushed or restarted Redis loses that mark
with the jobs, and the next pass sweeps the whole horizon again. Several workers may sweep at
once: the job id (destination and revision) makes a second enqueue a no-op and the mark only
moves forward. Old jobs stay harmless as before: a reschedule, edit or cancel bumps the
row's revision or status, so a job queued for the old one finds nothing to do.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from scheduler.publishing.queue import enqueue_or_raise, enqueue_publish
from scheduler.runtime import Runtime
from storage.views import Job

BATCH = 1000
# Each pass re-reads this much before the mark: a row committed just after a pass read past
# its time (a slow transaction, a web process's clock a little behind) is still found.
OVERLAP = timedelta(seconds=60)
# KEYS: the mark; ARGV: its new value (ms). It only moves forward, whichever sweep ends last.
ADVANCE = """
local now = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > now then redis.call('SET', KEYS[1], ARGV[1]) end
return 1
"""


def horizon_end(rt: Runtime) -> datetime:
    """Jobs due up to this moment belong in Redis now."""
    return rt.clock.now() + timedelta(seconds=rt.settings.queue_horizon_seconds)


def within(rt: Runtime, due_at: datetime) -> bool:
    """Whether a job due at ``due_at`` is queued now (True) or by a later sweep (False)."""
    return due_at <= horizon_end(rt)


async def queue_jobs(rt: Runtime, jobs: Iterable[Job]) -> int:
    """Queue the jobs due within the horizon; the rest wait in Postgres for ``sweep``."""
    return await enqueue_publish(rt.redis, [job for job in jobs if within(rt, job.due_at)])


def mark_key(rt: Runtime) -> str:
    return f"{rt.settings.queue_name}:horizon"


async def sweep(rt: Runtime, batch: int = BATCH) -> int:
    """Queue the pending destinations that came within the horizon; returns how many were new.

    Raises on a Redis error without moving the mark, so the next pass tries the same rows.
    """
    until = horizon_end(rt)
    raw = await rt.redis.get(mark_key(rt))
    since = None
    if raw is not None:
        since = datetime.fromtimestamp(int(raw) / 1000, UTC) - OVERLAP
    added = 0
    after: tuple[datetime, uuid.UUID] | None = None
    while True:
        jobs = await rt.publishing.entering(since, until, after, batch)
        added += await enqueue_or_raise(rt.redis, jobs)
        if len(jobs) < batch:
            break
        after = (jobs[-1].due_at, jobs[-1].destination_id)
    advance = rt.redis.register_script(ADVANCE)
    await advance(keys=[mark_key(rt)], args=[int(until.timestamp() * 1000)])
    return added
