"""Fake outside services for tests: small aiohttp servers that answer like the real APIs."""

from tests.fakes.base import FakeServer, Recorded
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.webhook_receiver import FakeWebhookReceiver

__all__ = ["FakeMastodon", "FakeServer", "FakeWebhookReceiver", "Recorded"]
