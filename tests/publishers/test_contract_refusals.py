"""What LinkedIn, Instagram, Threads and Facebook refuse today, against fakes written from their
current docs: retired versions, scopes a self-serve app lacks, carousel item types, the daily
publishing limit, Threads' counting and link limit, and alt text in each documented field."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import aiohttp
import pytest

from publishers.base import Account, Media
from publishers.errors import ContentRejected, IntegrationOutdated, RateLimited, Unavailable
from publishers.facebook import FacebookPublisher
from publishers.instagram import InstagramPublisher
from publishers.linkedin import LinkedInPublisher
from publishers.threads import ThreadsPublisher
from tests.fakes.facebook import FakeGraph
from tests.fakes.linkedin import SELF_SERVE, FakeLinkedIn
from tests.fakes.threads import FakeThreads
from tests.publishers.helpers import MP4, PNG, memory_media, publish_thread, request_for


def _alt(media: Media, alt: str) -> Media:
    return Media(media.media_id, media.content_type, media.size, media.sha256, 1080, 1080,
                 filename=media.filename, alt=alt, open=media.open,
                 signed_url=media.signed_url)  # fmt: skip


def _photo(name: str, alt: str = "") -> Media:
    return _alt(memory_media(PNG, "image/jpeg", name, url=f"https://cdn.test/{name}"), alt)


def _video(name: str) -> Media:
    return memory_media(MP4, "video/mp4", name, url=f"https://cdn.test/{name}")


# --- LinkedIn --------------------------------------------------------------------------------


def _member(fake: FakeLinkedIn, token: str = "member-token") -> Account:
    settings = {"author": f"urn:li:person:{fake.person_id}", "web_url": fake.url}
    return Account("acc-li", "linkedin", "ada", token, fake.url, settings)


async def test_linkedin_member_with_self_serve_scopes_posts(http: aiohttp.ClientSession) -> None:
    fake = FakeLinkedIn()
    fake.tokens.add("member-token")
    fake.token_scopes["member-token"] = set(SELF_SERVE)
    await fake.start()
    try:
        receipt = await LinkedInPublisher(http, timeout=2.0).publish(request_for(_member(fake)))
        [post] = fake.posts
        assert receipt.remote_id == post["id"]
        # The default version is one LinkedIn serves on the fake's today (2026-12-07).
        assert {r.headers["LinkedIn-Version"] for r in fake.requests} == {"202603"}
    finally:
        await fake.stop()


async def test_linkedin_retired_version_is_integration_outdated(
    http: aiohttp.ClientSession,
) -> None:
    fake = FakeLinkedIn()
    await fake.start()
    try:
        publisher = LinkedInPublisher(http, timeout=2.0)
        publisher.configure(SimpleNamespace(linkedin_version="202411"))
        fake.tokens.add("member-token")
        fake.token_scopes["member-token"] = set(SELF_SERVE)
        with pytest.raises(IntegrationOutdated) as caught:
            await publisher.publish(request_for(_member(fake)))
        assert "Outpost needs an update for LinkedIn" in caught.value.message
        assert "20241100 is not active" in caught.value.message
        assert caught.value.status == 426
        assert fake.posts == []
    finally:
        await fake.stop()


async def test_linkedin_image_alt_text_goes_in_alt_text(http: aiohttp.ClientSession) -> None:
    fake = FakeLinkedIn()
    fake.tokens.add("member-token")
    fake.token_scopes["member-token"] = set(SELF_SERVE)
    await fake.start()
    try:
        publisher = LinkedInPublisher(http, timeout=2.0)
        publisher.media_poll_interval = 0.01
        media = (_photo("a.jpg", "A red door"), _photo("b.jpg", "A blue door"))
        await publisher.publish(request_for(_member(fake), media=media))
        images = fake.posts[0]["content"]["multiImage"]["images"]
        assert [i["altText"] for i in images] == ["A red door", "A blue door"]
    finally:
        await fake.stop()


# --- Instagram -------------------------------------------------------------------------------


def _ig(fake: FakeGraph) -> Account:
    return Account("acc-ig", "instagram", "acme.corp", fake.page_token, fake.url,
                   {"ig_user_id": fake.ig_id})  # fmt: skip


def _instagram(http: aiohttp.ClientSession) -> InstagramPublisher:
    publisher = InstagramPublisher(http, timeout=2.0)
    publisher.container_poll_interval = 0.01
    return publisher


async def test_instagram_carousel_of_two_photos_and_a_video(http: aiohttp.ClientSession) -> None:
    fake = FakeGraph()
    await fake.start()
    try:
        media = (_photo("a.jpg", "Our new office"), _photo("b.jpg"), _video("c.mp4"))
        request = request_for(_ig(fake), media=media)
        assert _instagram(http).validate(request) == []
        receipt = await _instagram(http).publish(request)
        [post] = fake.posts
        assert receipt.remote_id == post["id"]
        children = [fake.objects[c] for c in post["children"].split(",")]
        assert [c.get("media_type") for c in children] == [None, None, "VIDEO"]
        assert [c["is_carousel_item"] for c in children] == ["true"] * 3
        assert [c.get("alt_text") for c in children] == ["Our new office", None, None]
    finally:
        await fake.stop()


async def test_instagram_video_alone_is_a_reel(http: aiohttp.ClientSession) -> None:
    fake = FakeGraph()
    await fake.start()
    try:
        await _instagram(http).publish(request_for(_ig(fake), media=(_video("c.mp4"),)))
        [made] = [r for r in fake.requests if r.path.endswith("/media") and r.method == "POST"]
        assert made.form is not None
        assert made.form["media_type"] == "REELS"
    finally:
        await fake.stop()


async def test_instagram_daily_limit_waits_until_a_slot_frees(http: aiohttp.ClientSession) -> None:
    fake = FakeGraph()
    fake.publish_limit = 1
    await fake.start()
    try:
        publisher = _instagram(http)
        await publisher.publish(request_for(_ig(fake), media=(_photo("a.jpg"),)))
        with pytest.raises(RateLimited) as caught:
            await publisher.publish(request_for(_ig(fake), "Second", media=(_photo("b.jpg"),)))
        # The first post leaves the rolling 24-hour window a day after it was published.
        assert caught.value.retry_after == pytest.approx(86_400, abs=60)
        assert caught.value.retry is True
        assert len(fake.posts) == 1
    finally:
        await fake.stop()


async def test_instagram_server_error_is_tried_again(http: aiohttp.ClientSession) -> None:
    fake = FakeGraph()
    fake.ig_server_errors = 1
    await fake.start()
    try:
        request = request_for(_ig(fake), media=(_photo("a.jpg"),))
        with pytest.raises(Unavailable) as caught:
            await _instagram(http).publish(request)
        assert caught.value.retry is True
        await _instagram(http).publish(request)
        assert len(fake.posts) == 1
    finally:
        await fake.stop()


async def test_graph_version_past_its_date_is_integration_outdated(
    http: aiohttp.ClientSession,
) -> None:
    fake = FakeGraph()
    fake.today = date(2027, 2, 1)  # v21.0 was served until 2027-01-21
    await fake.start()
    try:
        old = _instagram(http)
        old.configure(SimpleNamespace(graph_api_version="v21.0"))
        with pytest.raises(IntegrationOutdated) as caught:
            await old.publish(request_for(_ig(fake), media=(_photo("a.jpg"),)))
        assert "Outpost needs an update for Instagram" in caught.value.message
        await _instagram(http).publish(request_for(_ig(fake), media=(_photo("a.jpg"),)))
        assert len(fake.posts) == 1
        assert fake.versions_seen[-1] == "v25.0"
    finally:
        await fake.stop()


# --- Threads ---------------------------------------------------------------------------------


def _th(fake: FakeThreads) -> Account:
    return Account("acc-th", "threads", "acme.threads", "threads-token", fake.url,
                   {"threads_user_id": fake.user_id})  # fmt: skip


async def test_threads_130_emoji_split_or_refused_when_scheduled(
    http: aiohttp.ClientSession,
) -> None:
    text = "🚀" * 130  # 130 characters on screen, 520 by Threads' count
    publisher = ThreadsPublisher(http, timeout=2.0)
    [problem] = publisher.validate(request_for(_th(FakeThreads()), text))
    assert "520 characters as Threads counts them" in problem.message
    assert "Threads allows 500" in problem.message
    fake = FakeThreads()
    await fake.start()
    try:
        threaded = request_for(_th(fake), text, thread=True)
        assert publisher.validate(threaded) == []
        receipts = await publish_thread(publisher, threaded)
        assert len(fake.posts) == 2
        # Emoji and ASCII only: Threads' count is the UTF-8 length here.
        assert all(len(p["text"].encode("utf-8")) <= 500 for p in fake.posts)
        assert [r.remote_id for r in receipts] == [p["id"] for p in fake.posts]
    finally:
        await fake.stop()


async def test_threads_six_links_refused_when_scheduled(http: aiohttp.ClientSession) -> None:
    text = " ".join(f"https://example.com/{n}" for n in range(6))
    publisher = ThreadsPublisher(http, timeout=2.0)
    [problem] = publisher.validate(request_for(_th(FakeThreads()), text))
    assert "6 links" in problem.message
    assert "at most 5" in problem.message
    fake = FakeThreads()
    await fake.start()
    try:
        # What Threads answers if such a post were sent anyway.
        with pytest.raises(ContentRejected) as caught:
            await publisher.publish(request_for(_th(fake), text))
        assert "THREADS_API__LINK_LIMIT_EXCEEDED" in caught.value.message
        five = " ".join(f"https://example.com/{n}" for n in range(5))
        await publisher.publish(request_for(_th(fake), five))
        assert len(fake.posts) == 1
    finally:
        await fake.stop()


async def test_threads_sends_alt_text(http: aiohttp.ClientSession) -> None:
    fake = FakeThreads()
    await fake.start()
    try:
        publisher = ThreadsPublisher(http, timeout=2.0)
        publisher.container_poll_interval = 0.01
        media = (_photo("a.jpg", "Team photo"),)
        await publisher.publish(request_for(_th(fake), media=media))
        [made] = [r for r in fake.requests if r.path.endswith("/threads") and r.method == "POST"]
        assert made.form is not None
        assert made.form["alt_text"] == "Team photo"
    finally:
        await fake.stop()


# --- Facebook --------------------------------------------------------------------------------


async def test_facebook_photo_sends_alt_text_custom(http: aiohttp.ClientSession) -> None:
    fake = FakeGraph()
    await fake.start()
    try:
        account = Account("acc-fb", "facebook", "acme", fake.page_token, fake.url,
                          {"page_id": fake.page_id})  # fmt: skip
        media = (_photo("a.jpg", "Our new office"),)
        await FacebookPublisher(http, timeout=2.0).publish(request_for(account, media=media))
        photos = [o for o in fake.objects.values() if o["kind"] == "photo"]
        assert [p["alt_text_custom"] for p in photos] == ["Our new office"]
        assert {r.path.split("/")[1] for r in fake.requests} == {"v25.0"}
    finally:
        await fake.stop()
