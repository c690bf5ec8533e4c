"""The Telegram channel publisher against the fake Bot API: methods, limits, errors, URLs."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from publishers.base import Account
from publishers.errors import AuthRevoked, RateLimited
from publishers.telegram_channel import TelegramChannelPublisher
from tests.fakes.telegram import TOKEN, FakeTelegram
from tests.publishers.helpers import MP4, PNG, memory_media, request_for

CHANNEL = -1009876543210


@pytest.fixture
async def channel() -> AsyncIterator[tuple[FakeTelegram, TelegramChannelPublisher]]:
    fake = FakeTelegram()
    fake.add_chat(CHANNEL, "channel", title="News", username="outpostnews")
    await fake.start()
    async with aiohttp.ClientSession() as http:
        yield fake, TelegramChannelPublisher(http, timeout=2.0)
    await fake.stop()


def account(fake: FakeTelegram, username: str = "outpostnews") -> Account:
    return Account("a1", "telegram", f"@{username}" if username else str(CHANNEL), TOKEN,
                   fake.url + "/bot", {"chat_id": CHANNEL, "username": username})  # fmt: skip


async def test_one_photo_is_sent_with_its_caption(
    channel: tuple[FakeTelegram, TelegramChannelPublisher],
) -> None:
    fake, publisher = channel
    photo = memory_media(PNG, "image/png", "a.png")
    receipt = await publisher.publish(request_for(account(fake), text="Hi", media=(photo,)))
    [call] = fake.calls("sendPhoto")
    assert call["caption"] == "Hi"
    assert call["photo"]["size"] == len(PNG)
    assert int(call["chat_id"]) == CHANNEL
    assert receipt.url == f"https://t.me/outpostnews/{receipt.remote_id}"


async def test_an_album_goes_out_as_one_media_group(
    channel: tuple[FakeTelegram, TelegramChannelPublisher],
) -> None:
    fake, publisher = channel
    media = tuple(memory_media(PNG if n < 2 else MP4, "image/png" if n < 2 else "video/mp4",
                               f"f{n}") for n in range(3))  # fmt: skip
    receipt = await publisher.publish(request_for(account(fake, ""), text="Album", media=media))
    [call] = fake.calls("sendMediaGroup")
    assert [m["type"] for m in call["media"]] == ["photo", "photo", "video"]
    assert call["media"][0]["caption"] == "Album"
    assert "caption" not in call["media"][1]
    assert len(receipt.extra["message_ids"]) == 3
    assert receipt.url == f"https://t.me/c/9876543210/{receipt.remote_id}"  # private channel


def test_limits_are_checked_before_scheduling() -> None:
    publisher = TelegramChannelPublisher.__new__(TelegramChannelPublisher)
    acc = Account("a1", "telegram", "@c", "", "")
    photo = memory_media(PNG, "image/png", "a.png")
    assert publisher.validate(request_for(acc, text="x" * 4096)) == []
    assert publisher.validate(request_for(acc, text="x" * 4097))
    assert publisher.validate(request_for(acc, text="x" * 1024, media=(photo,))) == []
    [problem] = publisher.validate(request_for(acc, text="x" * 1025, media=(photo,)))
    assert "caption" in problem.message
    assert publisher.length("👍" * 10) == 20  # UTF-16 units, as Telegram counts


@pytest.mark.parametrize(
    ("code", "description"),
    [
        (403, "Forbidden: bot was kicked from the channel chat"),
        (400, "Bad Request: not enough rights to send text messages to the chat"),
        (400, "Bad Request: chat not found"),
    ],
)
async def test_lost_rights_mean_re_adding_the_bot(
    channel: tuple[FakeTelegram, TelegramChannelPublisher], code: int, description: str
) -> None:
    fake, publisher = channel
    fake.error_bodies = {**fake.error_bodies, "400": (code, {
        "ok": False, "error_code": code, "description": description})}  # fmt: skip
    fake.fail_next("400")
    with pytest.raises(AuthRevoked) as caught:
        await publisher.publish(request_for(account(fake)))
    assert "Re-add the bot as an admin" in str(caught.value)
    assert TOKEN not in str(caught.value)


async def test_flood_control_carries_retry_after(
    channel: tuple[FakeTelegram, TelegramChannelPublisher],
) -> None:
    fake, publisher = channel
    fake.fail_next("429", reset=7.0)
    with pytest.raises(RateLimited) as caught:
        await publisher.publish(request_for(account(fake)))
    assert caught.value.retry_after == pytest.approx(7, abs=1)
    assert fake.created_keys() == []
