"""Real Postgres and Redis for every test: one migrated test database, emptied per test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import suppress
from pathlib import Path

import asyncpg
import pytest
import redis.asyncio as aioredis

from core.settings import Settings
from scheduler.publishing.tasks import make_worker
from scheduler.runtime import Runtime, open_runtime
from storage.db import _plain_dsn, ensure_database, upgrade
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.supabase import FakeSupabase
from tests.fakes.webhook_receiver import FakeWebhookReceiver
from tests.support import TEST_DB, TEST_REDIS, TestClock, make_settings


def pytest_configure(config: pytest.Config) -> None:
    """The tests' own loop is asyncio's. uvloop runs Python's at-fork hooks in the child when
    it spawns a subprocess (MagicStack/uvloop#749); with other threads about, that child
    sometimes deadlocks before exec and the test waits forever (two clean-clone CI runs hung
    so, in a fake's and a worker's start). The tests spawn fakes, workers and servers all the
    time; Outpost itself never spawns through its loop, and every process it starts, the
    workers and servers these tests run included, runs on uvloop (``core.aio``,
    tests/test_aio.py)."""
    asyncio.set_event_loop_policy(asyncio.DefaultEventLoopPolicy())


TABLES = (
    "publish_attempts, post_destinations, post_media, scheduled_posts, media_library, "
    "api_tokens, social_accounts, chat_identities, workspace_members, users, workspaces, "
    "slack_deliveries, slack_oauth_states, slack_installations"
)


@pytest.fixture(scope="session")
async def database() -> str:
    """A fresh test database at the newest migration."""
    conn = await asyncpg.connect(_plain_dsn(TEST_DB, "postgres"))
    name = TEST_DB.rsplit("/", 1)[1]
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()
    await ensure_database(TEST_DB)
    await upgrade(TEST_DB)
    return TEST_DB


# The tables ``TRUNCATE {TABLES} CASCADE`` would empty: those named and every table that
# references one of them, however indirectly.
CASCADE = """
WITH RECURSIVE named AS (
    SELECT unnest($1::regclass[]) AS rel
    UNION
    SELECT c.conrelid::regclass FROM pg_constraint c JOIN named n ON c.confrelid = n.rel
    WHERE c.contype = 'f'
)
SELECT rel::text AS name FROM named
"""
_emptied: list[str] = []


async def _empty(dsn: str) -> None:
    """Empty what ``TRUNCATE … CASCADE`` of ``TABLES`` would, with DELETEs: a TRUNCATE makes
    new files for some forty tables (0.13 s a test here, minutes over the suite), a DELETE of
    the few rows a test leaves costs almost nothing. Foreign keys are not checked meanwhile
    (``session_replication_role``), since every table they link is emptied together."""
    conn = await asyncpg.connect(_plain_dsn(dsn))
    try:
        if not _emptied:
            names = [t.strip() for t in TABLES.split(",")]
            _emptied.extend(r["name"] for r in await conn.fetch(CASCADE, names))
        deletes = " ".join(f"DELETE FROM {name};" for name in _emptied)
        await conn.execute(f"SET session_replication_role = replica; {deletes}")
    finally:
        await conn.close()


@pytest.fixture
async def settings(database: str, tmp_path: Path) -> Settings:
    await _empty(database)
    client = aioredis.from_url(TEST_REDIS)
    await client.flushdb()
    await client.aclose()
    return make_settings(tmp_path / "data")


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    async with open_runtime(settings, TestClock()) as rt:
        yield rt


@pytest.fixture
async def worker(runtime: Runtime) -> AsyncIterator[object]:
    """A real arq worker running in this event loop until the test ends."""
    instance = make_worker(runtime, handle_signals=False)
    task = asyncio.create_task(instance.main())
    yield instance
    task.cancel()
    jobs = [t for t in instance.tasks.values() if not t.done()]
    for job in jobs:
        job.cancel()
    with suppress(asyncio.CancelledError):
        await task
    await asyncio.gather(*jobs, return_exceptions=True)


@pytest.fixture
async def mastodon() -> AsyncIterator[FakeMastodon]:
    fake = FakeMastodon()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def supa() -> AsyncIterator[FakeSupabase]:
    """The Supabase fake: Storage and Auth on one URL."""
    fake = FakeSupabase()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def receiver() -> AsyncIterator[FakeWebhookReceiver]:
    fake = FakeWebhookReceiver()
    await fake.start()
    yield fake
    await fake.stop()
