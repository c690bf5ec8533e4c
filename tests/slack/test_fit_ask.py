"""A photo a network refuses for its format: the DM reply says why and how to ask, and asking
with `fit` schedules the converted photo."""

from __future__ import annotations

import uuid

from tests.helpers import count_rows
from tests.media.test_fit_ask import half_transparent
from tests.slack.conftest import TEAM, SlackHarness
from tests.slack.test_commands import _until
from tests.slack.test_events import message


async def test_refused_photo_reply_names_limit_and_the_fit_word(connected: SlackHarness) -> None:
    slack, fake, rt = connected, connected.fake, connected.rt
    ws = await rt.workspaces.ensure(f"slack:{TEAM}", "Europe/Berlin")
    await rt.workspaces.add_account(ws.id, "instagram", "acme.shop", rt.cipher.encrypt("t"))
    logo = half_transparent()
    request = "tomorrow 9am to instagram: New logo"
    shared = fake.add_file("logo.png", logo, "image/png")
    await slack.event(message(request, files=[shared]), event_id="Ev0FIT0001")
    await _until(lambda: fake.messages)
    answer = fake.messages[0]["text"]
    assert "acme.shop: Instagram does not take image/png files" in answer
    assert f'"fit {request}"' in answer
    assert await count_rows("scheduled_posts") == 0

    again = fake.add_file("logo.png", logo, "image/png")
    await slack.event(message("fit " + request, files=[again]), event_id="Ev0FIT0002")
    await _until(lambda: len(fake.messages) == 2)
    summary = fake.messages[1]["text"]
    assert "Scheduled" in summary
    assert "1 file" in summary
    post = await rt.posts.get(uuid.UUID(summary.rsplit("id: ", 1)[1].strip()))
    assert (post.content, [m.content_type for m in post.media]) == ("New logo", ["image/jpeg"])
    assert await rt.media.exists(post.media[0].storage_key)
