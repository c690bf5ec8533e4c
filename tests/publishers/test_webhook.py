"""Webhook specifics: payload shape, headers, receipts, secrets."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import aiohttp
import pytest

from publishers import signing
from publishers.base import Account
from publishers.errors import AuthRevoked
from publishers.webhook import WebhookPublisher
from tests.fakes import FakeWebhookReceiver
from tests.publishers.helpers import PNG, memory_media, request_for

FIXED = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


def account(fake: FakeWebhookReceiver, secret: str | None = None) -> Account:
    return Account("acc-2", "webhook", "hook", secret or fake.secret, fake.url + "/in")


async def test_payload_and_headers(
    receiver: FakeWebhookReceiver, http: aiohttp.ClientSession
) -> None:
    pub = WebhookPublisher(http, timeout=0.5)
    media = (
        memory_media(PNG, "image/png", "a.png", url="https://cdn.test/a.png"),
        memory_media(b"%PDF", "application/pdf", "b.pdf"),
    )
    request = request_for(account(receiver), media=media)
    assert pub.validate(request) == []
    receipt = await pub.publish(request)
    assert (receipt.remote_id, receipt.url) == ("dlv_1", receiver.url + "/deliveries/1")
    rec = receiver.requests[0]
    assert rec.path == "/in"
    assert rec.headers["webhook-id"] == request.idempotency_key
    assert rec.headers["Content-Type"] == "application/json"
    assert abs(int(rec.headers["webhook-timestamp"]) - datetime.now(UTC).timestamp()) < 5
    payload = json.loads(rec.body)
    assert payload["type"] == "post.published"
    assert payload["data"]["post_id"] == "post-1"
    assert payload["data"]["destination_id"] == "dest-1"
    assert payload["data"]["text"] == "Hello from Outpost"
    first, second = payload["data"]["media"]
    assert first == {
        "url": "https://cdn.test/a.png",
        "content_type": "image/png",
        "size": len(PNG),
        "sha256": media[0].sha256,
        "alt": "",
    }
    assert second["url"] is None
    assert receiver.deliveries[0]["webhook_id"] == request.idempotency_key


async def test_injected_clock_sets_both_timestamps(http: aiohttp.ClientSession) -> None:
    fake = FakeWebhookReceiver()
    fake.tolerance = 10**10  # the fixed clock is far from the receiver's wall clock
    await fake.start()
    try:
        pub = WebhookPublisher(http)
        pub.now = lambda: FIXED
        await pub.publish(request_for(account(fake)))
    finally:
        await fake.stop()
    rec = fake.requests[0]
    assert rec.headers["webhook-timestamp"] == str(int(FIXED.timestamp()))
    assert json.loads(rec.body)["timestamp"] == "2026-03-04T05:06:07Z"


async def test_receipt_falls_back_to_webhook_id(
    receiver: FakeWebhookReceiver, http: aiohttp.ClientSession
) -> None:
    receiver.reply_with_id = False
    receipt = await WebhookPublisher(http).publish(request_for(account(receiver)))
    assert (receipt.remote_id, receipt.url) == ("post-1:dest-1:r1", None)


async def test_raw_secret_is_accepted(http: aiohttp.ClientSession) -> None:
    fake = FakeWebhookReceiver(secret="a-plain-shared-secret")
    await fake.start()
    try:
        await WebhookPublisher(http).publish(request_for(account(fake)))
    finally:
        await fake.stop()
    assert len(fake.deliveries) == 1


async def test_wrong_secret_is_auth_revoked(
    receiver: FakeWebhookReceiver, http: aiohttp.ClientSession
) -> None:
    other = signing.generate_secret()
    with pytest.raises(AuthRevoked) as caught:
        await WebhookPublisher(http).publish(request_for(account(receiver, other)))
    assert other not in str(caught.value)
    assert len(receiver.rejected) == 1
    assert receiver.deliveries == []
    with pytest.raises(AuthRevoked, match="malformed"):
        await WebhookPublisher(http).publish(request_for(account(receiver, "whsec_***")))


async def test_repeated_delivery_is_acknowledged_once(
    receiver: FakeWebhookReceiver, http: aiohttp.ClientSession
) -> None:
    pub = WebhookPublisher(http)
    first = await pub.publish(request_for(account(receiver)))
    second = await pub.publish(request_for(account(receiver)))
    assert first.remote_id == second.remote_id
    assert len(receiver.deliveries) == 1
    assert len(receiver.requests) == 2
