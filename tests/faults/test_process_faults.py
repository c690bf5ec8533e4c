"""Workers killed, Redis flushed and restarted, Postgres connections dropped: nothing lost,
nothing sent twice."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest
from redis.exceptions import RedisError

from core.settings import Settings
from scheduler.publishing.queue import wake_channel
from scheduler.publishing.runner import Runner
from scheduler.publishing.tasks import Reconciler
from scheduler.runtime import Runtime, open_runtime
from scheduler.service import Scheduler
from storage.db import _plain_dsn
from tests.fakes.mastodon import FakeMastodon
from tests.faults.workers import WorkerProcess
from tests.helpers import team
from tests.support import TEST_DB, PrivateRedis, make_settings, wait_for

pytestmark = pytest.mark.faults


async def _statuses(runtime: Runtime, post_ids: list) -> dict[str, int]:
    counts: dict[str, int] = {}
    for post_id in post_ids:
        status = (await runtime.posts.get(post_id)).status
        counts[status] = counts.get(status, 0) + 1
    return counts


def _assert_once(mastodon: FakeMastodon, expected: int) -> None:
    keys = mastodon.created_keys()
    assert len(keys) == len(set(keys)), "a destination was published twice"
    assert len(mastodon.statuses) == expected


async def test_sigkill_during_publish_recovers_without_duplicate(
    runtime: Runtime, mastodon: FakeMastodon, tmp_path: Path
) -> None:
    crew = await team(runtime, mastodon_url=mastodon.url)
    mastodon.fail_next("timeout", delay=1.5)  # the status is created, then the answer hangs
    first = WorkerProcess(runtime.settings, tmp_path, "a").start()
    try:
        post = await Scheduler(runtime).schedule_fields(
            crew.workspace.id,
            text="killed mid-flight",
            when=runtime.clock.now(),
            destinations=["mastodon"],
        )

        async def in_flight() -> bool:
            return mastodon.create_calls >= 1

        await wait_for(in_flight, timeout=15)
        await asyncio.sleep(0.3)
        first.kill(signal.SIGKILL)
        await asyncio.to_thread(first.wait)
        assert (await runtime.posts.get(post.id)).destinations[0].status == "publishing"
        second = WorkerProcess(runtime.settings, tmp_path, "b").start()
        try:

            async def published() -> bool:
                return (await runtime.posts.get(post.id)).status == "published"

            await wait_for(published, timeout=40)
        finally:
            second.stop()
    finally:
        first.stop()
    _assert_once(mastodon, 1)
    dest = (await runtime.posts.get(post.id)).destinations[0]
    assert dest.platform_post_id == mastodon.statuses[0]["id"]


async def test_sigterm_lets_the_running_publish_finish(
    runtime: Runtime, mastodon: FakeMastodon, tmp_path: Path
) -> None:
    crew = await team(runtime, mastodon_url=mastodon.url)
    mastodon.latency = 1.0
    proc = WorkerProcess(runtime.settings, tmp_path, "t").start()
    try:
        post = await Scheduler(runtime).schedule_fields(
            crew.workspace.id,
            text="graceful",
            when=runtime.clock.now(),
            destinations=["mastodon"],
        )

        async def in_flight() -> bool:
            return mastodon.create_calls >= 1

        await wait_for(in_flight, timeout=15)
        proc.kill(signal.SIGTERM)
        assert await asyncio.to_thread(proc.wait, 20) == 0
    finally:
        proc.stop()
    assert (await runtime.posts.get(post.id)).status == "published", proc.log()[-2000:]
    _assert_once(mastodon, 1)


@pytest.fixture
async def private_redis(settings: Settings, tmp_path: Path) -> AsyncIterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    yield server
    server.cleanup()


@pytest.fixture
async def private_runtime(private_redis: PrivateRedis, tmp_path: Path) -> AsyncIterator[Runtime]:
    settings = make_settings(tmp_path / "pdata", redis_url=private_redis.url)
    async with open_runtime(settings) as rt:
        yield rt


async def test_flushall_with_200_deferred_posts_loses_nothing(
    private_runtime: Runtime, private_redis: PrivateRedis, mastodon: FakeMastodon, tmp_path: Path
) -> None:
    rt = private_runtime
    crew = await team(rt, mastodon_url=mastodon.url)
    scheduler = Scheduler(rt)
    due = rt.clock.now() + timedelta(seconds=4)
    posts = [
        (
            await scheduler.schedule_fields(
                crew.workspace.id, text=f"post {i}", when=due, destinations=["mastodon"]
            )
        ).id
        for i in range(200)
    ]
    assert await rt.redis.zcard(rt.settings.queue_name) == 200
    await rt.redis.flushall()
    assert await rt.redis.zcard(rt.settings.queue_name) == 0
    proc = WorkerProcess(rt.settings, tmp_path, "f").start()
    try:

        async def all_published() -> bool:
            return (await _statuses(rt, posts)).get("published", 0) == 200

        await wait_for(all_published, timeout=60, interval=0.5)
    finally:
        proc.stop()
    _assert_once(mastodon, 200)


async def test_redis_restart_mid_run(
    private_runtime: Runtime, private_redis: PrivateRedis, mastodon: FakeMastodon, tmp_path: Path
) -> None:
    rt = private_runtime
    crew = await team(rt, mastodon_url=mastodon.url)
    scheduler = Scheduler(rt)
    proc = WorkerProcess(rt.settings, tmp_path, "r").start()
    try:
        soon = rt.clock.now() + timedelta(seconds=3)
        posts = [
            (
                await scheduler.schedule_fields(
                    crew.workspace.id, text=f"r{i}", when=soon, destinations=["mastodon"]
                )
            ).id
            for i in range(20)
        ]
        private_redis.stop()  # every queued job is gone with it (no persistence)
        await asyncio.sleep(1.0)
        private_redis.start()

        async def all_published() -> bool:
            return (await _statuses(rt, posts)).get("published", 0) == 20

        await wait_for(all_published, timeout=60, interval=0.5)
    finally:
        proc.stop()
    _assert_once(mastodon, 20)


async def test_postgres_connections_dropped_mid_publish(
    runtime: Runtime, worker: object, mastodon: FakeMastodon
) -> None:
    crew = await team(runtime, mastodon_url=mastodon.url)
    mastodon.latency = 0.5
    scheduler = Scheduler(runtime)
    posts = [
        (
            await scheduler.schedule_fields(
                crew.workspace.id,
                text=f"pg{i}",
                when=runtime.clock.now(),
                destinations=["mastodon"],
            )
        ).id
        for i in range(10)
    ]

    async def in_flight() -> bool:
        return mastodon.create_calls >= 1

    await wait_for(in_flight, timeout=10)
    admin = await asyncpg.connect(_plain_dsn(TEST_DB, "postgres"))
    try:
        name = TEST_DB.rsplit("/", 1)[1]
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
    finally:
        await admin.close()

    async def all_done() -> bool:
        try:
            return (await _statuses(runtime, posts)).get("published", 0) == 10
        except Exception:
            return False

    await wait_for(all_done, timeout=60, interval=0.5)
    _assert_once(mastodon, 10)


async def test_two_workers_and_reconciler_race(
    runtime: Runtime, mastodon: FakeMastodon, tmp_path: Path
) -> None:
    crew = await team(runtime, mastodon_url=mastodon.url)
    scheduler = Scheduler(runtime)
    due = runtime.clock.now() + timedelta(seconds=2)
    posts = [
        (
            await scheduler.schedule_fields(
                crew.workspace.id, text=f"race {i}", when=due, destinations=["mastodon"]
            )
        ).id
        for i in range(60)
    ]
    procs = [WorkerProcess(runtime.settings, tmp_path, n).start() for n in ("x", "y")]
    reconciler = Reconciler(runtime, Runner(runtime))
    try:

        async def all_published() -> bool:
            await reconciler.run_once()  # a third party enqueuing and resolving meanwhile
            return (await _statuses(runtime, posts)).get("published", 0) == 60

        await wait_for(all_published, timeout=60, interval=0.1)
    finally:
        for proc in procs:
            proc.stop()
    _assert_once(mastodon, 60)


async def test_the_worker_still_wakes_on_time_after_a_redis_restart(
    private_redis: PrivateRedis, mastodon: FakeMastodon, tmp_path: Path
) -> None:
    # A 5 s fallback poll: a post published within half of it was woken for, not polled.
    poll = 5.0
    settings = make_settings(
        tmp_path / "wdata",
        redis_url=private_redis.url,
        worker_poll_delay=poll,
        reconcile_seconds=30.0,
    )
    async with open_runtime(settings) as rt:
        crew = await team(rt, mastodon_url=mastodon.url)
        scheduler = Scheduler(rt)
        channel = wake_channel(settings.queue_name)

        async def listening() -> bool:
            try:
                return (await rt.redis.pubsub_numsub(channel))[0][1] == 1
            except (RedisError, OSError):
                return False

        async def on_time(text: str) -> float:
            due = rt.clock.now() + timedelta(milliseconds=300)
            post = await scheduler.schedule_fields(
                crew.workspace.id, text=text, when=due, destinations=["mastodon"]
            )

            async def published() -> bool:
                return (await rt.posts.get(post.id)).status == "published"

            await wait_for(published, timeout=poll * 3, interval=0.05)
            sent = (await rt.posts.get(post.id)).destinations[0].published_at
            assert sent is not None
            return (sent - due).total_seconds()

        proc = WorkerProcess(settings, tmp_path, "wake").start()
        try:
            await wait_for(listening, timeout=30)
            assert await on_time("before") < poll / 2
            private_redis.stop()
            await asyncio.sleep(1.0)
            private_redis.start()
            await wait_for(listening, timeout=30)  # the worker subscribed again
            await asyncio.sleep(poll)  # ...and is past its restart's first passes
            assert await on_time("after") < poll / 2, proc.log()[-3000:]
        finally:
            proc.stop()
    _assert_once(mastodon, 2)
