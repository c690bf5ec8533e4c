"""Every publisher in the registry against its fake: success, each failure, safe retries."""

from __future__ import annotations

import pickle
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest

from publishers.base import Account, Media, Publisher, PublishRequest, Receipt
from publishers.bluesky_text import record_key
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
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.bluesky_video import FakeBlueskyVideo
from tests.fakes.discord import FakeDiscord
from tests.fakes.facebook import FakeGraph
from tests.fakes.linkedin import FakeLinkedIn
from tests.fakes.slack import FakeSlack
from tests.fakes.telegram import TOKEN as TELEGRAM_TOKEN
from tests.fakes.telegram import FakeTelegram
from tests.fakes.threads import FakeThreads
from tests.fakes.x import FakeX
from tests.publishers.helpers import BIG_MP4, MP4, PNG, memory_media, request_for

# Long enough for a fake to read, check and record a request on a busy machine before the
# client gives up (a "timeout" fault must find the post created); the fault waits longer.
TIMEOUT = 1.5


@dataclass(frozen=True)
class Network:
    """How to run one network's publisher against its fake."""

    make_fake: Callable[[], FakeServer]
    account: Callable[[FakeServer], Account]
    media: Callable[[], tuple[Media, ...]]
    remote_ids: Callable[[FakeServer], list[str]]
    secret: str
    forbidden: type[PublishError]
    # What the fake's created_keys() holds for a request (networks without keys: the text).
    created_key: Callable[[PublishRequest], str] = lambda r: r.idempotency_key
    url_prefix: Callable[[FakeServer], str] = lambda fake: fake.url
    # Networks that renew a refused session and then succeed; this makes the fake refuse all.
    refuse_renewal: Callable[[FakeServer], None] | None = None
    # Networks whose video takes its own path: the request's media, a second service it needs
    # (and the settings pointing at it), and what the created post must show.
    video: Callable[[], tuple[Media, ...]] | None = None
    video_service: Callable[[FakeServer], FakeServer] | None = None
    video_settings: Callable[[FakeServer], dict[str, Any]] = lambda service: {}
    video_posted: Callable[[FakeServer], bool] = lambda fake: True


def _mastodon_account(fake: FakeServer) -> Account:
    return Account("acc-1", "mastodon", "outpost", "good-token", fake.url)


def _webhook_account(fake: FakeServer) -> Account:
    assert isinstance(fake, FakeWebhookReceiver)
    return Account("acc-2", "webhook", "hook", fake.secret, fake.url + "/hooks/outpost")


def _linkedin_account(fake: FakeServer) -> Account:
    assert isinstance(fake, FakeLinkedIn)
    author = {"author": f"urn:li:organization:{fake.org_id}", "web_url": fake.url}
    return Account("acc-li", "linkedin", "acme-corp", "li-token", fake.url, author)


def _facebook_account(fake: FakeServer) -> Account:
    assert isinstance(fake, FakeGraph)
    return Account("acc-fb", "facebook", "acme", fake.page_token, fake.url, {"page_id": "1001"})


def _threads_account(fake: FakeServer) -> Account:
    assert isinstance(fake, FakeThreads)
    settings = {"threads_user_id": fake.user_id}
    return Account("acc-th", "threads", "acme.threads", "threads-token", fake.url, settings)


def _x_account(fake: FakeServer) -> Account:
    return Account("acc-x", "x", "outpost", "x-user-token", fake.url)


def _bluesky_account(fake: FakeServer) -> Account:
    assert isinstance(fake, FakeBluesky)
    return Account("acc-bs", "bluesky", fake.handle, fake.password, fake.url)


def _slack_account(fake: FakeServer) -> Account:
    assert isinstance(fake, FakeSlack)
    return Account("acc-sl", "slack", "#launches", "xoxb-good", fake.api_url(),
                   {"channel": "C0LAUNCHES", "team_id": "T0001"})


