"""Issue #23, items 6 and 8: whoever knows a hook's URL cannot spend its owner's rate limit, and
a captured GitHub delivery cannot be replayed under a new X-GitHub-Delivery."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from scheduler.runtime import Runtime
from tests.api.conftest import Api, open_api, start_api
from tests.api.test_hooks import make_hook, post_hook
from tests.fakes.github import deliver, release_payload
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import count_rows
from webhooks import ApiConfig


@pytest.fixture
async def api(runtime: Runtime, mastodon: FakeMastodon) -> AsyncIterator[Api]:
    async with open_api(runtime, mastodon) as running:
        yield running


async def test_unsigned_floods_do_not_lock_the_owner_out(api: Api) -> None:
    hook, secret = await make_hook(api, "github", events=["release"])
    server, http, _ = await start_api(api.rt, api.crew, ApiConfig(hook_rate_limit=2))
    url = str(server.make_url(f"/hooks/{hook['id']}"))
    forged, _ = deliver("not-the-secret", release_payload())
    statuses = []
    try:
        for _ in range(5):
            _, headers = deliver("not-the-secret", release_payload())
            async with http.post(url, data=forged, headers=headers) as resp:
                statuses.append(resp.status)
        # The owner's signed delivery still goes through, from the same address even.
        body, headers = deliver(secret, release_payload())
        async with http.post(url, data=body, headers=headers) as resp:
            owner = resp.status
    finally:
        await http.close()
        await server.close()
    # The forger is limited on its own budget: 401 while it lasts, then 429.
    assert statuses == [401, 401, 429, 429, 429]
    assert owner == 201
    assert await count_rows("scheduled_posts") == 1


async def test_a_github_body_replayed_with_a_new_delivery_id_is_a_duplicate(api: Api) -> None:
    hook, secret = await make_hook(api, "github", events=["release"])
    body, headers = deliver(secret, release_payload(), delivery="first-delivery")
    status, first = await post_hook(api, hook["id"], body, headers)
    assert status == 201, first

    replayed = {**headers, "X-GitHub-Delivery": "a-new-id-the-attacker-made-up"}
    status, again = await post_hook(api, hook["id"], body, replayed)
    assert status == 200, again
    assert again["status"] == "duplicate"
    assert again["post_id"] == first["post_id"]
    assert await count_rows("scheduled_posts") == 1

    # Another event (another body) with its own id is a new delivery.
    payload = release_payload("v2.0.0", "Outpost 2.0")
    other, headers = deliver(secret, payload, delivery="second-delivery")
    status, answer = await post_hook(api, hook["id"], other, headers)
    assert status == 201, answer
    assert await count_rows("scheduled_posts") == 2


async def test_a_failed_github_delivery_can_be_sent_again_once_fixed(api: Api) -> None:
    hook, secret = await make_hook(api, "github", events=["release"], template="{{ missing }}")
    body, headers = deliver(secret, release_payload(), delivery="d1")
    status, _ = await post_hook(api, hook["id"], body, headers)
    assert status == 422
    await api.call(
        "PATCH", f"/api/v1/hooks/{hook['id']}", json={"template": "{{ release.name }}"}
    )
    # GitHub's "Redeliver" sends the same body and id: it must not count as a replay now.
    status, answer = await post_hook(api, hook["id"], body, headers)
    assert status == 201, answer


@pytest.mark.parametrize("mode", ["github", "standard", "token"])
async def test_an_unsigned_body_is_refused_before_it_is_read(api: Api, mode: str) -> None:
    """Headers that cannot verify are refused from the headers: the sender's megabyte is never
    read (only the first bytes are sent here, so a server that waited would never answer)."""
    hook, _ = await make_hook(api, mode, events=["release"])
    server, http, _ = await start_api(api.rt, api.crew, ApiConfig())
    await http.close()
    try:
        head = (
            f"POST /hooks/{hook['id']} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/json\r\nContent-Length: 900000\r\n\r\n"
        ).encode()
        reader, writer = await asyncio.open_connection(server.host, server.port)
        try:
            writer.write(head + b'{"release": ')
            await writer.drain()
            answer = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        finally:
            writer.close()
    finally:
        await server.close()
    assert answer.split(b" ", 2)[1] == b"401"
    assert await count_rows("scheduled_posts") == 0
