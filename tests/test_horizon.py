"""Redis holds only the jobs due within the horizon; the reconciler queues the rest as they come
within it, once, and changes to a far post leave no job behind."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import suppress
from datetime import timedelta
from pathlib import Path

import pytest
from arq.constants import job_key_prefix
from arq.utils import to_unix_ms

from core.errors import ConfigError
from core.settings import Settings
from scheduler.publishing.horizon import mark_key
from scheduler.publishing.queue import publish_job_id
from scheduler.publishing.runner import Runner
from scheduler.publishing.tasks import Reconciler, make_worker
from scheduler.runtime import Runtime, open_runtime
from scheduler.service import Scheduler
from storage.views import PostView
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import team
from tests.support import TestClock, make_settings, set_clock, wait_for


async def _job_ids(rt: Runtime) -> set[str]:
    members = await rt.redis.zrange(rt.settings.queue_name, 0, -1)
    return {m.decode() for m in members if m.startswith(b"pub:")}  # not the cron's


def _job_id(post: PostView) -> str:
    dest = post.destinations[0]
    return publish_job_id(dest.id, dest.revision)


async def _far_post(rt: Runtime, mastodon: FakeMastodon, ahead: timedelta) -> PostView:
    crew = await team(rt, mastodon_url=mastodon.url)
    return await Scheduler(rt).schedule_fields(
        crew.workspace.id, text="far", when=rt.clock.now() + ahead, destinations=["mastodon"]
    )


async def test_a_post_beyond_the_horizon_is_queued_when_the_horizon_reaches_it(
    runtime: Runtime, mastodon: FakeMastodon
) -> None:
    rt, start = runtime, runtime.clock.now()
    post = await _far_post(rt, mastodon, timedelta(hours=3))
    reconciler = Reconciler(rt, Runner(rt))
    await reconciler.run_once()
    assert await _job_ids(rt) == set()  # Postgres only
    assert not await rt.redis.exists(job_key_prefix + _job_id(post))

    set_clock(rt, start + timedelta(hours=1, minutes=59))  # still 61 minutes ahead
    assert (await reconciler.run_once())["entered"] == 0
    set_clock(rt, start + timedelta(hours=2, minutes=1))
    assert (await reconciler.run_once())["entered"] == 1
    assert await _job_ids(rt) == {_job_id(post)}
    score = await rt.redis.zscore(rt.settings.queue_name, _job_id(post))
    assert score == to_unix_ms(post.scheduled_at)
    assert (await reconciler.run_once())["entered"] == 0  # once, however often it passes


async def test_a_flush_loses_the_mark_and_the_next_pass_queues_the_horizon_again(
    runtime: Runtime, mastodon: FakeMastodon
) -> None:
    rt = runtime
    near = await _far_post(rt, mastodon, timedelta(minutes=30))
    far = await Scheduler(rt).schedule_fields(
        near.workspace_id,
        text="far",
        when=rt.clock.now() + timedelta(hours=5),
        destinations=["mastodon"],
    )
    assert await _job_ids(rt) == {_job_id(near)}  # within the horizon: queued at once
    reconciler = Reconciler(rt, Runner(rt))
    await reconciler.run_once()
    assert await rt.redis.exists(mark_key(rt))
    await rt.redis.flushdb()
    counts = await reconciler.run_once()
    assert counts["entered"] == 1
    assert await _job_ids(rt) == {_job_id(near)}
    assert _job_id(far) not in await _job_ids(rt)


async def test_cancel_and_reschedule_of_a_far_post_leave_no_job(
    runtime: Runtime, mastodon: FakeMastodon
) -> None:
    rt, start = runtime, runtime.clock.now()
    scheduler = Scheduler(rt)
    post = await _far_post(rt, mastodon, timedelta(days=2))
    cancelled = await scheduler.cancel(None, post.id)
    other = await Scheduler(rt).schedule_fields(
        post.workspace_id, text="x", when=start + timedelta(days=3), destinations=["mastodon"]
    )
    moved = await scheduler.reschedule(None, other.id, start + timedelta(days=4))
    assert await _job_ids(rt) == set()
    reconciler = Reconciler(rt, Runner(rt))
    set_clock(rt, start + timedelta(days=3, minutes=30))  # past the cancelled and the old time
    await reconciler.run_once()
    assert await _job_ids(rt) == set()
    set_clock(rt, start + timedelta(days=3, hours=23, minutes=30))
    await reconciler.run_once()
    assert await _job_ids(rt) == {_job_id(moved)}
    assert cancelled.status == "cancelled"


async def test_rescheduling_across_the_horizon_moves_the_job_with_the_revision(
    runtime: Runtime, mastodon: FakeMastodon
) -> None:
    rt = runtime
    scheduler = Scheduler(rt)
    post = await _far_post(rt, mastodon, timedelta(days=1))
    near = await scheduler.reschedule(None, post.id, rt.clock.now() + timedelta(minutes=20))
    assert await _job_ids(rt) == {_job_id(near)}  # queued at once, for the new revision
    far = await scheduler.reschedule(None, post.id, rt.clock.now() + timedelta(days=1))
    # The near revision's job stays until its time and then finds a newer revision; the far
    # one waits in Postgres.
    assert await _job_ids(rt) == {_job_id(near)}
    assert _job_id(far) != _job_id(near)
    assert await Runner(rt).publish(near.destinations[0].id, near.destinations[0].revision) == (
        "stale"
    )


async def test_queue_horizon_shorter_than_two_reconcile_periods_is_refused(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigError, match="QUEUE_HORIZON_SECONDS"):
        make_settings(tmp_path, queue_horizon_seconds=60, reconcile_seconds=60)


@pytest.fixture
async def short_horizon(settings: Settings) -> AsyncIterator[Runtime]:
    """A 3 s horizon and a reconciler every second, with a real worker in this loop."""
    local = make_settings(settings.data_dir, queue_horizon_seconds=3.0, reconcile_seconds=1.0)
    async with open_runtime(local, TestClock()) as rt:
        worker = make_worker(rt, handle_signals=False)
        task = asyncio.create_task(worker.main())
        yield rt
        task.cancel()
        jobs = [t for t in worker.tasks.values() if not t.done()]
        for job in jobs:
            job.cancel()
        with suppress(asyncio.CancelledError):
            await task
        await asyncio.gather(*jobs, return_exceptions=True)


async def test_a_real_worker_publishes_a_post_that_crossed_the_horizon_once(
    short_horizon: Runtime, mastodon: FakeMastodon
) -> None:
    rt = short_horizon
    post = await _far_post(rt, mastodon, timedelta(seconds=7))
    assert await _job_ids(rt) == set()

    async def queued() -> bool:
        return _job_id(post) in await _job_ids(rt)

    await wait_for(queued, timeout=10, interval=0.05)
    assert rt.clock.now() < post.scheduled_at  # queued before it was due

    async def published() -> bool:
        return (await rt.posts.get(post.id)).status == "published"

    await wait_for(published, timeout=20)
    await asyncio.sleep(1.5)  # a few more reconciler passes
    assert mastodon.created_keys() == [post.destinations[0].idempotency_key]


async def test_a_retry_beyond_the_horizon_leaves_redis_and_comes_back_with_the_sweep(
    runtime: Runtime, worker: object, mastodon: FakeMastodon
) -> None:
    rt, start = runtime, runtime.clock.now()
    mastodon.fail_next("429", reset=7200)  # the network says: in two hours
    post = await _far_post(rt, mastodon, timedelta(0))

    async def deferred() -> bool:
        dest = (await rt.posts.get(post.id)).destinations[0]
        return dest.status == "pending" and dest.due_at > start + timedelta(hours=1)

    await wait_for(deferred, timeout=15)

    async def job_done() -> bool:
        return not await _job_ids(rt)

    await wait_for(job_done, timeout=10)  # the job ended instead of deferring itself
    dest = (await rt.posts.get(post.id)).destinations[0]
    set_clock(rt, dest.due_at - timedelta(minutes=30))
    await Reconciler(rt, Runner(rt)).run_once()  # or the worker's own cron, whichever is first
    assert await _job_ids(rt) == {_job_id(post)}
    assert mastodon.created_keys() == []
