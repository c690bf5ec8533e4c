"""Bluesky specifics: graphemes, facets in bytes, sessions, record keys, reply chains, video."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest

from publishers import bluesky_text as bt
from publishers.base import Account, Media, Receipt
from publishers.bluesky import BlueskyPublisher
from publishers.errors import ContentRejected, RateLimited, Unavailable
from scheduler.media.limits import shape_problems
from tests.fakes.bluesky import TID, FakeBluesky
from tests.fakes.bluesky_video import FakeBlueskyVideo
from tests.fakes.lexicon import problem
from tests.publishers.helpers import MP4, PNG, memory_media, publish_thread, request_for

LONG = " ".join(f"Part {i} mentions @alice.bsky.social and #launch 🚀 日本語." for i in range(30))


@pytest.fixture
async def pds() -> AsyncIterator[FakeBluesky]:
    fake = FakeBluesky()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def publisher(http: aiohttp.ClientSession) -> BlueskyPublisher:
    return BlueskyPublisher(http, timeout=0.5)


def account(fake: FakeBluesky) -> Account:
    return Account("acc-bs", "bluesky", "@" + fake.handle, fake.password, fake.url)


def writes(fake: FakeBluesky) -> list[dict[str, object]]:
    return [r.json for r in fake.requests if r.path.endswith("putRecord")]


def records(fake: FakeBluesky) -> list[dict[str, Any]]:
    return [r.json["record"] for r in fake.requests if r.path.endswith("putRecord")]


@pytest.mark.parametrize(
    ("text", "graphemes"),
    [
        ("👨‍👩‍👧‍👦", 1),  # one ZWJ family: 7 code points, 25 bytes
        ("🇩🇪🇫🇷", 2),  # two flags
        ("👍🏽", 1),  # skin tone modifier
        ("日本語のテキスト", 8),
        ("https://example.com/a/very/long/path?query=1", 44),  # Bluesky counts URLs in full
        ("é", 1),  # e + combining accent
    ],
)
def test_graphemes(text: str, graphemes: int) -> None:
    assert bt.length(text) == graphemes


def test_validate_limits(publisher: BlueskyPublisher, pds: FakeBluesky) -> None:
    acc = account(pds)
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 25 bytes
    assert "3025 bytes" in publisher.validate(request_for(acc, text=family * 121))[0].message
    assert publisher.validate(request_for(acc, text=family * 120)) == []  # 3000 bytes
    assert publisher.validate(request_for(acc, text="a" * 300)) == []
    assert "301" in publisher.validate(request_for(acc, text="a" * 301))[0].message
    assert publisher.validate(request_for(acc, text="a" * 900, thread=True)) == []
    png = memory_media(PNG, "image/png")
    big = type(png)(**{**png.__dict__, "size": 2_000_001})
    assert publisher.validate(request_for(acc, media=(big,))) != []
    assert publisher.validate(request_for(acc, media=(png,) * 5)) != []


def test_facets_count_bytes() -> None:
    text = "🚀 日本 @alice.bsky.social → https://example.com/x. #ローンチ #1 mail a@b.co"
    spans = {s.kind: s for s in bt.detect(text)}
    raw = text.encode()
    assert raw[spans["mention"].start : spans["mention"].end].decode() == "@alice.bsky.social"
    assert raw[spans["link"].start : spans["link"].end].decode() == "https://example.com/x"
    assert raw[spans["tag"].start : spans["tag"].end].decode() == "#ローンチ"
    assert [s.kind for s in bt.detect(text)] == ["mention", "link", "tag"]


def test_record_keys_are_stable_tids() -> None:
    keys = [bt.record_key("post-1:dest-1:r1", n) for n in range(3)]
    assert all(TID.match(k) for k in keys)
    assert keys[0] == bt.record_key("post-1:dest-1:r1")
    assert len(set(keys)) == 3
    assert bt.record_key("post-1:dest-1:r2") != keys[0]


async def test_post_with_facets_images_and_session(
    publisher: BlueskyPublisher, pds: FakeBluesky
) -> None:
    text = "Hi @alice.bsky.social and @nobody.example.org: https://example.com #launch"
    images = (memory_media(PNG, "image/png", "a.png"),)
    receipt = await publisher.publish(request_for(account(pds), text=text, media=images))
    await publisher.publish(request_for(account(pds), text="second", key="k2"))
    (record, _) = [w["record"] for w in writes(pds)]  # type: ignore[index]
    kinds = [f["features"][0]["$type"].split("#")[1] for f in record["facets"]]  # type: ignore[index]
    assert kinds == ["mention", "link", "tag"]  # the unresolvable mention stays plain text
    assert record["facets"][0]["features"][0]["did"] == pds.known_handles["alice.bsky.social"]  # type: ignore[index]
    assert record["embed"]["images"][0]["alt"] == ""  # type: ignore[index]
    assert [r.path for r in pds.requests].count("/xrpc/com.atproto.server.createSession") == 1
    assert receipt.remote_id == pds.uris()[0]
    assert receipt.url == f"https://bsky.app/profile/{pds.handle}/post/{pds.created_keys()[0]}"
    assert pds.password not in repr(publisher.sessions)


async def test_expired_session_is_refreshed(publisher: BlueskyPublisher, pds: FakeBluesky) -> None:
    await publisher.publish(request_for(account(pds), key="k1"))
    pds.expire_sessions()
    await publisher.publish(request_for(account(pds), key="k2"))
    paths = [r.path.rsplit(".", 1)[-1] for r in pds.requests]
    assert paths.count("refreshSession") == 1
    assert paths.count("createSession") == 1
    pds.refresh.clear()  # a refresh token that expired: log in again with the app password
    pds.expire_sessions()
    await publisher.publish(request_for(account(pds), key="k3"))
    assert [r.path for r in pds.requests].count("/xrpc/com.atproto.server.createSession") == 2
    assert len(pds.created_keys()) == 3


async def test_thread_resumes_without_duplicates(
    publisher: BlueskyPublisher, pds: FakeBluesky
) -> None:
    request = request_for(account(pds), text=LONG, thread=True)
    pds.fail_next("none")
    pds.fail_next("drop")
    with pytest.raises(Exception):  # noqa: B017, PT011 - classified in test_contract
        await publish_thread(publisher, request)
    assert len(pds.created_keys()) == 2
    # The worker kept the root's receipt and sends part 2 again under the same record key.
    first = pds.records[pds.created_keys()[0]]
    root = Receipt(pds.uris()[0], extra={"cid": first["cid"]})
    receipts = await publish_thread(publisher, request, [root])
    parts = bt.split_posts(LONG)
    assert len(pds.created_keys()) == len(parts) == len(set(pds.created_keys()))
    records = [pds.records[k]["value"] for k in pds.created_keys()]
    ref = {"uri": pds.uris()[0], "cid": first["cid"]}
    assert all(r["reply"]["root"] == ref for r in records[1:])
    assert [r["text"] for r in records] == parts
    assert [r.remote_id for r in receipts] == pds.uris()


async def test_rate_limit_reset(publisher: BlueskyPublisher, pds: FakeBluesky) -> None:
    pds.fail_next("429", reset=7.0)
    with pytest.raises(RateLimited) as caught:
        await publisher.publish(request_for(account(pds)))
    assert caught.value.retry_after == pytest.approx(7.0, abs=0.6)


# --- video ---------------------------------------------------------------------------------


@pytest.fixture
async def video(pds: FakeBluesky) -> AsyncIterator[FakeBlueskyVideo]:
    fake = FakeBlueskyVideo(pds)
    await fake.start()
    yield fake
    await fake.stop()


def with_video(publisher: BlueskyPublisher, video: FakeBlueskyVideo) -> BlueskyPublisher:
    publisher.configure(SimpleNamespace(bluesky_video_url=video.url + "/xrpc"))
    publisher.media_poll_interval = 0.01
    return publisher


def clip(**shape: float) -> Media:
    made = memory_media(MP4, "video/mp4", "clip.mp4")
    return replace(made, **shape)  # type: ignore[arg-type]


def test_validate_video(publisher: BlueskyPublisher, pds: FakeBluesky) -> None:
    acc = account(pds)
    png = memory_media(PNG, "image/png")
    assert publisher.validate(request_for(acc, media=(clip(),))) == []
    mixed = publisher.validate(request_for(acc, media=(clip(), png)))
    assert [p.message for p in mixed] == ["Bluesky takes one video per post, without images"]
    assert publisher.validate(request_for(acc, media=(clip(), clip()))) != []
    webm = replace(clip(), content_type="video/webm")
    assert "video/webm" in publisher.validate(request_for(acc, media=(webm,)))[0].message
    big = clip(size=100_000_001)
    assert "limit" in publisher.validate(request_for(acc, media=(big,)))[0].message
    long = request_for(acc, media=(clip(duration=181.0),))
    assert "3 min 0 s" in shape_problems(publisher, long)[0].message
    assert shape_problems(publisher, request_for(acc, media=(clip(duration=180.0),))) == []


async def test_video_goes_through_the_video_service(
    publisher: BlueskyPublisher, pds: FakeBluesky, video: FakeBlueskyVideo
) -> None:
    with_video(publisher, video)
    media = clip(width=1920, height=1080)
    receipt = await publisher.publish(request_for(account(pds), media=(media,)))
    [auth] = [r for r in pds.requests if r.path.endswith("getServiceAuth")]
    assert auth.query["aud"] == pds.did_web()
    assert auth.query["lxm"] == "com.atproto.repo.uploadBlob"
    assert 29 * 60 <= int(auth.query["exp"]) - time.time() <= 30 * 60
    assert auth.headers["Authorization"].startswith("Bearer acc-")  # the session's access JWT
    [upload] = [r for r in video.requests if r.path.endswith("uploadVideo")]
    assert upload.query == {"did": pds.did, "name": "clip.mp4"}
    assert upload.headers["Content-Type"] == "video/mp4"
    assert upload.headers["Authorization"].removeprefix("Bearer ") in pds.service_tokens
    assert upload.body == MP4
    polls = [r for r in video.requests if r.path.endswith("getJobStatus")]
    assert len(polls) == video.processing_polls + 1
    assert all("Authorization" not in r.headers for r in polls)
    assert not [r for r in pds.requests if r.path.endswith("uploadBlob")]  # the service stored it
    record = pds.records[receipt.remote_id.rsplit("/", 1)[1]]["value"]
    assert record["embed"]["$type"] == "app.bsky.embed.video"
    assert record["embed"]["aspectRatio"] == {"width": 1920, "height": 1080}
    assert pds.blobs[record["embed"]["video"]["ref"]["$link"]]["mimeType"] == "video/mp4"


async def test_processed_video_is_reused(
    publisher: BlueskyPublisher, pds: FakeBluesky, video: FakeBlueskyVideo
) -> None:
    with_video(publisher, video)
    first = await publisher.publish(request_for(account(pds), media=(clip(),), key="k1"))
    again = await publisher.publish(request_for(account(pds), text="Again", media=(clip(),),
                                                key="k2"))  # fmt: skip
    jobs = list(video.jobs.values())
    assert [j["state"] for j in jobs] == ["JOB_STATE_COMPLETED", "JOB_STATE_FAILED"]
    assert jobs[1]["error"] == "already_exists"
    blobs = [pds.records[r.remote_id.rsplit("/", 1)[1]]["value"]["embed"]["video"]
             for r in (first, again)]  # fmt: skip
    assert blobs[0] == blobs[1]


async def test_failed_job_is_content_rejected(
    publisher: BlueskyPublisher, pds: FakeBluesky, video: FakeBlueskyVideo
) -> None:
    with_video(publisher, video)
    video.fail_next_job("encoding_failure", "Video could not be encoded")
    with pytest.raises(ContentRejected) as caught:
        await publisher.publish(request_for(account(pds), media=(clip(),)))
    assert "could not be encoded" in caught.value.message
    assert pds.records == {}


async def test_slow_processing_is_retried_later(
    publisher: BlueskyPublisher, pds: FakeBluesky, video: FakeBlueskyVideo
) -> None:
    with_video(publisher, video)
    video.processing_polls = 50
    publisher.media_poll_attempts = 3
    with pytest.raises(Unavailable):
        await publisher.publish(request_for(account(pds), media=(clip(),)))
    assert pds.records == {}


async def test_pds_refuses_a_video_blob_it_does_not_hold(
    http: aiohttp.ClientSession, pds: FakeBluesky
) -> None:
    """The fake PDS validates the embed against the lexicons, blob included."""
    session = await BlueskyPublisher(http, timeout=0.5).session(account(pds))
    record = {"$type": "app.bsky.feed.post", "text": "x", "createdAt": "2025-01-01T00:00:00Z",
              "embed": {"$type": "app.bsky.embed.video",
                        "video": {"$type": "blob", "ref": {"$link": "bafyreinope"},
                                  "mimeType": "video/mp4", "size": 10}}}  # fmt: skip
    body = {"repo": session.did, "collection": "app.bsky.feed.post", "record": record}
    headers = {"Authorization": f"Bearer {session.access}"}
    url = f"{pds.url}/xrpc/com.atproto.repo.createRecord"
    async with http.post(url, json=body, headers=headers) as resp:
        assert resp.status == 400
        assert "could not find blob" in (await resp.json())["message"]


@pytest.mark.parametrize(
    ("text", "covered", "uri"),
    [
        ("(see https://example.com/a_(b))", "https://example.com/a_(b)", None),
        ("Read https://example.com.", "https://example.com", None),
        ("Visit example.com", "example.com", "https://example.com"),
        ("🚀 ü example.com, today!", "example.com", "https://example.com"),
        ("Nested https://example.com/((a)) here", "https://example.com/((a))", None),
        ("Wiki https://en.wikipedia.org/wiki/Foo_(bar).", "https://en.wikipedia.org/wiki/Foo_(bar)",
         None),
    ],
)  # fmt: skip
def test_links_follow_blueskys_rich_text_rules(text: str, covered: str, uri: str | None) -> None:
    [span] = bt.detect(text)
    assert span.kind == "link"
    assert text.encode()[span.start : span.end].decode() == covered
    assert span.value == (uri or covered)


def test_no_link_for_unknown_tlds_or_mail() -> None:
    assert bt.detect("notes.notatld and a@b.co") == []


async def test_link_facets_cover_their_links_on_the_pds(
    publisher: BlueskyPublisher, pds: FakeBluesky
) -> None:
    text = "Ünïcode (see https://example.com/a_(b)) https://example.com. and example.com!"
    await publisher.publish(request_for(account(pds), text=text))
    [record] = records(pds)
    uris = [f["features"][0]["uri"] for f in record["facets"]]
    assert uris == ["https://example.com/a_(b)", "https://example.com", "https://example.com"]
    assert pds.facet_mismatches() == []


async def test_alt_text_on_images_and_video(publisher: BlueskyPublisher, pds: FakeBluesky) -> None:
    image = replace(memory_media(PNG, "image/png", "a.png"), alt="A red door")
    await publisher.publish(request_for(account(pds), media=(image,)))
    [record] = records(pds)
    assert record["embed"]["images"][0]["alt"] == "A red door"
    video = replace(memory_media(MP4, "video/mp4", "v.mp4"), alt="x" * 1001)
    [problem] = publisher.validate(request_for(account(pds), media=(video,)))
    assert "1000" in problem.message


async def test_video_alt_text_is_in_the_embed(
    publisher: BlueskyPublisher, pds: FakeBluesky, video: FakeBlueskyVideo
) -> None:
    with_video(publisher, video)
    media = replace(clip(), alt="A cat jumps onto a table")
    assert publisher.validate(request_for(account(pds), media=(media,))) == []
    receipt = await publisher.publish(request_for(account(pds), media=(media,)))
    record = pds.records[receipt.remote_id.rsplit("/", 1)[1]]["value"]
    assert record["embed"]["alt"] == "A cat jumps onto a table"


def test_the_pds_refuses_a_video_alt_over_1000_graphemes() -> None:
    schema = {"type": "ref", "ref": "app.bsky.embed.video"}
    blobs = {"c1": {"mimeType": "video/mp4", "size": 10}}
    video = {"$type": "blob", "ref": {"$link": "c1"}, "mimeType": "video/mp4", "size": 10}
    assert problem({"video": video, "alt": "é" * 1000}, schema, "embed", "", blobs) is None
    refused = problem({"video": video, "alt": "é" * 1001}, schema, "embed", "", blobs)
    assert refused is not None
    assert "1000 graphemes" in refused
