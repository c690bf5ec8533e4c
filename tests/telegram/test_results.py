"""After a real worker publishes: the reply in the chat, channel posts, and flood control."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.telegram.context import Services
from bot.telegram.notifier import TelegramNotifier
from scheduler.notifier import DestinationResult, PostResult
from scheduler.publishing.runner import RetryLater
from scheduler.runtime import Runtime
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.telegram import BOT_ID, FakeTelegram
from tests.support import wait_for
from tests.telegram.updates import USER, Updates, connect_mastodon, post, replies

Client = TestClient[Any, Any]
CHANNEL = -1009876543210


async def _reply_containing(fake: FakeTelegram, needle: str) -> dict[str, Any]:
    async def seen() -> bool:
        return any(needle in r["text"] for r in replies(fake))

    await wait_for(seen, timeout=20)
    return next(r for r in replies(fake) if needle in r["text"])


async def test_published_post_is_answered_with_a_link_in_the_thread(
    client: Client, telegram: FakeTelegram, tg_runtime: Runtime, mastodon: FakeMastodon,
    updates: Updates, tg_worker: object,
) -> None:  # fmt: skip
    await connect_mastodon(tg_runtime, f"telegram:{USER}", mastodon.url)
    request = updates.message(text="now to mastodon: Doors open")
    await post(client, request)
    done = await _reply_containing(telegram, "Published")
    assert [s["text"] for s in mastodon.statuses] == ["Doors open"]
    assert mastodon.statuses[0]["url"] in done["text"]
    assert done["reply_parameters"]["message_id"] == request["message"]["message_id"]
    assert "reply_markup" not in done


async def test_failed_post_gives_the_reason_and_a_retry_button(
    client: Client, telegram: FakeTelegram, tg_runtime: Runtime, mastodon: FakeMastodon,
    updates: Updates, tg_worker: object,
) -> None:  # fmt: skip
    await connect_mastodon(tg_runtime, f"telegram:{USER}", mastodon.url)
    mastodon.fail_next("401")
    request = updates.message(text="now to mastodon: Doors open")
    await post(client, request)
    failed = await _reply_containing(telegram, "Not published")
    assert "Reconnect" in failed["text"]
    [[retry]] = failed["reply_markup"]["inline_keyboard"]
    assert retry["text"] == "Retry"
    assert retry["callback_data"].startswith("p:retry:")
    assert failed["reply_parameters"]["message_id"] == request["message"]["message_id"]


async def test_channel_connects_and_receives_the_post(
    client: Client, telegram: FakeTelegram, tg_runtime: Runtime, updates: Updates,
    tg_worker: object,
) -> None:  # fmt: skip
    telegram.add_chat(CHANNEL, "channel", title="Outpost News", username="outpostnews")
    await post(client, updates.message(text="/connect telegram @outpostnews"))
    assert "admin" in replies(telegram)[0]["text"]  # the bot is not an admin yet
    assert await tg_runtime.workspaces.accounts(
        (await tg_runtime.workspaces.by_name(f"telegram:{USER}")).id
    ) == []
    telegram.set_member(CHANNEL, BOT_ID, "administrator")
    await post(client, updates.message(text="/connect telegram @outpostnews"))
    assert "Connected telegram:@outpostnews" in replies(telegram)[-1]["text"]
    [account] = await tg_runtime.workspaces.accounts(
        (await tg_runtime.workspaces.by_name(f"telegram:{USER}")).id
    )
    assert account.settings["chat_id"] == CHANNEL
    assert "TEST-bot-token" not in account.access_token_enc  # encrypted at rest

    await post(client, updates.message(text="now to telegram: Hello, channel!"))
    done = await _reply_containing(telegram, "Published")
    [channel_post] = [m for m in telegram.sent if m["_channel"]]
    assert channel_post["text"] == "Hello, channel!"
    assert f"https://t.me/outpostnews/{channel_post['message_id']}" in done["text"]


async def test_a_429_on_our_reply_is_honoured(
    client: Client, telegram: FakeTelegram, tg_runtime: Runtime, mastodon: FakeMastodon,
    updates: Updates, tg_worker: object,
) -> None:  # fmt: skip
    await connect_mastodon(tg_runtime, f"telegram:{USER}", mastodon.url)
    telegram.fail_next("429", reset=1.0)
    assert await post(client, updates.message(text="tomorrow 9am to mastodon: Later")) == 200
    await _reply_containing(telegram, "Scheduled for")
    await _reply_containing(telegram, "/timezone")

    def delivered() -> list[dict[str, object]]:
        return [m for m in telegram.sent if m["_method"] == "sendMessage"]

    async def both_delivered() -> bool:  # the refused one is sent again after the reset
        return len(delivered()) >= 2

    await wait_for(both_delivered, timeout=15)
    assert telegram.sent_before_reset() == 0
    assert len(delivered()) == 2  # the refused one was queued, never lost or doubled


async def test_notifier_turns_a_429_into_retry_later(
    telegram: FakeTelegram, tg_services: Services
) -> None:
    result = PostResult(
        post_id=str(uuid.uuid4()), workspace_id=str(uuid.uuid4()), status="published",
        text="hi", origin={"platform": "telegram", "chat_id": USER, "message_id": 77},
        callback_url=None,
        destinations=(DestinationResult("mastodon", "@a", "success", "https://m/1", None),),
    )  # fmt: skip
    telegram.fail_next("429", reset=3.0)
    with pytest.raises(RetryLater) as caught:
        await TelegramNotifier(tg_services).notify(result)
    assert caught.value.delay == pytest.approx(3.25, abs=1.0)
    assert replies(telegram) == [] or telegram.sent == []
