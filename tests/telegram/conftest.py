"""The Telegram bot under test: the real aiohttp app with our route, a fake Bot API, a worker."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from contextlib import suppress

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image

from app.process import Process, open_process
from app.web import build_app
from bot.telegram.context import Services
from bot.telegram.routes import setup_for
from bot.telegram.tasks import tasks
from core.settings import Settings
from scheduler.publishing.tasks import make_worker
from scheduler.runtime import Runtime
from storage.db import _plain_dsn
from tests.fakes.telegram import TOKEN, FakeTelegram
from tests.support import TEST_DB, make_settings
from tests.telegram.updates import SECRET, Updates

OWN_TABLES = "telegram_album_parts, telegram_albums, telegram_pending_edits"


async def _empty_own_tables() -> None:
    conn = await asyncpg.connect(_plain_dsn(TEST_DB))
    try:
        await conn.execute(f"TRUNCATE {OWN_TABLES} CASCADE")
    finally:
        await conn.close()


def jpeg(color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A small real JPEG (the media intake reads the pixels)."""
    out = io.BytesIO()
    Image.new("RGB", (32, 24), color).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    await fake.start()
    yield fake
    await fake.stop()


def telegram_settings(settings: Settings, fake: FakeTelegram, **extra: object) -> Settings:
    return make_settings(
        settings.data_dir,
        telegram_bot_token=TOKEN,
        telegram_webhook_secret=SECRET,
        telegram_api_url=fake.url + "/bot",
        public_url="https://outpost.example",
        **extra,
    )


@pytest.fixture
async def tg_process(settings: Settings, telegram: FakeTelegram) -> AsyncIterator[Process]:
    """The process as ``outpost run`` builds it with Telegram on (results reach the chat)."""
    await _empty_own_tables()
    async with open_process(telegram_settings(settings, telegram)) as process:
        yield process


@pytest.fixture
def tg_runtime(tg_process: Process) -> Runtime:
    return tg_process.runtime


@pytest.fixture
def tg_services(tg_process: Process) -> Services:
    assert tg_process.telegram is not None
    return tg_process.telegram


@pytest.fixture
async def client(
    tg_runtime: Runtime, tg_services: Services
) -> AsyncIterator[TestClient[object, object]]:
    app = build_app(tg_runtime, [setup_for(tg_services)])
    async with TestClient(TestServer(app)) as test_client:
        yield test_client  # type: ignore[misc]


@pytest.fixture
async def tg_worker(tg_runtime: Runtime, tg_services: Services) -> AsyncIterator[object]:
    """A real arq worker with the Telegram tasks, in this event loop."""
    instance = make_worker(
        tg_runtime, handle_signals=False, extra_functions=tasks(tg_services)
    )
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
def updates() -> Updates:
    return Updates()
