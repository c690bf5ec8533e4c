"""LinkedIn and Facebook Page video: what validate refuses, and how failures are classified."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import aiohttp
import pytest

from publishers.base import Account, Media
from publishers.errors import Ambiguous, ContentRejected, Unavailable
from publishers.facebook import FacebookPublisher
from publishers.linkedin import LinkedInPublisher
from scheduler.media.limits import shape_problems
from tests.fakes.facebook import FakeGraph
from tests.fakes.linkedin import FakeLinkedIn
from tests.publishers.helpers import BIG_MP4, MP4, PNG, memory_media, request_for


@pytest.fixture
async def linkedin() -> AsyncIterator[FakeLinkedIn]:
    fake = FakeLinkedIn()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    fake = FakeGraph()
    await fake.start()
    yield fake
    await fake.stop()


def li_account(fake: FakeLinkedIn) -> Account:
    author = {"author": f"urn:li:organization:{fake.org_id}", "web_url": fake.url}
    return Account("acc-li", "linkedin", "acme-corp", "li-token", fake.url, author)


def fb_account(fake: FakeGraph) -> Account:
    return Account("acc-fb", "facebook", "acme", fake.page_token, fake.url, {"page_id": "1001"})


def li_video(**changes: object) -> Media:
    return replace(memory_media(BIG_MP4, "video/mp4", "clip.mp4", chunk=1 << 20), **changes)  # type: ignore[arg-type]


def fb_video(**changes: object) -> Media:
    made = memory_media(MP4, "video/mp4", "clip.mp4", url="https://cdn.test/clip.mp4")
    return replace(made, **changes)  # type: ignore[arg-type]


def messages(publisher: LinkedInPublisher | FacebookPublisher, *media: Media) -> list[str]:
    account = Account("a", publisher.platform, "acme", "")
    request = request_for(account, media=media)
    return [p.message for p in publisher.validate(request) + shape_problems(publisher, request)]


def test_linkedin_validate_video(http: aiohttp.ClientSession) -> None:
    publisher = LinkedInPublisher(http)
    assert messages(publisher, li_video(duration=60.0)) == []
    assert messages(publisher, li_video(size=70 * 1024)) == [
        "LinkedIn takes videos of 75 KB or more"
    ]
    assert any("limit" in m for m in messages(publisher, li_video(size=501 * 1024 * 1024)))
    mixed = messages(publisher, li_video(), memory_media(PNG, "image/png"))
    assert "LinkedIn takes one video per post, without images" in mixed
    assert any(
        "video/quicktime" in m
        for m in messages(publisher, li_video(content_type="video/quicktime"))
    )
    assert any("30 min 0 s" in m for m in messages(publisher, li_video(duration=1801.0)))
    assert any("at least" in m for m in messages(publisher, li_video(duration=2.0)))


def test_facebook_validate_video(http: aiohttp.ClientSession) -> None:
    publisher = FacebookPublisher(http)
    assert messages(publisher, fb_video(duration=600.0)) == []
    assert messages(publisher, fb_video(content_type="video/quicktime")) == []
    mixed = messages(publisher, fb_video(), memory_media(PNG, "image/png"))
    assert "Facebook takes one video per post, without photos" in mixed
    assert any("limit" in m for m in messages(publisher, fb_video(size=(1 << 30) + 1)))
    assert any("20 min 0 s" in m for m in messages(publisher, fb_video(duration=1201.0)))


async def test_linkedin_processing_failure_is_content_rejected(
    http: aiohttp.ClientSession, linkedin: FakeLinkedIn
) -> None:
    publisher = LinkedInPublisher(http, timeout=2.0)
    publisher.media_poll_interval = 0.01
    linkedin.fail_video_processing = True
    with pytest.raises(ContentRejected) as caught:
        await publisher.publish(request_for(li_account(linkedin), media=(li_video(),)))
    assert "Video format is not supported" in caught.value.message
    assert linkedin.posts == []
    [finalize] = [r for r in linkedin.requests if r.query.get("action") == "finalizeUpload"]
    etags = [r for r in linkedin.requests if r.method == "PUT"]
    assert len(etags) == 3
    request = finalize.json["finalizeUploadRequest"]
    assert request["uploadToken"]
    assert len(request["uploadedPartIds"]) == 3


async def test_linkedin_slow_processing_is_retried_later(
    http: aiohttp.ClientSession, linkedin: FakeLinkedIn
) -> None:
    publisher = LinkedInPublisher(http, timeout=2.0)
    publisher.media_poll_interval = 0.01
    linkedin.video_processing_polls = 50
    publisher.media_poll_attempts = 2
    with pytest.raises(Unavailable) as caught:
        await publisher.publish(request_for(li_account(linkedin), media=(li_video(),)))
    assert "still processing" in caught.value.message
    assert linkedin.posts == []


async def test_facebook_video_needs_a_url(http: aiohttp.ClientSession, graph: FakeGraph) -> None:
    publisher = FacebookPublisher(http, timeout=2.0)
    no_url = memory_media(MP4, "video/mp4", "clip.mp4")
    with pytest.raises(ContentRejected):
        await publisher.publish(request_for(fb_account(graph), media=(no_url,)))
    assert graph.posts == []


async def test_facebook_video_after_an_ambiguous_answer_is_found(
    http: aiohttp.ClientSession, graph: FakeGraph
) -> None:
    publisher = FacebookPublisher(http, timeout=2.0)
    request = request_for(fb_account(graph), media=(fb_video(),))
    graph.fail_next("500_after_create")
    with pytest.raises(Ambiguous):
        await publisher.publish(request)
    found = await publisher.find_existing(request)
    assert found is not None
    assert found.remote_id == graph.posts[0]["id"]
    receipt = await publisher.publish(request)  # a resend finds it instead of posting again
    assert receipt.remote_id == graph.posts[0]["id"]
    assert len(graph.posts) == 1
