"""A worker that starts a job when it is due, not at its next poll.

arq's ``Worker.main`` polls the queue every ``poll_delay``: a job waits up to a poll for its
worker, so lateness is about the poll. This worker instead sleeps until the earliest score in
the queue (read after each pass), and wakes early when an enqueuer publishes a new job's score
on ``<queue>:wake`` (``queue.ENQUEUE`` and ``WakingRedis`` do). The poll stays only as a
fallback: ``poll_delay`` when idle (a lost message, a job queued by another client), 50 ms
while jobs run (arq re-queues a retried job and frees room without a message, as it always
did) or while the wake channel is down (Redis restarting).

Only ``main`` changes: each pass is arq's own ``_poll_iteration`` (start due jobs, heartbeat,
cron), and the burst exit is arq's. It is tied to arq's minor version like ``Worker1RTT``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from contextlib import suppress
from typing import Any

from arq.connections import log_redis_info
from redis.exceptions import RedisError

from scheduler.publishing.arq_worker import Worker1RTT
from scheduler.publishing.queue import wake_channel

log = logging.getLogger("outpost.worker")

BUSY_POLL = 0.05
RESUBSCRIBE = 0.5
# Wake 2 ms after the score, by the wall clock: a score is its due time rounded to the
# millisecond, the loop's timers may fire a millisecond early, and a job started before its
# row's due time is not claimed but retried (the runner's "queued early"), a poll later.
AFTER_SCORE = 0.002


class WakingWorker(Worker1RTT):
    """``Worker1RTT`` woken by the queue's earliest score and by wake messages (see module)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._wake = asyncio.Event()
        self._hint = math.inf  # the earliest score (ms) heard of since the last pass
        self._pass_ms = 0.0  # when the last pass began (wall clock, ms)
        self.listening = False

    async def main(self) -> None:
        await log_redis_info(self.pool, log.info)
        self.ctx["redis"] = self.pool
        if self.on_startup:
            await self.on_startup(self.ctx)
        listener = asyncio.create_task(self._listen())
        try:
            while True:
                self._hint = math.inf
                self._pass_ms = time.time() * 1000
                await self._poll_iteration()
                if self.burst and await self._burst_done():
                    return
                await self._sleep()
        finally:
            listener.cancel()
            # Bounded: closing the wake channel's connection can hang on a dying socket, and a
            # worker that is told to stop must stop (a test's teardown once waited forever).
            await asyncio.wait({listener}, timeout=2)

    async def _burst_done(self) -> bool:
        """arq's own burst exit: enough jobs started, or nothing left in the queue."""
        if 0 <= self.max_burst_jobs <= self._jobs_started() or not await self.pool.zcard(
            self.queue_name
        ):
            await asyncio.gather(*self.tasks.values())
            return True
        return False

    def _cap(self) -> float:
        if self.burst:
            return float(self.poll_delay_s)
        if self.job_counter > 0 or not self.listening:
            return min(float(self.poll_delay_s), BUSY_POLL)
        return float(self.poll_delay_s)

    async def _earliest(self) -> float:
        """The score (ms) of the first job the last pass did not look at; infinity when none.

        From the moment the pass began, not from now: a job that fell due while it ran must
        not be skipped until the next wake. (A job it started is still in the queue until it
        ends: it costs one more pass, which finds it running.)
        """
        first = await self.pool.zrangebyscore(
            self.queue_name,
            min=f"({int(self._pass_ms) - 1}",
            max="+inf",
            start=0,
            num=1,
            withscores=True,
        )
        return float(first[0][1]) if first else math.inf

    async def _sleep(self) -> None:
        """Until the earliest job is due, a message names an earlier one, or the cap."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        earliest = await self._earliest()
        while True:
            self._wake.clear()
            due_in = (min(earliest, self._hint) - time.time() * 1000) / 1000 + AFTER_SCORE
            wait = min(start + self._cap() - loop.time(), due_in)
            if wait <= 0:
                return
            with suppress(TimeoutError):  # woken or timed out: look at the clock again
                await asyncio.wait_for(self._wake.wait(), wait)

    def _heard(self, score: float) -> None:
        self._hint = min(self._hint, score)
        self._wake.set()

    async def _listen(self) -> None:
        """Follow the wake channel; resubscribe after Redis comes back."""
        channel = wake_channel(self.queue_name)
        while True:
            pubsub = self.pool.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(channel)
                self.listening = True
                self._heard(0)  # messages sent while we were away are lost: look now
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None:
                        self._heard(float(message["data"]))
            except (RedisError, OSError, ValueError) as exc:
                if self.listening:
                    log.warning("lost the wake channel; polling", extra={"error": repr(exc)})
                self.listening = False
                self._wake.set()  # shorten the current sleep to the busy poll
                await asyncio.sleep(RESUBSCRIBE)
            finally:
                with suppress(RedisError, OSError, TimeoutError):
                    await asyncio.wait_for(pubsub.aclose(), 1)  # type: ignore[no-untyped-call]
