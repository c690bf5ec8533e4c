"""Inline buttons and group chats: who may press and schedule, and what changes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp.test_utils import TestClient

from scheduler.runtime import Runtime
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.telegram import FakeTelegram
from tests.helpers import count_rows
from tests.telegram.updates import (
    GROUP,
    OTHER,
    USER,
    Updates,
    connect_mastodon,
    group,
    post,
    replies,
    sent_message,
    user,
)

Client = TestClient[Any, Any]


def _post_id(reply: dict[str, Any]) -> uuid.UUID:
    data = reply["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    return uuid.UUID(data.split(":")[2])


async def test_cancel_button_answers_edits_and_cancels(
    client: Client, telegram: FakeTelegram, tg_runtime: Runtime, mastodon: FakeMastodon,
    updates: Updates,
) -> None:  # fmt: skip
    await connect_mastodon(tg_runtime, f"telegram:{USER}", mastodon.url)
    await post(client, updates.message(text="tomorrow 9am to mastodon: Bye"))
    confirmation = replies(telegram)[0]
    post_id = _post_id(confirmation)
    shown = sent_message(telegram, "Scheduled for")
    assert await post(client, updates.press(f"p:cancel:{post_id}", shown)) == 200
    [answer] = telegram.calls("answerCallbackQuery")
    assert answer["text"].startswith("Cancelled")
    [edit] = telegram.calls("editMessageText")
    assert edit["message_id"] == shown["message_id"]
    assert "Cancelled" in edit["text"]
    assert "reply_markup" not in edit  # the buttons are gone
    assert (await tg_runtime.posts.get(post_id)).status == "cancelled"


async def test_edit_time_asks_and_the_reply_moves_the_post(
    client: Client, telegram: FakeTelegram, tg_runtime: Runtime, mastodon: FakeMastodon,
    updates: Updates,
) -> None:  # fmt: skip
    await connect_mastodon(tg_runtime, f"telegram:{USER}", mastodon.url)
    await post(client, updates.message(text="/timezone Europe/Berlin"))
    await post(client, updates.message(text="tomorrow 9am to mastodon: Move me"))
    post_id = _post_id(replies(telegram)[-1])
    await post(client, updates.press(f"p:edit_time:{post_id}", sent_message(telegram, "Move me")))
    prompt = replies(telegram)[-1]
    assert "new time" in prompt["text"]
    assert prompt["reply_markup"]["force_reply"] is True
    await post(client, updates.message(text="in 3 days at 14:30"))
    assert "Scheduled for" in replies(telegram)[-1]["text"]
    moved = await tg_runtime.posts.get(post_id)
    local = moved.scheduled_at.astimezone(ZoneInfo("Europe/Berlin"))
    assert (local.hour, local.minute) == (14, 30)
    assert local.date() > datetime.now(ZoneInfo("Europe/Berlin")).date()


async def test_group_admins_schedule_and_others_cannot_touch(
    client: Client, telegram: FakeTelegram, tg_runtime: Runtime, mastodon: FakeMastodon,
    updates: Updates,
) -> None:  # fmt: skip
    telegram.add_chat(GROUP, "supergroup", title="Launch team")
    telegram.set_member(GROUP, USER, "administrator")
    telegram.set_member(GROUP, OTHER, "member")
    await connect_mastodon(tg_runtime, f"telegram:{GROUP}", mastodon.url)
    request = "/schedule@OutpostTestBot tomorrow 9am to mastodon: From the team"
    await post(client, updates.message(text=request, chat=group()))
    post_id = _post_id(replies(telegram, GROUP)[0])
    stored = await tg_runtime.posts.get(post_id)
    assert stored.workspace_id == (await tg_runtime.workspaces.by_name(f"telegram:{GROUP}")).id

    # Small talk in the group is not addressed to the bot: no answer at all.
    before = len(replies(telegram))
    await post(client, updates.message(text="lunch at noon?", chat=group(), sender=user(OTHER)))
    assert len(replies(telegram)) == before

    # A member who is not an admin: a request is refused, a button press too.
    await post(client, updates.message(text="/schedule now to mastodon: sneaky", chat=group(),
                                       sender=user(OTHER, "Eve")))  # fmt: skip
    refusal, welcome = replies(telegram, GROUP)[-2:]
    assert "viewer" in refusal["text"]
    assert "/timezone" in welcome["text"]  # Eve is new here
    shown = sent_message(telegram, "From the team")
    await post(client, updates.press(f"p:cancel:{post_id}", shown, sender=user(OTHER, "Eve")))
    denied = telegram.calls("answerCallbackQuery")[-1]
    assert "viewer" in denied["text"]
    assert denied["show_alert"] is True
    assert telegram.calls("editMessageText") == []
    assert (await tg_runtime.posts.get(post_id)).status == "scheduled"
    assert await count_rows("scheduled_posts") == 1


async def test_a_button_from_another_workspace_changes_nothing(
    client: Client, telegram: FakeTelegram, tg_runtime: Runtime, mastodon: FakeMastodon,
    updates: Updates,
) -> None:  # fmt: skip
    await connect_mastodon(tg_runtime, f"telegram:{USER}", mastodon.url)
    await post(client, updates.message(text="tomorrow 9am to mastodon: Mine"))
    post_id = _post_id(replies(telegram)[0])
    shown = sent_message(telegram, "Mine")
    stranger = {**shown, "chat": {"id": OTHER, "type": "private", "first_name": "Eve"}}
    await post(client, updates.press(f"p:cancel:{post_id}", stranger, sender=user(OTHER, "Eve")))
    assert "No post" in telegram.calls("answerCallbackQuery")[-1]["text"]
    await post(client, updates.press("garbage", shown))
    assert "no longer supported" in telegram.calls("answerCallbackQuery")[-1]["text"]
    assert (await tg_runtime.posts.get(post_id)).status == "scheduled"