def _discord_account(fake: FakeServer) -> Account:
    assert isinstance(fake, FakeDiscord)
    return Account("acc-dc", "discord", "#launches", "", fake.url + fake.webhook_path())


def _linkedin_video_posted(fake: FakeServer) -> bool:
    assert isinstance(fake, FakeLinkedIn)
    urn = fake.posts[0]["content"]["media"]["id"]
    parts = [r for r in fake.requests if r.method == "PUT"]
    stored = b"".join(r.body for r in parts)
    return bool(fake.videos[urn]["status"] == "AVAILABLE" and stored == BIG_MP4
                and len(parts) == 3 and "Authorization" not in parts[0].headers)  # fmt: skip


def _facebook_video_posted(fake: FakeServer) -> bool:
    assert isinstance(fake, FakeGraph)
    [made] = [r for r in fake.requests if r.path.endswith("/videos")]
    video = fake.objects[fake.posts[0]["video"]]
    return bool(made.form and made.form["file_url"] == "https://cdn.test/c.mp4"
                and video["description"] == "Hello from Outpost")  # fmt: skip


def _pds(fake: FakeServer) -> FakeBluesky:
    assert isinstance(fake, FakeBluesky)
    return fake


def _bluesky_video_posted(fake: FakeServer) -> bool:
    assert isinstance(fake, FakeBluesky)
    [record] = [r["value"] for r in fake.records.values()]
    embed = record["embed"]
    blob = fake.blobs[embed["video"]["ref"]["$link"]]
    return bool(embed["$type"] == "app.bsky.embed.video" and blob["mimeType"] == "video/mp4")


def _telegram_fake() -> FakeServer:
    fake = FakeTelegram()
    fake.add_chat(-1009876543210, "channel", title="Outpost News", username="outpostnews")
    return fake


def _telegram_account(fake: FakeServer) -> Account:
    settings = {"chat_id": -1009876543210, "username": "outpostnews"}
    return Account("acc-tg", "telegram", "@outpostnews", TELEGRAM_TOKEN, fake.url + "/bot",
                   settings)  # fmt: skip


