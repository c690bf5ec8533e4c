"""The worker starts a job when it is due, not at its next poll: with a 5 s fallback poll, a
job queued 300 ms ahead runs long before the poll would have found it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import suppress
from datetime import timedelta
from typing import Any

import pytest
from arq.worker import func

from core.settings import Settings
from scheduler.publishing.queue import wake_channel
from scheduler.publishing.tasks import make_worker
from scheduler.publishing.waking import WakingWorker
from scheduler.runtime import Runtime, open_runtime
from scheduler.service import Scheduler
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import team
from tests.support import TestClock, make_settings, wait_for

POLL = 5.0
ran: list[float] = []


async def record(ctx: dict[str, Any]) -> None:
    ran.append(time.time())


@pytest.fixture
async def slow_poll(settings: Settings) -> AsyncIterator[tuple[Runtime, WakingWorker]]:
    """A worker polling every 5 s, with no cron due every second to wake it by chance."""
    local = make_settings(settings.data_dir, worker_poll_delay=POLL, reconcile_seconds=30.0)
    async with open_runtime(local, TestClock()) as rt:
        worker = make_worker(
            rt, handle_signals=False, extra_functions=[func(record, name="t:record")]
        )
        assert isinstance(worker, WakingWorker)
        task = asyncio.create_task(worker.main())

        async def listening() -> bool:
            subs = await rt.redis.pubsub_numsub(wake_channel(local.queue_name))
            return worker.listening and subs[0][1] == 1

        await wait_for(listening, timeout=10)
        await asyncio.sleep(0.3)  # past its start-up passes: asleep on the 5 s poll
        yield rt, worker
        task.cancel()
        jobs = [t for t in worker.tasks.values() if not t.done()]
        for job in jobs:
            job.cancel()
        with suppress(asyncio.CancelledError):
            await task
        await asyncio.gather(*jobs, return_exceptions=True)


async def test_a_job_queued_300_ms_ahead_runs_at_its_time_not_at_the_poll(
    slow_poll: tuple[Runtime, WakingWorker],
) -> None:
    rt, _ = slow_poll
    ran.clear()
    queued = time.time()
    assert await rt.redis.enqueue_job("t:record", _defer_by=0.3) is not None

    async def done() -> bool:
        return bool(ran)

    await wait_for(done, timeout=POLL * 2, interval=0.02)
    assert ran[0] - queued >= 0.29  # not before its time
    assert ran[0] - queued < POLL / 2  # woken for it, not found by the poll


async def test_a_post_due_in_300_ms_is_published_at_its_time_not_at_the_poll(
    slow_poll: tuple[Runtime, WakingWorker], mastodon: FakeMastodon
) -> None:
    rt, _ = slow_poll
    crew = await team(rt, mastodon_url=mastodon.url)
    due = rt.clock.now() + timedelta(milliseconds=300)
    post = await Scheduler(rt).schedule_fields(
        crew.workspace.id, text="on the second", when=due, destinations=["mastodon"]
    )

    async def published() -> bool:
        return (await rt.posts.get(post.id)).status == "published"

    await wait_for(published, timeout=POLL * 2, interval=0.02)
    sent = (await rt.posts.get(post.id)).destinations[0].published_at
    assert sent is not None
    assert (sent - due).total_seconds() < POLL / 2
