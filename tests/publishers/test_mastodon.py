"""Mastodon specifics: requests match the spec, length counting, threads, instance limits."""

from __future__ import annotations

from dataclasses import replace

import aiohttp
import jsonschema
import pytest

from publishers.base import Account, Receipt
from publishers.errors import Ambiguous, Unavailable
from publishers.mastodon import MastodonPublisher, mastodon_length, split_thread
from tests.fakes import FakeMastodon
from tests.fakes.mastodon import status_request_schema
from tests.publishers.helpers import MP4, PNG, memory_media, publish_thread, request_for

LONG = " ".join(
    f"Sentence number {i} talks about https://example.com/{i}/a/long/path." for i in range(40)
)


def account(fake: FakeMastodon, **settings: object) -> Account:
    return Account("acc-1", "mastodon", "outpost", "good-token", fake.url, settings)


@pytest.fixture
def publisher(http: aiohttp.ClientSession) -> MastodonPublisher:
    pub = MastodonPublisher(http, timeout=0.5)
    pub.media_poll_interval = 0.01
    return pub


def status_posts(fake: FakeMastodon) -> list[dict[str, object]]:
    return [r.json for r in fake.requests if r.method == "POST" and r.path == "/api/v1/statuses"]


async def test_requests_match_the_spec(
    mastodon: FakeMastodon, publisher: MastodonPublisher
) -> None:
    media = (memory_media(PNG, "image/png", "a.png"), memory_media(MP4, "video/mp4", "b.mp4"))
    await publisher.publish(request_for(account(mastodon, visibility="unlisted"), media=media))
    await publish_thread(
        publisher, request_for(account(mastodon), text=LONG, key="k2", thread=True)
    )
    validator = jsonschema.Draft202012Validator(status_request_schema())
    bodies = status_posts(mastodon)
    assert len(bodies) > 2
    for body in bodies:
        validator.validate(body)
    assert bodies[0]["visibility"] == "unlisted"
    assert len(bodies[0]["media_ids"]) == 2  # type: ignore[arg-type]
    uploads = [r for r in mastodon.requests if r.path == "/api/v2/media"]
    assert [u.form["file"]["content_type"] for u in uploads] == ["image/png", "video/mp4"]  # type: ignore[index]
    creates = [r for r in mastodon.requests if r.path == "/api/v1/statuses"]
    assert all(r.headers["Authorization"] == "Bearer good-token" for r in creates)
    assert creates[0].headers["Idempotency-Key"] == "post-1:dest-1:r1"


def test_the_schema_check_catches_bad_bodies() -> None:
    validator = jsonschema.Draft202012Validator(status_request_schema())
    assert not validator.is_valid({"status": "hi", "visibility": "everyone"})
    assert not validator.is_valid({"visibility": "public"})
    assert not validator.is_valid({"status": 5})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello", 5),
        ("see https://example.com/" + "a" * 200, 4 + 23),
        ("two http://a.io and https://b.example.org/x?y=1.", 4 + 23 + 5 + 23 + 1),
        ("hi @alice@example.social!", 3 + 6 + 1),
        ("mail bob@example.com", 20),
        ("flag 🇫🇷 and family 👨‍👩‍👧", 5 + 1 + 12 + 1),
    ],
)
def test_length_counts_like_mastodon(text: str, expected: int) -> None:
    assert mastodon_length(text) == expected


def test_validate_uses_the_instance_limit(http: aiohttp.ClientSession) -> None:
    pub = MastodonPublisher(http)
    acc = Account("a", "mastodon", "me", "t", "https://x", {"max_characters": 5000})
    assert pub.validate(request_for(acc, text="x" * 1000)) == []
    small = Account("a", "mastodon", "me", "t", "https://x")
    assert "allows 500" in str(pub.validate(request_for(small, text="x" * 501))[0])
    assert pub.validate(request_for(small, text="x" * 501, thread=True)) == []
    url_text = "https://example.com/" + "a" * 600
    assert pub.validate(request_for(small, text=url_text)) == []


@pytest.mark.parametrize("limit", [60, 100, 500])
def test_split_thread_parts_fit_and_keep_every_word(limit: int) -> None:
    parts = split_thread(LONG, limit)
    assert len(parts) > 1
    assert all(mastodon_length(p) <= limit for p in parts)
    n = len(parts)
    assert all(p.endswith(f" ({i}/{n})") for i, p in enumerate(parts, 1))
    words = " ".join(p.rsplit(" (", 1)[0] for p in parts).split()
    assert words == LONG.split()


def test_split_thread_without_room_for_counters() -> None:
    parts = split_thread("word " * 30, 12)
    assert all(len(p) <= 12 for p in parts)
    assert "(" not in "".join(parts)
    assert split_thread("short", 500) == ["short"]
    assert all(len(p) <= 10 for p in split_thread("x" * 35, 10))


async def test_thread_is_a_reply_chain(
    mastodon: FakeMastodon, publisher: MastodonPublisher
) -> None:
    receipts = await publish_thread(
        publisher, request_for(account(mastodon), text=LONG, thread=True)
    )
    statuses = mastodon.statuses
    assert len(statuses) == len(split_thread(LONG, 500)) > 1
    assert statuses[0]["in_reply_to_id"] is None
    assert [s["in_reply_to_id"] for s in statuses[1:]] == [s["id"] for s in statuses[:-1]]
    assert [r.remote_id for r in receipts] == [s["id"] for s in statuses]
    key = "post-1:dest-1:r1"
    assert mastodon.created_keys() == [key] + [f"{key}:{n}" for n in range(2, len(statuses) + 1)]


