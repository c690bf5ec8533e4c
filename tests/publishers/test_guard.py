"""Outbound requests reach public addresses only, unless the operator allows private ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

from publishers import guard
from publishers.errors import AuthRevoked
from publishers.http import exchange
from scheduler.hooks.callbacks import _send
from scheduler.runtime import open_runtime, operator_urls
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.webhook_receiver import FakeWebhookReceiver
from tests.support import make_settings

TIMEOUT = aiohttp.ClientTimeout(total=5)


@pytest.mark.parametrize(
    ("host", "public"),
    [
        ("8.8.8.8", True),
        ("2001:4860:4860::8888", True),
        ("127.0.0.1", False),
        ("::1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),  # multicast
        ("::ffff:127.0.0.1", False),  # IPv4-mapped loopback
        ("fe80::1%eth0", False),
        ("not-an-ip", False),
    ],
)
def test_public_addresses(host: str, public: bool) -> None:
    assert guard.is_public(host) is public


async def _get(url: str, **rule: Any) -> int:
    """GET ``url`` through a connector made with ``rule``; the status."""
    async with aiohttp.ClientSession(connector=guard.connector(limit=10, **rule)) as http:
        answer = await exchange(http, "GET", url, client_timeout=TIMEOUT, label="Mastodon")
    return answer.status


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_a_private_server_is_refused_before_anything_is_sent(
    mastodon: FakeMastodon, host: str
) -> None:
    port = mastodon.url.rsplit(":", 1)[1]
    url = f"http://{host}:{port}/api/v1/statuses"
    with pytest.raises(AuthRevoked, match=guard.GENERIC):
        await _get(url, allow_private=False)
    assert mastodon.requests == []
    assert await _get(url, allow_private=True) < 500
    assert len(mastodon.requests) == 1


def test_production_refuses_private_addresses_unless_told(tmp_path: Path) -> None:
    assert make_settings(tmp_path).private_urls_allowed  # tests and development
    assert not make_settings(tmp_path, outpost_env="production").private_urls_allowed
    told = make_settings(tmp_path, outpost_env="production", allow_private_urls=True)
    assert told.private_urls_allowed


async def test_a_callback_to_a_private_address_says_why(
    tmp_path: Path, receiver: FakeWebhookReceiver
) -> None:
    settings = make_settings(tmp_path, allow_private_urls=False)
    async with open_runtime(settings) as rt:
        status, reason = await _send(rt, receiver.url + "/hook", {}, b"{}")
    assert status == 0
    assert guard.GENERIC in reason
    assert receiver.requests == []


@pytest.mark.parametrize("trusted_host", ["localhost", "127.0.0.1"])
async def test_the_operators_own_services_may_be_private(
    mastodon: FakeMastodon, trusted_host: str
) -> None:
    port = mastodon.url.rsplit(":", 1)[1]
    base = f"http://{trusted_host}:{port}"
    status = await _get(base + "/api/v1/statuses", allow_private=False, trusted_urls=[base])
    assert status < 500
    assert len(mastodon.requests) == 1


def test_the_runtime_trusts_the_services_its_settings_name(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, supabase_url="http://supabase-kong:8000")
    urls = operator_urls(settings)
    assert "http://supabase-kong:8000" in urls
    assert settings.slack_api_url in urls
    assert not any(u.startswith(("postgresql", "redis")) for u in urls)