NETWORKS: dict[str, Network] = {
    "linkedin": Network(
        make_fake=FakeLinkedIn,
        account=_linkedin_account,
        media=lambda: (memory_media(PNG, "image/png", "a.png"), memory_media(PNG, "image/png")),
        remote_ids=lambda fake: [p["id"] for p in fake.posts],  # type: ignore[attr-defined]
        secret="li-token",
        forbidden=AuthRevoked,  # "Not enough permissions": a scope or the admin role is gone
        # 1,000,000-byte reads do not line up with LinkedIn's 4 MB parts.
        video=lambda: (memory_media(BIG_MP4, "video/mp4", "clip.mp4", chunk=1_000_000),),
        video_posted=_linkedin_video_posted,
    ),
    "facebook": Network(
        make_fake=FakeGraph,
        account=_facebook_account,
        media=lambda: (memory_media(PNG, "image/png", "a.png"), memory_media(PNG, "image/png")),
        remote_ids=lambda fake: [p["id"] for p in fake.posts],  # type: ignore[attr-defined]
        secret="page-token",
        forbidden=AuthRevoked,  # Graph code 200: a permission is missing, reconnect
        video=lambda: (memory_media(MP4, "video/mp4", "clip.mp4", url="https://cdn.test/c.mp4"),),
        video_posted=_facebook_video_posted,
    ),
    "threads": Network(
        make_fake=FakeThreads,
        account=_threads_account,
        media=lambda: (
            memory_media(PNG, "image/png", "a.png", url="https://cdn.test/a.png"),
            memory_media(MP4, "video/mp4", "b.mp4", url="https://cdn.test/b.mp4"),
        ),
        remote_ids=lambda fake: [p["id"] for p in fake.posts],  # type: ignore[attr-defined]
        secret="threads-token",
        forbidden=AuthRevoked,  # Graph code 200: a permission is missing, reconnect
    ),
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
    "x": Network(
        make_fake=FakeX,
        account=_x_account,
        media=lambda: (memory_media(PNG, "image/png", "a.png"),),
        remote_ids=lambda fake: [p["id"] for p in fake.posts],  # type: ignore[attr-defined]
        secret="x-user-token",
        forbidden=ContentRejected,  # "not permitted to perform this action": not about tokens
        created_key=lambda r: r.text,  # no idempotency key: the fake records texts
        url_prefix=lambda fake: "https://x.com/outpost/status/",
    ),
    "bluesky": Network(
        make_fake=FakeBluesky,
        account=_bluesky_account,
        media=lambda: (memory_media(PNG, "image/png", "a.png"), memory_media(PNG, "image/png")),
        remote_ids=lambda fake: fake.uris(),  # type: ignore[attr-defined]
        secret=FakeBluesky().password,
        forbidden=AuthRevoked,  # "Bad token scope": the app password lost its rights
        created_key=lambda r: record_key(r.idempotency_key),
        url_prefix=lambda fake: "https://bsky.app/profile/outpost.bsky.social/post/",
        refuse_renewal=lambda fake: fake.revoke(),  # type: ignore[attr-defined]
        video=lambda: (memory_media(MP4, "video/mp4", "clip.mp4"),),
        video_service=lambda pds: FakeBlueskyVideo(_pds(pds)),
        video_settings=lambda svc: {"bluesky_video_url": svc.url + "/xrpc"},
        video_posted=_bluesky_video_posted,
    ),
    "discord": Network(
        make_fake=FakeDiscord,
        account=_discord_account,
        media=lambda: (memory_media(PNG, "image/png", "a.png"), memory_media(MP4, "video/mp4")),
        remote_ids=lambda fake: [m["id"] for m in fake.messages],  # type: ignore[attr-defined]
        secret=FakeDiscord().token,
        forbidden=ContentRejected,  # "Missing Permissions" on the channel: not the token
        created_key=lambda r: r.text,  # no idempotency key: the fake records contents
        url_prefix=lambda fake: "https://discord.com/channels/",
    ),
    "slack": Network(
        make_fake=FakeSlack,
        account=_slack_account,
        media=lambda: (memory_media(PNG, "image/png", "a.png"), memory_media(MP4, "video/mp4")),
        remote_ids=lambda fake: [  # type: ignore[attr-defined]
            m["ts"] for m in fake.messages if m.get("thread_ts") is None
        ],
        secret="xoxb-good",
        forbidden=ContentRejected,  # not_in_channel: invite the app, the token is fine
    ),
    "telegram": Network(
        make_fake=_telegram_fake,
        account=_telegram_account,
        media=lambda: (memory_media(PNG, "image/png", "a.png"), memory_media(MP4, "video/mp4")),
        remote_ids=lambda fake: [  # type: ignore[attr-defined]
            str(m["message_id"]) for m in fake.sent if m["_channel"]
        ],
        secret=TELEGRAM_TOKEN,
        forbidden=AuthRevoked,  # "bot was kicked from the channel chat": re-add the bot
        created_key=lambda r: r.text,  # no idempotency key: the fake records texts
        url_prefix=lambda fake: "https://t.me/outpostnews/",
    ),
}


# Instagram has no text-only posts, so it runs the same FAULTS table with media in
# tests/accounts/test_instagram.py.
MEDIA_ONLY = {"instagram"}


def test_every_registered_publisher_has_a_contract_entry() -> None:
    assert set(NETWORKS) | MEDIA_ONLY == set(PUBLISHERS)


