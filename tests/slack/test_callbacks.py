"""A post scheduled in Slack reaches the workspace's callback endpoints, signed."""

from __future__ import annotations

import uuid

from scheduler.service import Scheduler
from tests.callback_support import listen, received
from tests.fakes.webhook_receiver import FakeWebhookReceiver
from tests.slack.conftest import TEAM, SlackHarness


async def test_a_slash_command_post_sends_a_signed_post_scheduled(
    connected: SlackHarness, receiver: FakeWebhookReceiver
) -> None:
    rt = connected.rt
    ws = await rt.workspaces.ensure(f"slack:{TEAM}")
    await listen(rt, ws.id, receiver)
    resp = await connected.command("tomorrow 9am to mastodon: Launch day")
    assert resp.status == 200
    [event] = await received(receiver, "post.scheduled")
    [post] = await Scheduler(rt).list(ws.id)
    assert event["data"]["post_id"] == str(post.id)
    assert event["data"]["text"] == "Launch day"
    assert event["data"]["status"] == "scheduled"
    assert [d["handle"] for d in event["data"]["destinations"]] == ["@outpost@fake.social"]
    assert uuid.UUID(event["data"]["post_id"]) == post.id
