"""Issue #23, item 9: inputs that used to be unhandled 500s are a 4xx whose message says what
is wrong, on every API route and hook, and leave nothing behind (no post, no stuck key)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from scheduler.runtime import Runtime
from tests.api.conftest import Api, open_api
from tests.api.test_hooks import make_hook, post_hook
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import count_rows


@pytest.fixture
async def api(runtime: Runtime, mastodon: FakeMastodon) -> AsyncIterator[Api]:
    async with open_api(runtime, mastodon) as running:
        yield running


async def send(api: Api, method: str, path: str, raw: bytes, **headers: str) -> tuple[int, Any]:
    status, body, _ = await api.call(
        method, path, data=raw, headers={"Content-Type": "application/json", **headers}
    )
    return status, body


FIELDS = {"text": "hi", "when": "2030-01-01T09:00:00Z", "destinations": ["mastodon"]}
BAD_URLS = ["http://[::1/", "http://", "https:///path", "http://exa mple.com/", "http://:80/"]


@pytest.mark.parametrize("url", BAD_URLS)
async def test_a_callback_url_that_is_not_an_http_url_is_a_422(api: Api, url: str) -> None:
    for path, body in [
        ("/api/v1/posts", {**FIELDS, "callback_url": url}),
        ("/api/v1/posts", {"request": "tomorrow 9am to mastodon: hi", "callback_url": url}),
        ("/api/v1/callbacks/endpoints", {"url": url}),
        ("/api/v1/hooks", {"name": "h", "verification": "token", "template": "{{ x }}",
                           "destinations": ["mastodon"], "callback_url": url}),
    ]:  # fmt: skip
        status, answer, _ = await api.call("POST", path, json=body)
        assert status == 422, (path, answer)
        assert "callback_url" in answer["error"]["message"] or "url" in answer["error"]["message"]
    assert await count_rows("scheduled_posts") == 0


async def test_a_lone_surrogate_is_a_422_and_does_not_keep_the_key(api: Api) -> None:
    raw = b'{"request": "tomorrow 9am to mastodon: \\ud800"}'
    status, answer = await send(api, "POST", "/api/v1/posts", raw, **{"Idempotency-Key": "k1"})
    assert status == 422, answer
    assert "surrogate" in answer["error"]["message"]
    fixed = json.dumps({"request": "tomorrow 9am to mastodon: hi"}).encode()
    status, answer = await send(api, "POST", "/api/v1/posts", fixed, **{"Idempotency-Key": "k1"})
    assert status == 201, answer


@pytest.mark.parametrize(
    ("raw", "status", "needle"),
    [
        (b'{"request": "tomorrow 9am to mastodon: hi", "n": ' + b"7" * 5000 + b"}", 400,
         "number Python cannot read"),
        (b'{"request": "x", "n": 1e999}', 400, "too large for a double"),
        (b'{"request": "x", "n": NaN}', 400, "NaN is not JSON"),
        (b'{"request": "x", "n": ' + b"[" * 900 + b"]" * 900 + b"}", 400, "nested more than 64"),
        (b'{"request": "x", "n": ' + b"[" * 5000 + b"]" * 5000 + b"}", 400, "nested more than"),
    ],
)  # fmt: skip
async def test_json_python_cannot_hold_is_a_400_saying_why(
    api: Api, raw: bytes, status: int, needle: str
) -> None:
    got, answer = await send(api, "POST", "/api/v1/posts", raw)
    assert got == status, answer
    assert needle in answer["error"]["message"], answer
    hook, secret = await make_hook(api, "token", template="{{ msg }}")
    got, answer = await post_hook(api, hook["id"], raw, {"X-Outpost-Token": secret})
    assert got == status, answer
    assert needle in answer["error"]["message"], answer
    got, answer = await send(
        api, "POST", f"/api/v1/hooks/{hook['id']}/preview", b'{"payload": ' + raw + b"}"
    )
    assert got == status, answer


@pytest.mark.parametrize(
    "timing",
    [
        {"mode": "field", "field": "at"},
        {"mode": "field", "field": "at", "offset_seconds": 31_536_000},
    ],
)
@pytest.mark.parametrize("at", ["9999-12-31T23:59:59+00:00", 253402300799, "2100-01-01T00:00:00Z"])
async def test_far_future_hook_times_are_a_422_with_the_shared_bound(
    api: Api, timing: dict[str, Any], at: Any
) -> None:
    hook, secret = await make_hook(api, "token", template="{{ msg }}", timing=timing)
    body = json.dumps({"msg": "hi", "at": at}).encode()
    status, answer = await post_hook(api, hook["id"], body, {"X-Outpost-Token": secret})
    assert status == 422, answer
    assert "more than ten years ahead" in json.dumps(answer), answer
    status, preview = await send(
        api, "POST", f"/api/v1/hooks/{hook['id']}/preview", b'{"payload": ' + body + b"}"
    )
    assert status == 200, preview
    assert any("ten years" in p for p in preview["problems"]), preview
    assert await count_rows("scheduled_posts") == 0


@pytest.mark.parametrize(
    "query",
    [
        "offset=" + "9" * 5000, "limit=" + "9" * 30, "offset=99999999999999999999999",
        "limit=1e3", "offset=-1", "limit=0x10", "start=99999-01-01T00:00:00Z",
        "start=2026-01-01T00:00:00+99:00", "end=" + "9" * 5000,
    ],
)  # fmt: skip
async def test_list_queries_out_of_range_are_a_422(api: Api, query: str) -> None:
    status, answer, _ = await api.call("GET", f"/api/v1/posts?{query}")
    assert status == 422, (query, answer)
