"""The webhook: secret header, duplicate updates, text requests, commands, edits."""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp.test_utils import TestClient

from scheduler.runtime import Runtime
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.telegram import FakeTelegram
from tests.helpers import count_rows
from tests.telegram.updates import SECRET, USER, Updates, connect_mastodon, post, replies

Client = TestClient[Any, Any]


async def test_start_up_registers_the_webhook(client: Client, telegram: FakeTelegram) -> None:
    [hook] = telegram.calls("setWebhook")
    assert hook["url"] == "https://outpost.example/telegram/webhook"
    assert hook["secret_token"] == SECRET
    assert set(hook["allowed_updates"]) == {"message", "edited_message", "callback_query"}


async def test_missing_or_wrong_secret_is_refused_and_stores_nothing(
    client: Client, telegram: FakeTelegram, updates: Updates
) -> None:
    update = updates.message(text="now to mastodon: hi")
    assert await post(client, update, secret=None) == 403
    assert await post(client, update, secret="not-the-secret") == 403
    assert await post(client, update, secret=SECRET[:-1]) == 403
    assert replies(telegram) == []
    assert await count_rows("users") == 0
    assert await count_rows("scheduled_posts") == 0


async def test_not_an_update_is_a_bad_request(client: Client) -> None:
    resp = await client.post(
        "/telegram/webhook", data=b"{nope", headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
    )
    assert resp.status == 400


async def test_text_request_is_confirmed_with_buttons_and_a_repeat_is_dropped(
    client: Client, telegram: FakeTelegram, tg_runtime: Runtime, mastodon: FakeMastodon,
    updates: Updates,
) -> None:  # fmt: skip
    await connect_mastodon(tg_runtime, f"telegram:{USER}", mastodon.url)
    update = updates.message(text="tomorrow 9am to mastodon: We're live!")
    assert await post(client, update) == 200
    confirmation, hello = replies(telegram, USER)
    assert "Scheduled for" in confirmation["text"]
    assert confirmation["reply_parameters"]["message_id"] == update["message"]["message_id"]
    assert confirmation["parse_mode"] == "HTML"
    buttons = confirmation["reply_markup"]["inline_keyboard"][0]
    [post_id] = {b["callback_data"].split(":")[2] for b in buttons}
    actions = [b["callback_data"].split(":")[1] for b in buttons]
    assert actions == ["cancel", "edit_time", "post_now"]
    assert "/timezone" in hello["text"]  # asked on first contact
    stored = await tg_runtime.posts.get(uuid.UUID(post_id))
    assert stored.content == "We're live!"
    assert stored.origin["chat_id"] == USER
    assert stored.origin["message_id"] == update["message"]["message_id"]

    assert await post(client, update) == 200  # Telegram redelivers the same update_id
    assert len(replies(telegram)) == 2
    assert await count_rows("scheduled_posts") == 1


async def test_timezone_and_posts_commands(
    client: Client, telegram: FakeTelegram, tg_runtime: Runtime, mastodon: FakeMastodon,
    updates: Updates,
) -> None:  # fmt: skip
    await connect_mastodon(tg_runtime, f"telegram:{USER}", mastodon.url)
    await post(client, updates.message(text="/timezone@OutpostTestBot Europe/Berlin"))
    assert "Europe/Berlin" in replies(telegram)[0]["text"]
    await post(client, updates.message(text="/timezone"))
    assert "Your time zone is Europe/Berlin" in replies(telegram)[-1]["text"]
    await post(client, updates.message(text="/schedule tomorrow 9:00 to mastodon: Hallo"))
    assert "09:00 CE" in replies(telegram)[-1]["text"]
    await post(client, updates.message(text="/posts"))
    listed = replies(telegram)[-1]
    assert "Upcoming posts" in listed["text"]
    assert listed["reply_markup"]["inline_keyboard"][0][0]["callback_data"].startswith("p:cancel:")
    await post(client, updates.message(text="/help"))
    assert "Schedule a post" in replies(telegram)[-1]["text"]


async def test_unknown_command_and_no_time_get_an_answer_and_change_nothing(
    client: Client, telegram: FakeTelegram, tg_runtime: Runtime, mastodon: FakeMastodon,
    updates: Updates,
) -> None:  # fmt: skip
    await connect_mastodon(tg_runtime, f"telegram:{USER}", mastodon.url)
    await post(client, updates.message(text="/frobnicate now"))
    assert "don't know the command" in replies(telegram)[0]["text"]
    await post(client, updates.message(text="to mastodon: no time at all"))
    answer = replies(telegram)[-1]["text"]
    assert "couldn't schedule" in answer
    assert "Try" in answer
    assert await count_rows("scheduled_posts") == 0


async def test_edited_message_is_answered_and_changes_nothing(
    client: Client, telegram: FakeTelegram, tg_runtime: Runtime, mastodon: FakeMastodon,
    updates: Updates,
) -> None:  # fmt: skip
    await connect_mastodon(tg_runtime, f"telegram:{USER}", mastodon.url)
    first = updates.message(text="tomorrow 9am to mastodon: v1")
    await post(client, first)
    posted = await tg_runtime.posts.search(
        (await tg_runtime.workspaces.by_name(f"telegram:{USER}")).id, None, None, (), 10, 0
    )
    edit = updates.message(text="tomorrow 11am to mastodon: v2", kind="edited_message",
                           message_id=first["message"]["message_id"])  # fmt: skip
    assert await post(client, edit) == 200
    answer = replies(telegram)[-1]
    assert "doesn't change" in answer["text"]
    assert answer["reply_parameters"]["message_id"] == first["message"]["message_id"]
    [still] = await tg_runtime.posts.search(posted[0].workspace_id, None, None, (), 10, 0)
    assert (still.content, still.scheduled_at) == (posted[0].content, posted[0].scheduled_at)