@pytest.fixture(params=sorted(NETWORKS))
async def setup(
    request: pytest.FixtureRequest, http: aiohttp.ClientSession
) -> AsyncIterator[tuple[Network, FakeServer, Publisher]]:
    network = NETWORKS[request.param]
    fake = network.make_fake()
    await fake.start()
    publisher = PUBLISHERS[request.param](http, timeout=TIMEOUT)
    if isinstance(publisher, MastodonPublisher) or hasattr(publisher, "media_poll_interval"):
        publisher.media_poll_interval = 0.01
    yield network, fake, publisher
    await fake.stop()


def _assert_unique(fake: FakeServer) -> None:
    keys = fake.created_keys()
    assert len(keys) == len(set(keys)), f"a post was created twice: {keys}"


async def test_success_without_media(setup: tuple[Network, FakeServer, Publisher]) -> None:
    network, fake, publisher = setup
    request = request_for(network.account(fake))
    receipt = await publisher.publish(request)
    assert fake.created_keys() == [network.created_key(request)]
    assert receipt.remote_id == network.remote_ids(fake)[0]
    assert receipt.url
    assert receipt.url.startswith(network.url_prefix(fake))


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


@pytest.mark.parametrize("name", sorted(n for n, net in NETWORKS.items() if net.video))
async def test_success_with_video(name: str, http: aiohttp.ClientSession) -> None:
    network = NETWORKS[name]
    assert network.video is not None
    fake = network.make_fake()
    await fake.start()
    service = network.video_service(fake) if network.video_service else None
    try:
        if service is not None:
            await service.start()
        publisher = PUBLISHERS[name](http, timeout=TIMEOUT)
        publisher.configure(SimpleNamespace(**network.video_settings(service or fake)))
        for attribute in ("media_poll_interval", "container_poll_interval"):
            if hasattr(publisher, attribute):
                setattr(publisher, attribute, 0.01)
        request = request_for(network.account(fake), media=network.video())
        assert publisher.validate(request) == []
        receipt = await publisher.publish(request)
        assert fake.created_keys() == [network.created_key(request)]
        assert receipt.remote_id == network.remote_ids(fake)[0]
        assert receipt.url
        assert receipt.url.startswith(network.url_prefix(fake))
        assert network.video_posted(fake)
    finally:
        if service is not None:
            await service.stop()
        await fake.stop()


