"""X specifics: twitter-text conformance, spec-valid requests, chunked media, threads, lookups."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from publishers.base import Account, Receipt
from publishers.errors import AuthRevoked, ContentRejected, DuplicateContent, RateLimited
from publishers.x import XPublisher
from publishers.x_text import V3_CONFIG, comparable, is_valid, split_posts, weighted_length
from tests.fakes.x import SPEC, FakeX, schema_errors
from tests.publishers.helpers import MP4, PNG, memory_media, publish_thread, request_for

CASES = yaml.safe_load((SPEC.parent / "twitter-text-validate.yml").read_text())["tests"]
V2_CONFIG = {**V3_CONFIG, "version": 2, "emoji_parsing_enabled": False}
CONFORMANCE = [
    pytest.param(case, V2_CONFIG if section == "WeightedTweetsCounterTest" else V3_CONFIG,
                 id=f"{section}-{n}")
    for section, cases in CASES.items() for n, case in enumerate(cases)
]  # fmt: skip
LONG = " ".join(
    f"Part {i}: a sentence with a link https://example.com/{i} and 日本語." for i in range(30)
)


@pytest.fixture
async def x() -> AsyncIterator[FakeX]:
    fake = FakeX()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def publisher(http: aiohttp.ClientSession) -> XPublisher:
    pub = XPublisher(http, timeout=0.5)
    pub.media_poll_interval = 0.01
    return pub


def account(fake: FakeX, token: str = "x-user-token", **settings: Any) -> Account:
    return Account("acc-x", "x", "outpost", token, fake.url, settings)


def created(fake: FakeX) -> list[dict[str, Any]]:
    return [r.json for r in fake.requests if r.method == "POST" and r.path == "/2/tweets"]


@pytest.mark.parametrize(("case", "config"), CONFORMANCE)
def test_twitter_text_conformance(case: dict[str, Any], config: dict[str, Any]) -> None:
    assert weighted_length(case["text"], config) == case["expected"]["weightedLength"]
    assert is_valid(case["text"], config) is case["expected"]["valid"]


def test_config_is_the_specs_v3() -> None:
    spec = json.loads((SPEC.parent / "twitter-text-config-v3.json").read_text())
    assert V3_CONFIG["ranges"] == spec["ranges"]
    assert V3_CONFIG["default_weight"] == spec["defaultWeight"]
    assert V3_CONFIG["max_weighted_tweet_length"] == spec["maxWeightedTweetLength"]
    assert V3_CONFIG["transformed_url_length"] == spec["transformedURLLength"]


def test_validate_counts_as_x_does(publisher: XPublisher, x: FakeX) -> None:
    acc = account(x)
    assert publisher.validate(request_for(acc, text="日本語" * 46)) == []  # 276 weighted
    (problem,) = publisher.validate(request_for(acc, text="日本語" * 47))
    assert "282 characters" in problem.message
    assert publisher.validate(request_for(acc, text="https://example.com/" + "a" * 300)) == []
    assert publisher.validate(request_for(acc, text="a" * 400, thread=True)) == []
    assert "refuses" in publisher.validate(request_for(acc, text="bad \ufffe"))[0].message
    video, png = memory_media(MP4, "video/mp4"), memory_media(PNG, "image/png")
    assert "not both" in publisher.validate(request_for(acc, media=(video, png)))[0].message
    gif = memory_media(b"GIF89a" + b"\0" * 10, "image/gif")
    big_gif = type(gif)(**{**gif.__dict__, "size": 10 * 1024 * 1024})
    big_png = type(png)(**{**png.__dict__, "size": 10 * 1024 * 1024})
    assert publisher.validate(request_for(acc, media=(big_gif,))) == []
    assert "limit 5120 KB" in publisher.validate(request_for(acc, media=(big_png,)))[0].message
    tall = type(video)(**{**video.__dict__, "width": 100, "height": 400, "duration": 200.0})
    messages = [p.message for p in publisher.validate(request_for(acc, media=(tall,)))]
    assert any("0.5 to 140 s" in m for m in messages)
    assert any("1:3 to 3:1" in m for m in messages)


async def test_requests_match_the_spec(publisher: XPublisher, x: FakeX) -> None:
    images = (memory_media(PNG, "image/png", "a.png"), memory_media(PNG, "image/png", "b.png"))
    receipt = await publisher.publish(request_for(account(x), media=images))
    await publish_thread(publisher, request_for(account(x), text=LONG, key="k2", thread=True))
    bodies = created(x)
    assert len(bodies) > 3
    for body in bodies:
        assert schema_errors("CreatePostsRequest", body) == []
    assert len(bodies[0]["media"]["media_ids"]) == 2
    uploads = [r for r in x.requests if r.path == "/2/media/upload" and r.method == "POST"]
    assert [u.form["media_category"] for u in uploads] == ["tweet_image"] * 2  # type: ignore[index]
    assert all(r.headers["Authorization"] == "Bearer x-user-token" for r in x.requests)
    assert receipt.url == f"https://x.com/outpost/status/{receipt.remote_id}"


async def test_video_is_chunked_and_awaited(publisher: XPublisher, x: FakeX) -> None:
    x.processing_polls = 3
    data = MP4 * 20_000  # ~5 MB: two append segments
    await publisher.publish(request_for(account(x), media=(memory_media(data, "video/mp4"),)))
    paths = [(r.method, r.path.rsplit("/", 1)[-1], r.query.get("command")) for r in x.requests]
    assert paths[0] == ("POST", "initialize", None)
    assert [p for p in paths if p[1] == "append"] == [("POST", "append", None)] * 2
    assert paths.count(("GET", "upload", "STATUS")) == 3
    assert paths[-1] == ("POST", "tweets", None)
    init = next(r.json for r in x.requests if r.path.endswith("/initialize"))
    assert init == {
        "media_type": "video/mp4",
        "total_bytes": len(data),
        "media_category": "tweet_video",
    }


async def test_failed_processing_is_content_rejected(publisher: XPublisher, x: FakeX) -> None:
    x.processing_polls = 1
    await publisher.publish(request_for(account(x), media=(memory_media(MP4, "video/mp4"),)))
    media_id = next(iter(x.media))
    x.media[media_id].update(state="failed")
    info = {"state": "failed", "error": {"message": "Unsupported codec"}}
    with pytest.raises(ContentRejected, match="Unsupported codec"):
        await publisher._await_processing(account(x), media_id, info)


async def test_thread_is_a_reply_chain(publisher: XPublisher, x: FakeX) -> None:
    receipts = await publish_thread(publisher, request_for(account(x), text=LONG, thread=True))
    bodies = created(x)
    assert all(weighted_length(b["text"]) <= 280 for b in bodies)
    assert "reply" not in bodies[0]
    ids = [p["id"] for p in x.posts]
    assert [b["reply"]["in_reply_to_tweet_id"] for b in bodies[1:]] == ids[:-1]
    assert [r.remote_id for r in receipts] == ids
    assert split_posts(LONG) == [b["text"] for b in bodies]


async def test_errors_are_classified(publisher: XPublisher, x: FakeX) -> None:
    await publisher.publish(request_for(account(x)))
    with pytest.raises(DuplicateContent):
        await publisher.publish(request_for(account(x), key="again"))
    with pytest.raises(AuthRevoked):
        await publisher.publish(request_for(account(x, token="revoked"), text="new"))
    x.fail_next("429", reset=5.0)
    with pytest.raises(RateLimited) as caught:
        await publisher.publish(request_for(account(x), text="later"))
    assert caught.value.retry_after == pytest.approx(5.0, abs=0.6)


async def test_find_existing_reads_recent_posts(publisher: XPublisher, x: FakeX) -> None:
    text = "Launch & news: https://example.com/launch?x=1 <3"
    request = request_for(account(x), text=text, media=(memory_media(PNG, "image/png"),))
    assert await publisher.find_existing(request) is None
    x.fail_next("500_after_create")
    with pytest.raises(Exception):  # noqa: B017, PT011 - classified in test_contract
        await publisher.publish(request)
    assert x.posts[0]["text"] != text  # X echoes t.co links and entities
    found = await publisher.find_existing(request)
    assert isinstance(found, Receipt)
    assert found.remote_id == x.posts[0]["id"]
    assert await publisher.find_existing(request_for(account(x, token="revoked"))) is False
    lookups = [r for r in x.requests if r.path.startswith("/2/users/")]
    assert lookups[-1].path == "/2/users/me"
    fast = await publisher.find_existing(
        request_for(account(x, user_id="1500000000000000001"), text=text)
    )
    assert isinstance(fast, Receipt)


async def test_an_ambiguous_part_is_found_not_resent(publisher: XPublisher, x: FakeX) -> None:
    request = request_for(account(x), text=LONG, thread=True)
    x.fail_next("none")
    x.fail_next("drop")  # part 2 is created, then the connection drops
    with pytest.raises(Exception):  # noqa: B017, PT011 - classified in test_contract
        await publish_thread(publisher, request)
    assert len(x.posts) == 2
    root = Receipt(x.posts[0]["id"])
    part = dataclasses.replace(request, text=split_posts(LONG)[1], thread=False)
    found = await publisher.find_step(part, root)
    assert isinstance(found, Receipt)
    assert found.remote_id == x.posts[1]["id"]
    # The same text answering another post is not this step.
    assert await publisher.find_step(part, Receipt(x.posts[1]["id"])) is None


async def test_a_reply_to_a_missing_post_is_refused(publisher: XPublisher, x: FakeX) -> None:
    with pytest.raises(ContentRejected, match="replying to is gone"):
        await publisher.reply(request_for(account(x), text="hi"), Receipt("1"), Receipt("1"))
    assert x.posts == []


async def test_base_url_comes_from_settings(http: aiohttp.ClientSession, x: FakeX) -> None:
    publisher = XPublisher(http, timeout=0.5)
    acc = Account("acc-x", "x", "outpost", "x-user-token", "", {"api_url": x.url})
    await publisher.publish(request_for(acc))
    assert len(x.posts) == 1
    assert publisher.base(Account("a", "x", "h", "t")) == "https://api.x.com"


def test_comparable_masks_what_x_rewrites() -> None:
    assert comparable("a &amp; b https://t.co/abc https://t.co/m1") == comparable(
        "a & b https://x.io"
    )
    assert Path(SPEC).exists()


async def test_daily_cap_retries_at_the_24_hour_reset(x: FakeX, publisher: XPublisher) -> None:
    x.daily_cap = 1
    x.daily_reset_in = 5 * 3600.0
    await publisher.publish(request_for(account(x), text="First of the day"))
    with pytest.raises(RateLimited) as caught:
        await publisher.publish(request_for(account(x), text="Second of the day"))
    # The 15-minute window still has room; the 24-hour cap's reset is what counts.
    assert caught.value.retry_after == pytest.approx(5 * 3600.0, abs=5.0)
    assert [p["_sent_text"] for p in x.posts] == ["First of the day"]


async def test_alt_text_is_sent_as_media_metadata(x: FakeX, publisher: XPublisher) -> None:
    image = dataclasses.replace(memory_media(PNG, "image/png", "a.png"), alt="A red door")
    await publisher.publish(request_for(account(x), media=(image,)))
    [media_id] = x.posts[0]["media_ids"]
    assert x.media[media_id]["alt_text"] == "A red door"
    calls = [r.json for r in x.requests if r.path == "/2/media/metadata"]
    assert calls == [{"id": media_id, "metadata": {"alt_text": {"text": "A red door"}}}]
    long_alt = dataclasses.replace(image, alt="x" * 1001)
    [problem] = publisher.validate(request_for(account(x), media=(long_alt,)))
    assert "1000" in problem.message
