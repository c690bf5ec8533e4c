"""Fixtures for publisher tests: one HTTP session per test, fakes started on port 0."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.fakes import FakeMastodon, FakeWebhookReceiver


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def mastodon() -> AsyncIterator[FakeMastodon]:
    fake = FakeMastodon()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def receiver() -> AsyncIterator[FakeWebhookReceiver]:
    fake = FakeWebhookReceiver()
    await fake.start()
    yield fake
    await fake.stop()
