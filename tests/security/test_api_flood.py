"""Issue #23: a client past its rate limit is answered from memory until its window ends, so a
flood costs the database and Redis nothing (the attack bench's back-to-back client)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from scheduler.api_tokens import create_token, revoke_token
from scheduler.runtime import Runtime
from tests.api.conftest import Api, open_api, start_api
from tests.fakes.mastodon import FakeMastodon
from webhooks import ApiConfig


@pytest.fixture
async def api(runtime: Runtime, mastodon: FakeMastodon) -> AsyncIterator[Api]:
    async with open_api(runtime, mastodon) as running:
        yield running


async def test_past_the_limit_a_token_is_refused_without_a_lookup(api: Api) -> None:
    server, http, _ = await start_api(api.rt, api.crew, ApiConfig(rate_limit=2))
    token, view = await create_token(api.rt, api.crew.workspace.id, "flood", ["read"])
    url = str(server.make_url("/api/v1/posts"))
    auth = {"Authorization": f"Bearer {token}"}
    try:
        statuses = []
        for _ in range(3):
            async with http.get(url, headers=auth) as resp:
                statuses.append(resp.status)
        assert statuses == [200, 200, 429]
        # Neither Redis's counter nor the token's row is read again this window: with both
        # gone, the answer is still the 429 (a lookup would say 401, a fresh count 200).
        await api.rt.redis.flushdb()
        await revoke_token(api.rt, api.crew.workspace.id, view.id)
        async with http.get(url, headers=auth) as resp:
            assert resp.status == 429
            assert int(resp.headers["Retry-After"]) >= 1
        # Another token of the same workspace is not held back.
        other, _ = await create_token(api.rt, api.crew.workspace.id, "other", ["read"])
        async with http.get(url, headers={"Authorization": f"Bearer {other}"}) as resp:
            assert resp.status == 200
    finally:
        await http.close()
        await server.close()
