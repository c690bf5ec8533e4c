"""Every publisher's ``check`` against its fake: ok, reconnect once the token is revoked,
unreachable when the network is down, and never a post."""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import aiohttp
import pytest

from publishers.base import OK, RECONNECT, UNREACHABLE
from publishers.registry import PUBLISHERS
from tests.fakes import FakeServer
from tests.publishers.test_contract import NETWORKS, TIMEOUT


def _clear_tokens(fake: Any) -> None:
    fake.tokens.clear()


def _set(attr: str, value: object) -> Callable[[Any], None]:
    def revoke(fake: Any) -> None:
        setattr(fake, attr, value)

    return revoke


# How each network's fake revokes the account's credentials; webhooks have nothing to revoke.
REVOKE: dict[str, Callable[[Any], None]] = {
    "linkedin": _clear_tokens,
    "facebook": _clear_tokens,
    "threads": _clear_tokens,
    "mastodon": _clear_tokens,
    "x": _clear_tokens,
    "slack": _clear_tokens,
    "bluesky": lambda fake: fake.revoke(),
    "discord": _set("deleted", True),
    "telegram": _set("token", "999:revoked"),
}
CHECKED = sorted(REVOKE)


def test_every_network_but_webhook_has_a_check() -> None:
    assert set(CHECKED) == set(NETWORKS) - {"webhook"}
    for name in CHECKED:
        assert "probe" in vars(PUBLISHERS[name]), f"{name} has no check of its own"


@pytest.fixture(params=CHECKED)
async def network(request: pytest.FixtureRequest) -> Any:
    fake = NETWORKS[request.param].make_fake()
    await fake.start()
    yield request.param, fake
    await fake.stop()


def _asked(fake: FakeServer) -> list[str]:
    return [f"{r.method} {r.path}" for r in fake.requests if not r.path.startswith("/_fake")]


async def test_check_is_ok_then_reconnect_once_revoked(
    network: tuple[str, FakeServer], http: aiohttp.ClientSession
) -> None:
    name, fake = network
    publisher = PUBLISHERS[name](http, timeout=TIMEOUT)
    account = NETWORKS[name].account(fake)

    healthy = await publisher.check(account)
    assert healthy.status == OK, healthy.reason
    assert _asked(fake), "the check asked the network nothing"

    REVOKE[name](fake)
    revoked = await publisher.check(account)
    assert revoked.status == RECONNECT, revoked.reason
    assert NETWORKS[name].secret not in revoked.reason
    assert fake.created_keys() == []  # a check never posts


async def test_check_of_a_network_that_is_down_is_unreachable(
    network: tuple[str, FakeServer], http: aiohttp.ClientSession
) -> None:
    name, fake = network
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    account = NETWORKS[name].account(fake)
    dead = replace(account, base_url=account.base_url.replace(fake.url, f"http://127.0.0.1:{port}"))
    health = await PUBLISHERS[name](http, timeout=TIMEOUT).check(dead)
    assert health.status == UNREACHABLE, health.reason


async def test_webhook_has_nothing_to_check(http: aiohttp.ClientSession) -> None:
    fake = NETWORKS["webhook"].make_fake()
    await fake.start()
    try:
        health = await PUBLISHERS["webhook"](http).check(NETWORKS["webhook"].account(fake))
        assert health.status == OK
        assert _asked(fake) == []
    finally:
        await fake.stop()
