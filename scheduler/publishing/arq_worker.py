"""arq's Worker, starting the jobs of one poll with one Redis round trip and sending the
transactions its jobs make at the same time together.

arq 0.28 starts each job it polled with four sequential round trips (WATCH, EXISTS, ZSCORE,
MULTI/EXEC on the job's in-progress key). Under a burst the worker's event loop is busy, each
round trip waits a loop pass, and starting jobs becomes the bottleneck: about 250 jobs/s
here, whatever ``max_jobs`` says. The script below makes the same check-and-set for every
polled job at once, atomically (a Lua script runs alone in Redis, as MULTI/EXEC would):
a job starts only if no worker holds its in-progress key and it is still queued and due.

Each running job then makes two more transactions of its own: one to fetch the job and
count the try, one to finish it. ``CoalescingRedis`` sends the MULTI/EXEC pipelines executed
in the same loop pass, or while the previous one is in flight, as one MULTI/EXEC: each stays
atomic (all are, together), and a burst's fetches and finishes cost a round trip per batch.
Pipelines that WATCH keys (arq's ``enqueue_job``) or run scripts go out on their own.

It overrides ``Worker.start_jobs`` and keeps arq's bookkeeping (``sem``, ``job_counter``,
``tasks``), and it moves redis-py's ``Pipeline.command_stack`` between pipelines, so it is
tied to arq's and redis-py's minor versions, both pinned in pyproject.toml;
tests/test_arq_parity.py runs it and stock arq side by side.
"""

from __future__ import annotations

from typing import Any

from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix
from arq.utils import timestamp_ms
from arq.worker import Worker
from redis.asyncio.client import CommandStackT as CommandStack
from redis.asyncio.client import Pipeline

from core.batch import Batcher

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


class CoalescingPipeline(Pipeline):
    """A pipeline whose plain MULTI/EXEC joins the ones executed with it (see the module)."""

    def __init__(self, redis: CoalescingRedis, transaction: bool, shard_hint: str | None) -> None:
        super().__init__(redis.connection_pool, redis.response_callbacks, transaction, shard_hint)
        self._together = redis.together

    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        if (
            not self.is_transaction
            or self.watching
            or self.explicit_transaction
            or self.scripts
            or not self.command_stack
        ):
            return await super().execute(raise_on_error)
        stack, self.command_stack = self.command_stack, []
        results = await self._together(stack)
        if raise_on_error:
            self.raise_first_error(stack, results)
        return results


class CoalescingRedis(ArqRedis):  # arq is untyped: ArqRedis is Any to mypy
    """The worker's view of a shared ``ArqRedis``: same connections, coalesced transactions."""

    def __init__(self, shared: ArqRedis) -> None:
        super().__init__(
            shared.connection_pool,
            job_serializer=shared.job_serializer,
            job_deserializer=shared.job_deserializer,
            default_queue_name=shared.default_queue_name,
            expires_extra_ms=shared.expires_extra_ms,
        )
        self.together: Batcher[CommandStack, list[Any]] = Batcher(
            self._transaction, max_size=500, max_inflight=1
        )

    def pipeline(self, transaction: bool = True, shard_hint: str | None = None) -> Pipeline:
        return CoalescingPipeline(self, transaction, shard_hint)

    async def _transaction(self, stacks: list[CommandStack]) -> list[list[Any]]:
        async with Pipeline(self.connection_pool, self.response_callbacks, True, None) as pipe:
            for stack in stacks:
                pipe.command_stack.extend(stack)
            flat = await pipe.execute(raise_on_error=False)
        out, at = [], 0
        for stack in stacks:
            out.append(flat[at : at + len(stack)])
            at += len(stack)
        return out


class Worker1RTT(Worker):  # arq is untyped: Worker is Any to mypy
    """A ``Worker`` whose ``start_jobs`` costs one round trip per poll, not four per job, and
    whose jobs' fetch and finish transactions go out together."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self._pool is not None:
            self._pool = CoalescingRedis(self._pool)
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
