"""The Slack channel publisher against the fake: files, permalink, Slack's error codes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from publishers.base import Account
from publishers.errors import AuthRevoked, ContentRejected, RateLimited
from publishers.slack_channel import SlackChannelPublisher
from tests.fakes.slack import FakeSlack
from tests.publishers.helpers import MP4, PNG, memory_media, request_for


@pytest.fixture
async def pub(fake_slack: FakeSlack) -> AsyncIterator[SlackChannelPublisher]:
    async with aiohttp.ClientSession() as http:
        yield SlackChannelPublisher(http, timeout=2.0)


def account(fake: FakeSlack, channel: str = "C0LAUNCHES", token: str = "xoxb-good") -> Account:
    return Account("a", "slack", "#launches", token, fake.api_url(), {"channel": channel})


async def test_files_go_to_the_post_thread(
    pub: SlackChannelPublisher, fake_slack: FakeSlack
) -> None:
    media = (memory_media(PNG, "image/png", "a.png"), memory_media(MP4, "video/mp4", "b.mp4"))
    receipt = await pub.publish(request_for(account(fake_slack), media=media))
    post = fake_slack.messages[0]
    assert receipt.remote_id == post["ts"]
    assert receipt.url == f"{fake_slack.url}/archives/C0LAUNCHES/p{post['ts'].replace('.', '')}"
    assert sorted(len(v) for v in fake_slack.uploads.values()) == sorted([len(PNG), len(MP4)])
    shared = fake_slack.thread("C0LAUNCHES", post["ts"])
    assert len(shared) == 1
    assert len(shared[0]["files"]) == 2
    assert fake_slack.invalid == []


@pytest.mark.parametrize(
    ("channel", "token", "error", "words"),
    [
        ("CMISSING01", "xoxb-good", ContentRejected, "/invite"),
        ("C0LAUNCHES", "xoxb-revoked", AuthRevoked, "reinstall"),
    ],
)
async def test_slack_error_codes(
    pub: SlackChannelPublisher, fake_slack: FakeSlack, channel: str, token: str,
    error: type[Exception], words: str,
) -> None:
    with pytest.raises(error) as caught:
        await pub.publish(request_for(account(fake_slack, channel, token)))
    assert words in str(caught.value)
    assert token not in str(caught.value)
    assert fake_slack.messages == []


async def test_rate_limit_honours_retry_after(
    pub: SlackChannelPublisher, fake_slack: FakeSlack
) -> None:
    fake_slack.fail_next("429", reset=7.0)
    with pytest.raises(RateLimited) as caught:
        await pub.publish(request_for(account(fake_slack)))
    assert caught.value.retry_after == pytest.approx(7.0, abs=1.0)
