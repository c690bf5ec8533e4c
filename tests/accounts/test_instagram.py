"""Instagram through the contract's faults: it needs media, so it runs here with media."""

from __future__ import annotations

import pickle
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from publishers.base import Account, PublishRequest
from publishers.errors import AuthRevoked, PublishError, RateLimited
from publishers.instagram import InstagramPublisher
from tests.fakes.facebook import FakeGraph
from tests.publishers.helpers import MP4, request_for
from tests.publishers.helpers import memory_media as media
from tests.publishers.test_contract import FAULTS

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


@pytest.fixture
async def setup() -> AsyncIterator[tuple[FakeGraph, InstagramPublisher, Account]]:
    fake = FakeGraph()
    await fake.start()
    async with aiohttp.ClientSession() as http:
        publisher = InstagramPublisher(http, timeout=0.5)
        publisher.container_poll_interval = 0.01
        settings = {"ig_user_id": fake.ig_id, "page_id": fake.page_id}
        yield (
            fake,
            publisher,
            Account("acc-ig", "instagram", "acme.corp", "page-token", fake.url, settings),
        )
    await fake.stop()


def _request(account: Account, n: int = 1) -> PublishRequest:
    files = [media(JPEG, "image/jpeg", "a.jpg", url="https://cdn.test/a.jpg")]
    files.append(media(MP4, "video/mp4", "b.mp4", url="https://cdn.test/b.mp4"))
    return request_for(account, media=tuple(files[:n]))


async def test_single_image_and_carousel(
    setup: tuple[FakeGraph, InstagramPublisher, Account],
) -> None:
    fake, publisher, account = setup
    receipt = await publisher.publish(_request(account))
    assert receipt.remote_id == fake.posts[0]["id"]
    assert receipt.url
    assert receipt.url.startswith(fake.url)
    carousel = await publisher.publish(
        _request(account, 2).__class__(
            **{**_request(account, 2).__dict__, "text": "Album", "idempotency_key": "k2"}
        )
    )
    assert carousel.remote_id == fake.posts[1]["id"]
    containers = [r for r in fake.requests if r.path.endswith("/media") and r.method == "POST"]
    assert [c.form and c.form.get("is_carousel_item") for c in containers[1:3]] == ["true"] * 2
    assert containers[3].form
    assert containers[3].form["media_type"] == "CAROUSEL"
    polls = [r for r in fake.requests if r.query.get("fields") == "status_code"]
    assert len(polls) >= 4  # every container was waited for


def test_validate_refuses_what_instagram_would() -> None:
    account = Account("a", "instagram", "acme", "", "", {})
    publisher = InstagramPublisher.__new__(InstagramPublisher)
    problems = [str(p) for p in publisher.validate(request_for(account))]
    assert any("at least one photo" in p for p in problems)
    wide = media(JPEG, "image/jpeg", url="u").__class__(
        **{**media(JPEG, "image/jpeg", url="u").__dict__, "width": 3000, "height": 1000}
    )
    png = media(JPEG, "image/png", url="u")
    problems = [str(p) for p in publisher.validate(request_for(account, media=(wide, png)))]
    assert any("aspect ratio" in p for p in problems)
    assert any("image/png" in p for p in problems)


@pytest.mark.parametrize(
    ("kind", "kw", "error", "retry", "created"), FAULTS, ids=[f[0] for f in FAULTS]
)
async def test_faults(
    setup: tuple[FakeGraph, InstagramPublisher, Account],
    kind: str,
    kw: dict[str, Any],
    error: type[PublishError] | None,
    retry: bool,
    created: int,
) -> None:
    fake, publisher, account = setup
    fake.fail_next(kind, **kw)
    request = _request(account)
    with pytest.raises(PublishError) as caught:
        await publisher.publish(request)
    exc = caught.value
    assert type(exc) is (error or AuthRevoked)
    assert exc.retry is retry
    assert len(fake.created_keys()) == created
    assert "page-token" not in str(exc)
    assert "page-token" not in repr(exc.args)
    assert type(pickle.loads(pickle.dumps(exc))) is type(exc)
    if isinstance(exc, RateLimited):
        assert exc.retry_after == pytest.approx(kw["reset"], abs=0.5)
    if exc.retry and not isinstance(exc, RateLimited):
        receipt = await publisher.publish(request)
        assert fake.created_keys() == [request.idempotency_key]
        assert receipt.remote_id == fake.posts[0]["id"]


async def test_text_only_post_is_refused_when_scheduled(
    setup: tuple[FakeGraph, InstagramPublisher, Account],
) -> None:
    from publishers.registry import PUBLISHERS

    fake, publisher, account = setup
    assert PUBLISHERS["instagram"] is InstagramPublisher
    problems = publisher.validate(request_for(account))
    assert any("photo or video" in p.message for p in problems)
    assert fake.requests == []  # validation is pure: nothing reached the network
