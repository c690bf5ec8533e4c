"""The Slack channel publisher under Slack's limits for apps installed outside the Marketplace."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest

from publishers.base import Account, Receipt
from publishers.errors import Ambiguous, RateLimited
from publishers.slack_channel import SlackChannelPublisher
from scheduler.runtime import Runtime
from scheduler.service import Scheduler
from tests.fakes.slack import FakeSlack
from tests.publishers.helpers import PNG, memory_media, request_for
from tests.support import wait_for

OAUTH_TOKEN = "xoxb-oauth-install"


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = FakeSlack()
    await server.start()
    # Multi-workspace mode: the bot token came from an OAuth install, so Slack applies the
    # non-Marketplace limits (conversations.history once a minute).
    server.add_install(OAUTH_TOKEN, "T0000BETA")
    yield server
    await server.stop()


def _account(fake: FakeSlack, channel: str = "C0LAUNCHES") -> Account:
    return Account("acc-sl", "slack", "#launches", OAUTH_TOKEN, fake.api_url(),
                   {"channel": channel, "team_id": "T0000BETA"})  # fmt: skip


async def test_two_posts_in_one_minute_are_each_published_once(
    fake: FakeSlack, http: aiohttp.ClientSession
) -> None:
    publisher = SlackChannelPublisher(http, timeout=2.0)
    first = await publisher.publish(request_for(_account(fake), text="One", key="k-1"))
    second = await publisher.publish(request_for(_account(fake), text="Two", key="k-2"))
    assert fake.created_keys() == ["k-1", "k-2"]
    assert [first.remote_id, second.remote_id] == [m["ts"] for m in fake.messages]
    assert fake.calls("conversations.history") == []


async def test_lookup_after_an_ambiguous_outcome_honours_the_minute(
    fake: FakeSlack, http: aiohttp.ClientSession
) -> None:
    publisher = SlackChannelPublisher(http, timeout=2.0)
    request = request_for(_account(fake), key="k-1")
    fake.fail_next("500_after_create")
    with pytest.raises(Ambiguous):
        await publisher.publish(request)
    found = await publisher.find_existing(request)
    assert isinstance(found, Receipt)
    assert found.remote_id == fake.messages[0]["ts"]
    assert int(fake.calls("conversations.history")[0]["limit"]) <= 15
    # A second look within the minute is Slack's 429: the caller looks again later.
    with pytest.raises(RateLimited) as caught:
        await publisher.find_existing(request)
    assert 1.0 <= caught.value.retry_after <= 60.0
    assert fake.created_keys() == ["k-1"]


async def test_channel_named_with_a_hash_shares_files_by_its_id(
    fake: FakeSlack, http: aiohttp.ClientSession
) -> None:
    publisher = SlackChannelPublisher(http, timeout=2.0)
    media = (memory_media(PNG, "image/png", "a.png"),)
    receipt = await publisher.publish(request_for(_account(fake, "#launches"), media=media))
    [complete] = fake.calls("files.completeUploadExternal")
    assert complete["channel_id"] == "C0LAUNCHES"
    [post] = [m for m in fake.messages if m.get("thread_ts") is None]
    assert post["channel"] == "C0LAUNCHES"
    assert receipt.remote_id == post["ts"]
    assert receipt.url
    assert "/archives/C0LAUNCHES/" in receipt.url
    assert len(fake.thread("C0LAUNCHES", post["ts"])[0]["files"]) == 1


async def test_unknown_channel_name_posts_nothing(
    fake: FakeSlack, http: aiohttp.ClientSession
) -> None:
    publisher = SlackChannelPublisher(http, timeout=2.0)
    media = (memory_media(PNG, "image/png", "a.png"),)
    with pytest.raises(Exception, match="channel_not_found"):
        await publisher.publish(request_for(_account(fake, "#nowhere"), media=media))
    assert fake.messages == []


async def test_alt_text_goes_with_the_upload(fake: FakeSlack, http: aiohttp.ClientSession) -> None:
    publisher = SlackChannelPublisher(http, timeout=2.0)
    media = (dataclasses.replace(memory_media(PNG, "image/png", "a.png"), alt="A red door"),)
    await publisher.publish(request_for(_account(fake), media=media))
    [ticket] = fake.calls("files.getUploadURLExternal")
    assert ticket["alt_txt"] == "A red door"
    too_long = dataclasses.replace(media[0], alt="x" * 1001)
    [problem] = publisher.validate(request_for(_account(fake), media=(too_long,)))
    assert "1000" in problem.message


async def test_files_not_shared_after_the_post_is_ambiguous_not_resent(
    fake: FakeSlack, http: aiohttp.ClientSession
) -> None:
    publisher = SlackChannelPublisher(http, timeout=2.0)
    fake.refusals["files.completeUploadExternal"] = "internal_error"
    request = request_for(_account(fake), media=(memory_media(PNG, "image/png", "a.png"),))
    with pytest.raises(Ambiguous, match="posted the message"):
        await publisher.publish(request)
    found = await publisher.find_existing(request)
    assert isinstance(found, Receipt)
    assert fake.created_keys() == [request.idempotency_key]


async def test_a_busy_channel_is_not_taken_for_an_empty_one(
    fake: FakeSlack, http: aiohttp.ClientSession
) -> None:
    publisher = SlackChannelPublisher(http, timeout=2.0)
    request = request_for(_account(fake), key="ours")
    fake.fail_next("500_after_create")
    with pytest.raises(Ambiguous):
        await publisher.publish(request)
    for n in range(15):  # people talk after our post: it falls off the one page Slack gives
        await publisher.publish(request_for(_account(fake), text=f"chat {n}", key=f"c-{n}"))
    assert await publisher.find_existing(request) is False
    assert fake.created_keys().count("ours") == 1


async def test_two_posts_a_minute_through_the_worker_each_published_once(
    runtime: Runtime, worker: object, fake: FakeSlack
) -> None:
    ws = await runtime.workspaces.create("beta", "Europe/Berlin")
    await runtime.workspaces.add_account(
        ws.id, "slack", "#launches", runtime.cipher.encrypt(OAUTH_TOKEN),
        base_url=fake.api_url(), settings={"channel": "C0LAUNCHES", "team_id": "T0000BETA"},
    )  # fmt: skip
    due = runtime.clock.now() + timedelta(seconds=1)
    posts = [
        await Scheduler(runtime).schedule_fields(
            ws.id, text=text, when=due + timedelta(seconds=n), destinations=["slack"]
        )
        for n, text in enumerate(("First launch note", "Second launch note"))
    ]

    async def published() -> bool:
        found = [await runtime.posts.get(p.id) for p in posts]
        return all(p.status == "published" for p in found)

    await wait_for(published, timeout=15)
    assert sorted(m["text"] for m in fake.messages) == ["First launch note", "Second launch note"]
    assert len(set(fake.created_keys())) == 2
    assert fake.calls("conversations.history") == []