async def test_a_part_resent_under_its_key_is_not_posted_twice(
    mastodon: FakeMastodon, publisher: MastodonPublisher
) -> None:
    request = request_for(account(mastodon), text=LONG, thread=True)
    mastodon.fail_next("none")
    mastodon.fail_next("drop")  # the second part is created, then the connection drops
    with pytest.raises(Ambiguous):
        await publish_thread(publisher, request)
    assert len(mastodon.statuses) == 2
    # The worker keeps the root's receipt and sends the ambiguous part again under its key.
    root = Receipt(mastodon.statuses[0]["id"], mastodon.statuses[0]["url"])
    receipts = await publish_thread(publisher, request, [root])
    again = await publish_thread(publisher, request, [root])
    keys = mastodon.created_keys()
    assert len(keys) == len(set(keys)) == len(split_thread(LONG, 500))
    assert [r.remote_id for r in receipts] == [r.remote_id for r in again]
    chain = [s["in_reply_to_id"] for s in mastodon.statuses[1:]]
    assert chain == [s["id"] for s in mastodon.statuses[:-1]]


async def test_instance_limits(mastodon: FakeMastodon, publisher: MastodonPublisher) -> None:
    mastodon.max_characters = 1000
    limits = await publisher.instance_limits(mastodon.url + "/")
    assert limits["max_characters"] == 1000
    assert limits["characters_reserved_per_url"] == 23


async def test_media_still_processing_is_unavailable(
    mastodon: FakeMastodon, publisher: MastodonPublisher
) -> None:
    mastodon.media_processing_polls = 100
    publisher.media_poll_attempts = 3
    video = (memory_media(MP4, "video/mp4", "b.mp4"),)
    with pytest.raises(Unavailable, match="still processing"):
        await publisher.publish(request_for(account(mastodon), media=video))
    assert mastodon.statuses == []


async def test_fake_rejects_unprocessed_media_and_long_text(
    mastodon: FakeMastodon, http: aiohttp.ClientSession
) -> None:
    headers = {"Authorization": "Bearer good-token"}
    form = aiohttp.FormData()
    form.add_field("file", MP4, filename="v.mp4", content_type="video/mp4")
    async with http.post(mastodon.url + "/api/v2/media", data=form, headers=headers) as resp:
        assert resp.status == 202
        media = await resp.json()
    assert media["url"] is None
    body = {"status": "x", "media_ids": [media["id"]]}
    async with http.post(mastodon.url + "/api/v1/statuses", json=body, headers=headers) as resp:
        assert resp.status == 422
        assert "finished processing" in (await resp.json())["error"]
    async with http.post(
        mastodon.url + "/api/v1/statuses", json={"status": "x" * 501}, headers=headers
    ) as resp:
        assert resp.status == 422
    async with http.post(mastodon.url + "/api/v1/statuses", json={"status": "x"}) as resp:
        assert resp.status == 401
        assert await resp.json() == {"error": "The access token is invalid"}


async def test_slow_media_is_retried_without_a_second_upload(
    mastodon: FakeMastodon, publisher: MastodonPublisher
) -> None:
    mastodon.media_processing_polls = 5
    publisher.media_poll_attempts = 2
    video = (memory_media(MP4, "video/mp4", "b.mp4"),)
    request = request_for(account(mastodon), media=video)
    with pytest.raises(Unavailable, match="still processing") as caught:
        await publisher.publish(request)
    assert caught.value.retry
    # The queue's later tries find the same file, still processing, then ready.
    with pytest.raises(Unavailable):
        await publisher.publish(request)
    receipt = await publisher.publish(request)
    assert mastodon.uploads() == 1
    [status] = mastodon.statuses
    assert receipt.remote_id == status["id"]
    assert [m["id"] for m in status["media_attachments"]] == list(mastodon.media)
    # A later post with the same file is a new destination: it uploads its own copy.
    mastodon.media_processing_polls = 0
    await publisher.publish(request_for(account(mastodon), media=video, key="other"))
    assert mastodon.uploads() == 2


async def test_a_file_the_instance_lost_is_uploaded_again(
    mastodon: FakeMastodon, publisher: MastodonPublisher
) -> None:
    mastodon.media_processing_polls = 5
    publisher.media_poll_attempts = 1
    request = request_for(account(mastodon), media=(memory_media(MP4, "video/mp4", "b.mp4"),))
    with pytest.raises(Unavailable):
        await publisher.publish(request)
    mastodon.media.clear()  # the instance removed the unattached file
    mastodon.media_processing_polls = 0
    await publisher.publish(request)
    assert mastodon.uploads() == 2
    assert len(mastodon.statuses) == 1


async def test_alt_text_is_the_media_description(
    mastodon: FakeMastodon, publisher: MastodonPublisher
) -> None:
    image = replace(memory_media(PNG, "image/png", "a.png"), alt="A red door")
    await publisher.publish(request_for(account(mastodon), media=(image,)))
    assert mastodon.statuses[0]["media_attachments"][0]["description"] == "A red door"
    too_long = replace(image, alt="x" * 1501)
    [problem] = publisher.validate(request_for(account(mastodon), media=(too_long,)))
    assert "1500" in problem.message
