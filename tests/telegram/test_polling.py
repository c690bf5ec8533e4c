"""TELEGRAM_MODE=polling: no webhook, PTB's own updater fetches updates from the Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from app.process import Process, open_process
from app.web import build_app
from bot.telegram.routes import setup_for
from core.settings import Settings
from tests.fakes.telegram import FakeTelegram
from tests.support import wait_for
from tests.telegram.conftest import _empty_own_tables, telegram_settings
from tests.telegram.updates import USER, Updates, post, replies


@pytest.fixture
async def polling(settings: Settings, telegram: FakeTelegram) -> AsyncIterator[Process]:
    await _empty_own_tables()
    async with open_process(telegram_settings(settings, telegram, telegram_mode="polling")) as p:
        yield p


async def test_polling_fetches_and_answers_without_a_webhook(
    polling: Process, telegram: FakeTelegram, updates: Updates
) -> None:
    telegram.updates.append(updates.message(text="/help"))
    assert polling.telegram is not None
    app = build_app(polling.runtime, [setup_for(polling.telegram)])
    async with TestClient(TestServer(app)) as client:

        async def answered() -> bool:
            return any("Schedule a post" in r["text"] for r in replies(telegram, USER))

        await wait_for(answered, timeout=20)
        assert telegram.calls("setWebhook") == []
        assert telegram.calls("deleteWebhook")
        assert telegram.calls("getUpdates")
        # The webhook route still demands the secret in polling mode.
        assert await post(client, updates.message(text="/help"), secret="anything") == 403
