"""The Slack and Telegram bots on a runtime whose clock the test sets, with a real worker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from app.process import Process, open_process
from app.web import build_app
from bot.slack.routes import setup as slack_setup
from bot.telegram.routes import setup_for
from bot.telegram.tasks import tasks
from core.settings import Settings
from tests.callback_support import delivering
from tests.fakes.slack import FakeSlack
from tests.fakes.telegram import FakeTelegram
from tests.slack.conftest import USER, SlackHarness, empty_slack_tables, sign, slack_settings
from tests.support import TestClock, wait_for
from tests.telegram.conftest import _empty_own_tables, telegram_settings


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    fake.add_user(USER)
    yield fake
    await fake.stop()


@pytest.fixture
async def slack(settings: Settings, fake_slack: FakeSlack) -> AsyncIterator[SlackHarness]:
    """The Slack app (single workspace) on a ``TestClock``, with a worker."""
    await empty_slack_tables()
    async with open_process(slack_settings(settings, fake_slack), TestClock()) as process:
        rt = process.runtime
        client = TestClient(TestServer(build_app(rt, [slack_setup])))
        await client.start_server()
        async with delivering(rt):
            try:
                yield SlackHarness(client, fake_slack, rt)
            finally:
                await client.close()
                await asyncio.sleep(0.2)  # listeners run after the ack


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def tg(settings: Settings, telegram: FakeTelegram) -> AsyncIterator[Process]:
    """The Telegram process on a ``TestClock``."""
    await _empty_own_tables()
    async with open_process(telegram_settings(settings, telegram), TestClock()) as process:
        yield process


@pytest.fixture
async def tg_client(tg: Process) -> AsyncIterator[TestClient[Any, Any]]:
    assert tg.telegram is not None
    app = build_app(tg.runtime, [setup_for(tg.telegram)])
    async with (
        TestClient(TestServer(app)) as c,
        delivering(tg.runtime, tasks(tg.telegram)),
    ):
        yield c


async def ask(slack: SlackHarness, text: str) -> str:
    """Send ``/schedule text`` and wait for its answer (ephemeral or in the channel)."""
    fake = slack.fake
    seen = len(fake.responses), len(fake.messages)
    body = slack.command_body(text)
    # Signed at the runtime's (test) clock, which the route checks the timestamp against.
    stamp = int(slack.rt.clock.now().timestamp())
    await slack.post(body, "application/x-www-form-urlencoded", headers=sign(body, ts=stamp))

    async def answered() -> bool:
        return (len(fake.responses), len(fake.messages)) != seen

    await wait_for(answered, timeout=20)
    new = [*fake.responses[seen[0] :], *fake.messages[seen[1] :]]
    return "\n".join(str(m["text"]) for m in new)
