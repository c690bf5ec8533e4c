"""Every publisher in the registry against its fake: success, each failure, safe retries."""

from __future__ import annotations

import pickle
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import aiohttp
import pytest

from publishers.base import Account, Media, Publisher, Receipt
from publishers.errors import (
    Ambiguous,
    AuthRevoked,
    ContentRejected,
    PublishError,
    RateLimited,
    Unavailable,
)
from publishers.mastodon import MastodonPublisher
from publishers.registry import PUBLISHERS
from tests.fakes import FakeMastodon, FakeServer, FakeWebhookReceiver
from tests.publishers.helpers import MP4, PNG, memory_media, request_for

TIMEOUT = 0.5


@dataclass(frozen=True)
class Network:
    """How to run one network's publisher against its fake."""

    make_fake: Callable[[], FakeServer]
    account: Callable[[FakeServer], Account]
    media: Callable[[], tuple[Media, ...]]
    remote_ids: Callable[[FakeServer], list[str]]
    secret: str
    forbidden: type[PublishError]


def _mastodon_account(fake: FakeServer) -> Account:
    return Account("acc-1", "mastodon", "outpost", "good-token", fake.url)


def _webhook_account(fake: FakeServer) -> Account:
    assert isinstance(fake, FakeWebhookReceiver)
    return Account("acc-2", "webhook", "hook", fake.secret, fake.url + "/hooks/outpost")


NETWORKS: dict[str, Network] = {
    "mastodon": Network(
        make_fake=FakeMastodon,
        account=_mastodon_account,
        media=lambda: (
            memory_media(PNG, "image/png", "a.png"),
            memory_media(MP4, "video/mp4", "b.mp4"),
        ),
        remote_ids=lambda fake: [s["id"] for s in fake.statuses],  # type: ignore[attr-defined]
        secret="good-token",
        forbidden=AuthRevoked,  # the fake's 403 says "outside the authorized scopes"
    ),
    "webhook": Network(
        make_fake=FakeWebhookReceiver,
        account=_webhook_account,
        media=lambda: (memory_media(PNG, "image/png", "a.png", url="https://cdn.test/a.png"),),
        remote_ids=lambda fake: [f"dlv_{i + 1}" for i in range(len(fake.created_keys()))],
        secret=FakeWebhookReceiver().secret,
        forbidden=AuthRevoked,  # a receiver's 403 means it no longer accepts our secret
    ),
}


def test_every_registered_publisher_has_a_contract_entry() -> None:
    assert set(NETWORKS) == set(PUBLISHERS)


@pytest.fixture(params=sorted(NETWORKS))
async def setup(
    request: pytest.FixtureRequest, http: aiohttp.ClientSession
) -> AsyncIterator[tuple[Network, FakeServer, Publisher]]:
    network = NETWORKS[request.param]
    fake = network.make_fake()
    await fake.start()
    publisher = PUBLISHERS[request.param](http, timeout=TIMEOUT)
    if isinstance(publisher, MastodonPublisher):
        publisher.media_poll_interval = 0.01
    yield network, fake, publisher
    await fake.stop()


def _assert_unique(fake: FakeServer) -> None:
    keys = fake.created_keys()
    assert len(keys) == len(set(keys)), f"a post was created twice: {keys}"


async def test_success_without_media(setup: tuple[Network, FakeServer, Publisher]) -> None:
    network, fake, publisher = setup
    receipt = await publisher.publish(request_for(network.account(fake)))
    assert fake.created_keys() == ["post-1:dest-1:r1"]
    assert receipt.remote_id == network.remote_ids(fake)[0]
    assert receipt.url
    assert receipt.url.startswith(fake.url)


async def test_success_with_media(setup: tuple[Network, FakeServer, Publisher]) -> None:
    network, fake, publisher = setup
    media = network.media()
    receipt = await publisher.publish(request_for(network.account(fake), media=media))
    assert receipt.remote_id == network.remote_ids(fake)[0]
    if isinstance(fake, FakeMastodon):
        assert [m["url"] is not None for m in fake.statuses[0]["media_attachments"]] == [True] * 2
        polls = [r for r in fake.requests if r.path.startswith("/api/v1/media/")]
        assert len(polls) == 2  # the video answered 206 once, then 200
    if isinstance(fake, FakeWebhookReceiver):
        assert fake.deliveries[0]["body"]["data"]["media"][0]["url"] == "https://cdn.test/a.png"


FAULTS = [
    # kind, keyword arguments, error class, retry flag, posts created by the failed call
    ("400", {}, ContentRejected, False, 0),
    ("401", {}, AuthRevoked, False, 0),
    ("403", {}, None, False, 0),
    ("429", {"reset": 3.0}, RateLimited, True, 0),
    ("500", {}, Ambiguous, True, 0),
    ("500_after_create", {}, Ambiguous, True, 1),
    ("timeout", {"delay": 2.0}, Ambiguous, True, 1),
    ("drop", {}, Ambiguous, True, 1),
    ("503", {}, Unavailable, True, 0),
]


@pytest.mark.parametrize(
    ("kind", "kw", "error", "retry", "created"), FAULTS, ids=[f[0] for f in FAULTS]
)
async def test_failure_is_classified(
    setup: tuple[Network, FakeServer, Publisher],
    kind: str,
    kw: dict[str, float],
    error: type[PublishError] | None,
    retry: bool,
    created: int,
) -> None:
    network, fake, publisher = setup
    expected = error or network.forbidden
    fake.fail_next(kind, **kw)
    request = request_for(network.account(fake))
    with pytest.raises(PublishError) as caught:
        await publisher.publish(request)
    exc = caught.value
    assert type(exc) is expected
    assert exc.retry is retry
    assert len(fake.created_keys()) == created
    assert network.secret not in str(exc)
    assert network.secret not in repr(exc.args)
    copy = pickle.loads(pickle.dumps(exc))
    assert (type(copy), str(copy), copy.retry) == (type(exc), str(exc), exc.retry)
    if isinstance(exc, RateLimited):
        assert exc.retry_after == pytest.approx(kw["reset"], abs=0.5)
        assert fake.sent_before_reset() == 0
    if isinstance(exc, Ambiguous):
        # The queue resends with the same key: the network must not get a second post.
        receipt: Receipt = await publisher.publish(request)
        assert fake.created_keys() == [request.idempotency_key]
        assert receipt.remote_id == network.remote_ids(fake)[0]
    _assert_unique(fake)


async def test_refused_connection_is_unavailable(
    setup: tuple[Network, FakeServer, Publisher],
) -> None:
    network, fake, publisher = setup
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    account = network.account(fake)
    dead = Account(
        account.account_id,
        account.platform,
        account.handle,
        account.access_token,
        account.base_url.replace(fake.url, f"http://127.0.0.1:{port}"),
    )
    with pytest.raises(Unavailable):
        await publisher.publish(request_for(dead))
    assert fake.created_keys() == []