FAULTS = [
    # kind, keyword arguments, error class, retry flag, posts created by the failed call
    ("400", {}, ContentRejected, False, 0),
    ("401", {}, AuthRevoked, False, 0),
    ("403", {}, None, False, 0),
    ("429", {"reset": 3.0}, RateLimited, True, 0),
    ("500", {}, Ambiguous, True, 0),
    ("500_after_create", {}, Ambiguous, True, 1),
    ("timeout", {"delay": 4.0}, Ambiguous, True, 1),
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
    if kind == "401" and network.refuse_renewal is not None:
        # The session is renewed once and the post goes out.
        receipt = await publisher.publish(request)
        assert fake.created_keys() == [network.created_key(request)]
        assert receipt.remote_id == network.remote_ids(fake)[0]
        return
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
    if isinstance(exc, Ambiguous) and publisher.dedupes:
        # The queue resends with the same key: the network must not get a second post.
        receipt: Receipt = await publisher.publish(request)
        assert fake.created_keys() == [network.created_key(request)]
        assert receipt.remote_id == network.remote_ids(fake)[0]
    elif isinstance(exc, Ambiguous):
        # No key to resend with: the scheduler asks the network, and resends only if absent.
        found = await publisher.find_existing(request)
        if found is None:
            assert created == 0
            found = await publisher.publish(request)
        if isinstance(found, Receipt):
            assert fake.created_keys() == [network.created_key(request)]
            assert found.remote_id == network.remote_ids(fake)[0]
        else:
            assert found is False  # reported as "may have been published", never resent
            assert len(fake.created_keys()) == created
    _assert_unique(fake)


@pytest.mark.parametrize("name", sorted(n for n, net in NETWORKS.items() if net.refuse_renewal))
async def test_refused_renewal_is_auth_revoked(name: str, http: aiohttp.ClientSession) -> None:
    network = NETWORKS[name]
    fake = network.make_fake()
    await fake.start()
    try:
        publisher = PUBLISHERS[name](http, timeout=TIMEOUT)
        await publisher.publish(request_for(network.account(fake), key="warm-up"))
        assert network.refuse_renewal is not None
        network.refuse_renewal(fake)
        fake.fail_next("401")
        with pytest.raises(AuthRevoked) as caught:
            await publisher.publish(request_for(network.account(fake)))
        assert network.secret not in str(caught.value)
        assert len(fake.created_keys()) == 1
    finally:
        await fake.stop()


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


# --- What Slack channels, X, Mastodon, Discord, Bluesky, Telegram channels and webhooks refuse
# today (issue #15), against fakes that enforce the platforms' current docs.

Scenario = Callable[[FakeServer, Publisher], Awaitable[None]]


async def _slack_unlisted_app_two_posts_a_minute(fake: FakeServer, pub: Publisher) -> None:
    assert isinstance(fake, FakeSlack)
    fake.add_install("xoxb-oauth", "T0000BETA")  # an OAuth install outside the Marketplace
    account = replace(_slack_account(fake), access_token="xoxb-oauth")
    for key in ("k-1", "k-2"):
        await pub.publish(request_for(account, text=key, key=key))
    assert fake.created_keys() == ["k-1", "k-2"]


async def _slack_channel_name_with_a_file(fake: FakeServer, pub: Publisher) -> None:
    assert isinstance(fake, FakeSlack)
    account = replace(_slack_account(fake), settings={"channel": "#launches"})
    media = (memory_media(PNG, "image/png", "a.png"),)
    await pub.publish(request_for(account, media=media))
    assert [c["channel_id"] for c in fake.calls("files.completeUploadExternal")] == ["C0LAUNCHES"]
    assert len(fake.created_keys()) == 1


async def _x_daily_cap(fake: FakeServer, pub: Publisher) -> None:
    assert isinstance(fake, FakeX)
    fake.daily_cap, fake.daily_reset_in = 1, 7200.0
    await pub.publish(request_for(_x_account(fake), text="one"))
    with pytest.raises(RateLimited) as caught:
        await pub.publish(request_for(_x_account(fake), text="two"))
    assert caught.value.retry_after == pytest.approx(7200.0, abs=5.0)


async def _mastodon_slow_media(fake: FakeServer, pub: Publisher) -> None:
    assert isinstance(fake, FakeMastodon)
    assert isinstance(pub, MastodonPublisher)
    fake.media_processing_polls, pub.media_poll_attempts = 3, 2
    request = request_for(_mastodon_account(fake), media=(memory_media(MP4, "video/mp4"),))
    with pytest.raises(Unavailable):
        await pub.publish(request)
    await pub.publish(request)
    assert fake.uploads() == 1
    assert len(fake.statuses) == 1


async def _discord_unboosted_file_limit(fake: FakeServer, pub: Publisher) -> None:
    assert isinstance(fake, FakeDiscord)
    big = memory_media(PNG + bytes(10 * 1024 * 1024), "image/png", "big.png", chunk=1 << 20)
    request = request_for(_discord_account(fake), media=(big,))
    assert pub.validate(request) != []
    with pytest.raises(ContentRejected):
        await pub.publish(request)
    assert fake.created_keys() == []


async def _bluesky_link_facets(fake: FakeServer, pub: Publisher) -> None:
    assert isinstance(fake, FakeBluesky)
    text = "(see https://example.com/a_(b)) https://example.com. example.com"
    await pub.publish(request_for(_bluesky_account(fake), text=text))
    [record] = [fake.records[k]["value"] for k in fake.created_keys()]
    assert len(record["facets"]) == 3
    assert fake.facet_mismatches() == []


STRICT: dict[str, list[Scenario]] = {
    "slack": [_slack_unlisted_app_two_posts_a_minute, _slack_channel_name_with_a_file],
    "x": [_x_daily_cap],
    "mastodon": [_mastodon_slow_media],
    "discord": [_discord_unboosted_file_limit],
    "bluesky": [_bluesky_link_facets],
}


@pytest.mark.parametrize(
    ("name", "scenario"),
    [(name, s) for name, scenarios in STRICT.items() for s in scenarios],
    ids=[s.__name__.lstrip("_") for scenarios in STRICT.values() for s in scenarios],
)
async def test_what_the_network_refuses_today(
    name: str, scenario: Scenario, http: aiohttp.ClientSession
) -> None:
    fake = NETWORKS[name].make_fake()
    await fake.start()
    try:
        publisher = PUBLISHERS[name](http, timeout=TIMEOUT)
        if isinstance(publisher, MastodonPublisher):
            publisher.media_poll_interval = 0.01
        await scenario(fake, publisher)
        _assert_unique(fake)
    finally:
        await fake.stop()


def _slack_alt(fake: FakeServer) -> list[str]:
    assert isinstance(fake, FakeSlack)
    return [str(f.get("alt_txt")) for f in fake.files.values() if "alt_txt" in f]


def _x_alt(fake: FakeServer) -> list[str]:
    assert isinstance(fake, FakeX)
    return [str(m["alt_text"]) for m in fake.media.values() if "alt_text" in m]


def _mastodon_alt(fake: FakeServer) -> list[str]:
    assert isinstance(fake, FakeMastodon)
    return [str(a["description"]) for a in fake.statuses[0]["media_attachments"]]


def _discord_alt(fake: FakeServer) -> list[str]:
    assert isinstance(fake, FakeDiscord)
    return [str(a.get("description")) for a in fake.messages[0]["attachments"]]


def _bluesky_alt(fake: FakeServer) -> list[str]:
    assert isinstance(fake, FakeBluesky)
    [record] = [fake.records[k]["value"] for k in fake.created_keys()]
    return [str(i["alt"]) for i in record["embed"]["images"]]


def _webhook_alt(fake: FakeServer) -> list[str]:
    assert isinstance(fake, FakeWebhookReceiver)
    return [str(m["alt"]) for m in fake.deliveries[0]["body"]["data"]["media"]]


# Where each network keeps the alt text it was sent (Telegram's Bot API has no such field).
ALT_SEEN: dict[str, Callable[[FakeServer], list[str]]] = {
    "slack": _slack_alt,
    "x": _x_alt,
    "mastodon": _mastodon_alt,
    "discord": _discord_alt,
    "bluesky": _bluesky_alt,
    "webhook": _webhook_alt,
}


@pytest.mark.parametrize("name", sorted(ALT_SEEN))
async def test_alt_text_reaches_the_network(name: str, http: aiohttp.ClientSession) -> None:
    network = NETWORKS[name]
    fake = network.make_fake()
    await fake.start()
    try:
        publisher = PUBLISHERS[name](http, timeout=TIMEOUT)
        image = memory_media(PNG, "image/png", "a.png", url="https://cdn.test/a.png")
        media = (replace(image, alt="A red door on a white wall"),)
        request = request_for(network.account(fake), media=media)
        assert publisher.validate(request) == []
        too_long = replace(media[0], alt="x" * (publisher.max_alt_length + 1))
        assert publisher.validate(request_for(network.account(fake), media=(too_long,))) != []
        await publisher.publish(request)
        assert ALT_SEEN[name](fake) == ["A red door on a white wall"]
    finally:
        await fake.stop()


def test_telegram_has_no_alt_text_field() -> None:
    # Bot API sendPhoto / InputMediaPhoto take no description: nothing to check it against.
    assert PUBLISHERS["telegram"].max_alt_length == 0
