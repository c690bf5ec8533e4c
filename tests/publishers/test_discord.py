"""Discord specifics: spec-valid webhook bodies, files, message links, limits, honest lookups."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator

import aiohttp
import jsonschema
import pytest

from publishers.base import Account
from publishers.discord import DiscordPublisher, versioned
from publishers.errors import AuthRevoked, ContentRejected, RateLimited
from tests.fakes.discord import CHANNEL_ID, GUILD_ID, FakeDiscord, execute_schema
from tests.publishers.helpers import MP4, PNG, memory_media, request_for


@pytest.fixture
async def discord() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def publisher(http: aiohttp.ClientSession) -> DiscordPublisher:
    return DiscordPublisher(http, timeout=0.5)


def account(fake: FakeDiscord, **settings: object) -> Account:
    return Account("acc-dc", "discord", "#launches", "", fake.url + fake.webhook_path(), settings)


async def test_message_matches_the_spec(publisher: DiscordPublisher, discord: FakeDiscord) -> None:
    receipt = await publisher.publish(request_for(account(discord, username="Outpost")))
    await publisher.publish(request_for(account(discord), text="two", key="k2"))
    posts = [r for r in discord.requests if r.method == "POST"]
    validator = jsonschema.Draft202012Validator(execute_schema())
    for post in posts:
        validator.validate(post.json)
        assert post.query == {"wait": "true"}
    assert posts[0].json["allowed_mentions"] == {"parse": []}
    gets = [r for r in discord.requests if r.method == "GET"]
    assert len(gets) == 1  # the guild id is learned once per webhook
    message_id = discord.messages[0]["id"]
    assert receipt.url == f"https://discord.com/channels/{GUILD_ID}/{CHANNEL_ID}/{message_id}"


async def test_files_are_multipart(publisher: DiscordPublisher, discord: FakeDiscord) -> None:
    media = (memory_media(PNG, "image/png", "a.png"), memory_media(MP4, "video/mp4", "b.mp4"))
    await publisher.publish(request_for(account(discord), media=media))
    form = next(r.form for r in discord.requests if r.method == "POST")
    assert form is not None
    payload = json.loads(form["payload_json"])
    jsonschema.Draft202012Validator(execute_schema()).validate(payload)
    assert payload["attachments"] == [
        {"id": "0", "filename": "a.png"},
        {"id": "1", "filename": "b.mp4"},
    ]
    assert [form["files[0]"]["filename"], form["files[1]"]["filename"]] == ["a.png", "b.mp4"]
    assert [a["filename"] for a in discord.messages[0]["attachments"]] == ["a.png", "b.mp4"]


def test_validate_limits(publisher: DiscordPublisher, discord: FakeDiscord) -> None:
    acc = account(discord)
    assert publisher.validate(request_for(acc, text="x" * 2000)) == []
    assert "2001" in publisher.validate(request_for(acc, text="x" * 2001))[0].message
    png = memory_media(PNG, "image/png")
    assert "11 files" in publisher.validate(request_for(acc, media=(png,) * 11))[0].message
    big = type(png)(**{**png.__dict__, "size": 11 * 1024 * 1024})
    assert "per file" in publisher.validate(request_for(acc, media=(big,)))[0].message
    boosted = account(discord, max_upload_bytes=50 * 1024 * 1024)
    assert publisher.validate(request_for(boosted, media=(big, big))) == []
    zipped = type(png)(**{**png.__dict__, "content_type": "application/zip"})
    assert publisher.validate(request_for(acc, media=(zipped,))) == []


async def test_errors_are_classified(publisher: DiscordPublisher, discord: FakeDiscord) -> None:
    discord.fail_next("429", reset=2.5)
    with pytest.raises(RateLimited) as limited:
        await publisher.publish(request_for(account(discord)))
    # The body's retry_after (2.5) wins over the rounded Retry-After header (3).
    assert limited.value.retry_after == pytest.approx(2.5, abs=0.2)
    discord.rate_limited_until = 0.0  # the window has passed
    discord.fail_next("422")
    with pytest.raises(ContentRejected):
        await publisher.publish(request_for(account(discord), key="k2"))
    discord.deleted = True
    fresh = DiscordPublisher(publisher.http, timeout=0.5)
    with pytest.raises(AuthRevoked) as gone:
        await fresh.publish(request_for(account(discord), key="k3"))
    assert discord.token not in str(gone.value)
    assert discord.messages == []


async def test_ambiguous_outcome_is_reported_not_resent(
    publisher: DiscordPublisher, discord: FakeDiscord
) -> None:
    assert await publisher.find_existing(request_for(account(discord))) is False


async def test_unboosted_server_refuses_a_file_over_10_mib(
    publisher: DiscordPublisher, discord: FakeDiscord
) -> None:
    data = PNG + b"\x00" * (10 * 1024 * 1024)
    big = memory_media(data, "image/png", "big.png", chunk=1024 * 1024)
    request = request_for(account(discord), media=(big,))
    assert "per file" in publisher.validate(request)[0].message
    with pytest.raises(ContentRejected, match="Request entity too large"):
        await publisher.publish(request)
    assert discord.messages == []


async def test_alt_text_is_the_attachment_description(
    publisher: DiscordPublisher, discord: FakeDiscord
) -> None:
    image = dataclasses.replace(memory_media(PNG, "image/png", "a.png"), alt="A red door")
    await publisher.publish(request_for(account(discord), media=(image,)))
    form = next(r.form for r in discord.requests if r.method == "POST")
    assert form is not None
    payload = json.loads(form["payload_json"])
    assert payload["attachments"] == [{"id": "0", "filename": "a.png", "description": "A red door"}]
    assert discord.messages[0]["attachments"][0]["description"] == "A red door"
    too_long = dataclasses.replace(image, alt="x" * 1025)
    assert "1024" in publisher.validate(request_for(account(discord), media=(too_long,)))[0].message


async def test_webhook_is_called_on_api_v10(
    publisher: DiscordPublisher, discord: FakeDiscord
) -> None:
    await publisher.publish(request_for(account(discord)))
    assert {r.path.split("/webhooks/")[0] for r in discord.requests} == {"/api/v10"}
    assert versioned("https://discordapp.com/api/webhooks/1/t?wait=true") == (
        "https://discord.com/api/v10/webhooks/1/t"
    )
