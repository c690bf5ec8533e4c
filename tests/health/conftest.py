"""Fixtures for health tests: an HTTP session, and a process runtime whose chat is Slack."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr

from app.process import open_process
from core.settings import Settings
from scheduler.runtime import Runtime
from tests.fakes.slack import FakeSlack
from tests.slack.conftest import CHANNEL, TEAM
from tests.slack.conftest import SECRET as SLACK_SECRET
from tests.support import TestClock

THREAD = "1700000000.000100"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@dataclass
class Chat:
    """A process runtime whose chat is a fake Slack, and the thread posts come from."""

    rt: Runtime
    slack: FakeSlack

    def origin(self) -> dict[str, Any]:
        return {"platform": "slack", "team_id": TEAM, "channel": CHANNEL, "thread_ts": THREAD,
                "summary_ts": "1700000000.000200"}  # fmt: skip

    def replies(self, words: str) -> list[dict[str, Any]]:
        """Messages in the thread that contain ``words``."""
        return [m for m in self.slack.messages if m["thread_ts"] == THREAD and words in m["text"]]


@pytest.fixture
async def chat(settings: Settings) -> AsyncIterator[Chat]:
    """``open_process`` (the notifier app/ builds) with Slack pointed at a fake."""
    slack = FakeSlack()
    slack.channels[CHANNEL] = "general"
    await slack.start()
    local = settings.model_copy(
        update={"slack_signing_secret": SecretStr(SLACK_SECRET),
                "slack_bot_token": SecretStr("xoxb-good"), "slack_api_url": slack.api_url()}
    )  # fmt: skip
    try:
        async with open_process(local, TestClock()) as process:
            yield Chat(process.runtime, slack)
    finally:
        await slack.stop()
