"""Idempotency-Key (Stripe's semantics), rate limits per token, body size limits."""

from __future__ import annotations

from datetime import timedelta

import aiohttp

from scheduler.api_tokens import api_store, create_token
from tests.api.conftest import Api, start_api
from tests.helpers import count_rows, team
from webhooks import ApiConfig

BODY = {"request": "tomorrow 9am to mastodon: once"}


async def test_same_key_same_body_returns_the_first_response(api: Api) -> None:
    key = {"Idempotency-Key": "release-42"}
    status, first, _ = await api.call("POST", "/api/v1/posts", json=BODY, headers=key)
    assert status == 201
    status, second, resp = await api.call("POST", "/api/v1/posts", json=BODY, headers=key)
    assert (status, second) == (201, first)
    assert resp.headers["Idempotent-Replayed"] == "true"
    assert await count_rows("scheduled_posts") == 1


async def test_same_key_other_body_is_409(api: Api) -> None:
    key = {"Idempotency-Key": "release-43"}
    assert (await api.call("POST", "/api/v1/posts", json=BODY, headers=key))[0] == 201
    other = {"request": "tomorrow 9am to mastodon: twice"}
    status, answer, _ = await api.call("POST", "/api/v1/posts", json=other, headers=key)
    assert status == 409
    assert answer["error"]["code"] == "idempotency_key_reused"
    # The same key on another route is another request too.
    status, _, _ = await api.call(
        "POST",
        "/api/v1/hooks",
        headers=key,
        json={"name": "h", "verification": "token", "template": "x", "destinations": ["mastodon"]},
    )
    assert status == 409
    assert await count_rows("scheduled_posts") == 1


async def test_errors_are_remembered_and_keys_expire_after_a_day(api: Api) -> None:
    key = {"Idempotency-Key": "bad-one"}
    bad = {"request": "yesterday 9am to mastodon: late"}
    status, first, _ = await api.call("POST", "/api/v1/posts", json=bad, headers=key)
    assert status == 422
    status, again, _ = await api.call("POST", "/api/v1/posts", json=bad, headers=key)
    assert (status, again) == (422, first)
    store = api_store(api.rt)
    ws = api.crew.workspace.id
    now = api.rt.clock.now()
    assert (await store.remember(ws, "bad-one", "other", now)) is not None
    assert await store.remember(ws, "bad-one", "other", now + timedelta(hours=25)) is None
    assert await store.purge_keys(now + timedelta(hours=50)) == 1


async def test_keys_belong_to_a_workspace(api: Api) -> None:
    key = {"Idempotency-Key": "shared-name"}
    assert (await api.call("POST", "/api/v1/posts", json=BODY, headers=key))[0] == 201
    other = await team(api.rt, "globex", mastodon_url="http://127.0.0.1:9")
    token, _ = await create_token(api.rt, other.workspace.id, "t", ["read", "write"])
    status, post, _ = await api.call("POST", "/api/v1/posts", json=BODY, headers=key, token=token)
    assert status == 201, post
    assert await count_rows("scheduled_posts") == 2


async def test_rate_limit_per_token_is_429_with_retry_after(api: Api) -> None:
    server, http, token = await start_api(api.rt, api.crew, ApiConfig(rate_limit=3))
    url = str(server.make_url("/api/v1/posts"))
    try:
        other, _ = await create_token(api.rt, api.crew.workspace.id, "other", ["read"])
        statuses = []
        for _ in range(4):
            async with http.get(url, headers={"Authorization": f"Bearer {token}"}) as resp:
                statuses.append(resp.status)
                answer = await resp.json()
        assert statuses == [200, 200, 200, 429]
        assert int(resp.headers["Retry-After"]) >= 1
        assert "More than 3 requests" in answer["error"]["message"]
        async with http.get(url, headers={"Authorization": f"Bearer {other}"}) as resp:
            assert resp.status == 200
    finally:
        await http.close()
        await server.close()


async def test_bodies_over_the_limit_are_413(api: Api) -> None:
    server, http, token = await start_api(
        api.rt, api.crew, ApiConfig(json_limit=1000, media_limit=2000)
    )
    auth = {"Authorization": f"Bearer {token}"}
    try:
        big = {"request": "tomorrow 9am to mastodon: " + "x" * 2000}
        async with http.post(str(server.make_url("/api/v1/posts")), json=big, headers=auth) as r:
            assert r.status == 413
            assert "larger than 1000 bytes" in (await r.json())["error"]["message"]

        async def chunks():  # no Content-Length: the limit holds while streaming
            for _ in range(10):
                yield b"x" * 500

        async with http.post(
            str(server.make_url("/api/v1/posts")),
            data=chunks(),
            headers={**auth, "Content-Type": "application/json"},
        ) as r:
            assert r.status == 413
        upload = aiohttp.FormData()
        upload.add_field("file", b"\x89PNG" + b"0" * 5000, filename="big.png")
        async with http.post(str(server.make_url("/api/v1/media")), headers=auth, data=upload) as r:
            assert r.status == 413, await r.text()
    finally:
        await http.close()
        await server.close()
    assert await count_rows("scheduled_posts") == 0
    assert await count_rows("media_library") == 0
