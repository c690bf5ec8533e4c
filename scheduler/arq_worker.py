"""arq's Worker, starting the jobs of one poll with one Redis round trip.

arq 0.28 starts each job it polled with four sequential round trips (WATCH, EXISTS, ZSCORE,
MULTI/EXEC on the job's in-progress key). Under a burst the worker's event loop is busy, each
round trip waits a loop pass, and starting jobs becomes the bottleneck: about 250 jobs/s
here, whatever ``max_jobs`` says. The script below makes the same check-and-set for every
polled job at once, atomically (a Lua script runs alone in Redis, as MULTI/EXEC would):
a job starts only if no worker holds its in-progress key and it is still queued and due.

It overrides ``Worker.start_jobs`` and keeps arq's bookkeeping (``sem``, ``job_counter``,
``tasks``), so it is tied to arq's minor version, pinned in pyproject.toml.
"""

from __future__ import annotations

from typing import Any

from arq.constants import in_progress_key_prefix
from arq.utils import timestamp_ms
from arq.worker import Worker

# ARGV: queue, now (ms), in-progress timeout (ms), key prefix, job ids...
# Returns job id, score, job id, score... for the jobs this call started.
START = """
local out = {}
for i = 5, #ARGV do
    local id = ARGV[i]
    local key = ARGV[4] .. id
    local score = redis.call('ZSCORE', ARGV[1], id)
    if score and tonumber(score) <= tonumber(ARGV[2]) and redis.call('EXISTS', key) == 0 then
        redis.call('PSETEX', key, ARGV[3], '1')
        table.insert(out, id)
        table.insert(out, score)
    end
end
return out
"""


class Worker1RTT(Worker):  # arq is untyped: Worker is Any to mypy
    """A ``Worker`` whose ``start_jobs`` costs one round trip per poll, not four per job."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._start_script = self.pool.register_script(START)

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        room = self.max_jobs - self.job_counter
        wanted = [j.decode() for j in job_ids[: max(0, room)]]
        if not wanted:
            return
        started = await self._start_script(
            args=[
                self.queue_name,
                timestamp_ms(),
                int(self.in_progress_timeout_s * 1000),
                in_progress_key_prefix,
                *wanted,
            ]
        )
        for i in range(0, len(started), 2):
            job_id = started[i].decode() if isinstance(started[i], bytes) else str(started[i])
            score = int(float(started[i + 1]))
            await self.sem.acquire()  # never waits: ``room`` counted the free places
            self.job_counter += 1
            task = self.loop.create_task(self.run_job(job_id, score))
            task.add_done_callback(lambda _: self._release_sem_dec_counter_on_complete())
            self.tasks[job_id] = task
