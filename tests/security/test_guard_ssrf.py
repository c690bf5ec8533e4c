"""The SSRF guard trusts the operator's configured origins for the operator's calls only.

Found against OUTPOST_ENV=production with PUBLIC_URL (or SLACK_API_URL) on a loopback address:
user URLs spelled ``0x7f000001`` or ``ⓛocalhost`` reached it, another port of the Slack API host
was reachable as a webhook account, and delivery errors told ports apart.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.abc import ResolveResult

from publishers import guard
from publishers.errors import PublishError
from publishers.http import exchange
from scheduler.hooks.callbacks import _send
from scheduler.runtime import Runtime, open_runtime
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.webhook_receiver import FakeWebhookReceiver
from tests.security.conftest import LoopWatchdog
from tests.support import make_settings

TIMEOUT = aiohttp.ClientTimeout(total=5)
LOOPBACK_SPELLINGS = [
    "0x7f000001",
    "2130706433",
    "0177.0.0.1",
    "127.1",
    "0x7f.1",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "ⓛocalhost",
    "LOCALHOST.",
    "ｌｏｃａｌｈｏｓｔ",
]


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
def test_every_spelling_of_loopback_is_refused_where_it_is_typed(host: str) -> None:
    assert guard.local_host(f"http://{host}:6379/") is not None


@pytest.mark.parametrize(
    ("spelling", "address"),
    [
        ("0x7f000001", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("10.1", "10.0.0.1"),
        ("ⓛocalhost", "localhost"),
        ("Bücher.example.", "xn--bcher-kva.example"),
        ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),
        ("08.1.1.1", "08.1.1.1"),  # not a number in any base: a (bad) name
    ],
)
def test_hosts_are_read_as_a_connection_reads_them(spelling: str, address: str) -> None:
    assert guard.canonical_host(spelling) == address


@pytest.mark.parametrize(
    "address",
    ["2002:7f00:1::", "64:ff9b::7f00:1", "2001:0:4136:e378:8000:63bf:80ff:fffe", "0x0a000001"],
)
def test_private_addresses_wrapped_in_other_forms_are_not_public(address: str) -> None:
    assert not guard.is_public(address)


def test_a_name_with_one_private_record_among_public_ones_is_refused() -> None:
    found: list[ResolveResult] = [
        _record("93.184.215.14", 443),
        _record("10.0.0.5", 443),
    ]
    with pytest.raises(guard.PrivateAddress):
        guard.Guard().check_resolved("mixed.example", 443, found)
    guard.Guard().check_resolved("public.example", 443, found[:1])


def _record(host: str, port: int) -> ResolveResult:
    return {"hostname": "x", "host": host, "port": port, "family": 2, "proto": 6, "flags": 0}


@pytest.fixture
async def slack_on_loopback(
    tmp_path: Path, mastodon: FakeMastodon
) -> AsyncIterator[tuple[Runtime, FakeMastodon]]:
    """A production-rule runtime whose operator named two loopback services: PUBLIC_URL by
    name and SLACK_API_URL (played by a fake server) by address."""
    settings = make_settings(
        tmp_path,
        allow_private_urls=False,
        public_url="http://localhost:1",
        slack_api_url=mastodon.url + "/api/",
    )
    async with open_runtime(settings) as rt:
        yield rt, mastodon


async def _get(http: aiohttp.ClientSession, url: str) -> int:
    answer = await exchange(http, "GET", url, client_timeout=TIMEOUT, label="Test")
    return answer.status


async def test_the_operators_calls_reach_exactly_the_configured_origin(
    slack_on_loopback: tuple[Runtime, FakeMastodon], receiver: FakeWebhookReceiver
) -> None:
    rt, slack = slack_on_loopback
    assert await _get(rt.operator_http, slack.url + "/api/v1/statuses") < 500
    assert len(slack.requests) == 1
    with pytest.raises(PublishError, match=guard.GENERIC):
        await _get(rt.operator_http, receiver.url + "/other-port")
    assert receiver.requests == []


@pytest.mark.parametrize(
    "spelling", ["127.0.0.1", "0x7f000001", "2130706433", "127.1", "ⓛocalhost"]
)
async def test_a_user_url_at_the_operators_address_is_refused(
    slack_on_loopback: tuple[Runtime, FakeMastodon], spelling: str
) -> None:
    rt, slack = slack_on_loopback
    url = f"http://{spelling}:{_port(slack.url)}/api/v1/statuses"
    status, reason = await _send(rt, url, {}, b"{}")
    assert (status, reason) == (0, f"could not deliver: {guard.GENERIC}")
    assert slack.requests == []


async def test_a_webhook_account_on_another_port_of_the_slack_host_is_refused(
    slack_on_loopback: tuple[Runtime, FakeMastodon], receiver: FakeWebhookReceiver
) -> None:
    rt, _ = slack_on_loopback
    webhook = rt.publishers["webhook"]
    with pytest.raises(PublishError, match=guard.GENERIC):
        await _get(webhook.http, receiver.url + "/hook")
    assert receiver.requests == []
    # Trust does not spread once a localhost name was resolved for a user either.
    await _send(rt, f"http://ⓛocalhost:{_port(receiver.url)}/", {}, b"{}")
    status, _ = await _send(rt, receiver.url + "/hook", {}, b"{}")
    assert status == 0
    assert receiver.requests == []


async def test_delivery_errors_do_not_tell_ports_apart(
    tmp_path: Path, receiver: FakeWebhookReceiver, loop_watchdog: LoopWatchdog
) -> None:
    closed = _port(receiver.url)
    await receiver.stop()  # nothing listens there now: "connection refused" in the old words
    reasons: dict[str, Any] = {}
    for allow in (True, False):
        settings = make_settings(tmp_path, allow_private_urls=allow)
        async with open_runtime(settings) as rt:
            reasons[f"callback {allow}"] = (
                await _send(rt, f"http://127.0.0.1:{closed}/", {}, b"")
            )[1]
            with pytest.raises(PublishError) as caught:
                await _get(rt.http, f"http://127.0.0.1:{closed}/")
            reasons[f"publish {allow}"] = caught.value.message.split(";")[0]
    assert reasons["callback True"] == reasons["callback False"]
    assert reasons["publish True"] == reasons["publish False"] == f"Test: {guard.GENERIC}"
