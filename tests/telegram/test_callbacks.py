"""A post scheduled in Telegram reaches the workspace's callback endpoints, signed."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from bot.telegram.context import Services
from bot.telegram.tasks import tasks
from scheduler.runtime import Runtime
from scheduler.service import Scheduler
from tests.callback_support import delivering, listen, received
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.webhook_receiver import FakeWebhookReceiver
from tests.telegram.updates import USER, Updates, connect_mastodon, post

Client = TestClient[Any, Any]


async def test_a_chat_message_post_sends_a_signed_post_scheduled(
    client: Client, tg_runtime: Runtime, tg_services: Services, mastodon: FakeMastodon,
    updates: Updates, receiver: FakeWebhookReceiver,
) -> None:  # fmt: skip
    await connect_mastodon(tg_runtime, f"telegram:{USER}", mastodon.url)
    ws = await tg_runtime.workspaces.by_name(f"telegram:{USER}")
    await listen(tg_runtime, ws.id, receiver)
    async with delivering(tg_runtime, tasks(tg_services)):
        update = updates.message(text="tomorrow 9am to mastodon: From the channel desk")
        assert await post(client, update) == 200
        [event] = await received(receiver, "post.scheduled")
    [stored] = await Scheduler(tg_runtime).list(ws.id)
    assert event["data"]["post_id"] == str(stored.id)
    assert event["data"]["text"] == "From the channel desk"
    assert event["data"]["status"] == "scheduled"
