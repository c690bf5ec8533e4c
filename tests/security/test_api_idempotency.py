"""Issue #23, items 5 and 9: what an ``Idempotency-Key`` keeps. A secret shown by a create is
never stored for replay (the replay is a 409 naming what was made), and a request that fails in
any way releases its key instead of leaving it "in use" for a day."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from scheduler.runtime import Runtime
from storage.db import _plain_dsn
from tests.api.conftest import Api, open_api
from tests.fakes.mastodon import FakeMastodon
from tests.support import TEST_DB


@pytest.fixture
async def api(runtime: Runtime, mastodon: FakeMastodon) -> AsyncIterator[Api]:
    async with open_api(runtime, mastodon) as running:
        yield running


async def stored_answers() -> list[str]:
    conn = await asyncpg.connect(_plain_dsn(TEST_DB))
    try:
        rows = await conn.fetch("SELECT response_body::text AS body FROM api_idempotency_keys")
    finally:
        await conn.close()
    return [r["body"] or "" for r in rows]


CREATES: list[tuple[str, dict[str, Any], str, Any]] = [
    ("/api/v1/tokens", {"name": "ci", "scopes": ["read"]}, "token", lambda b: b["info"]["id"]),
    (
        "/api/v1/hooks",
        {"name": "gh", "verification": "github", "template": "{{ x }}",
         "destinations": ["mastodon"]},
        "secret",
        lambda b: b["hook"]["id"],
    ),
    (
        "/api/v1/accounts",
        {"platform": "webhook", "handle": "zapier", "base_url": "https://hooks.example.com/a"},
        "secret",
        lambda b: b["account"]["id"],
    ),
]  # fmt: skip


@pytest.mark.parametrize(("path", "body", "field", "made"), CREATES)
async def test_a_secret_is_shown_once_and_never_kept_for_replay(
    api: Api, path: str, body: dict[str, Any], field: str, made: Any
) -> None:
    key = {"Idempotency-Key": f"create-{field}-once"}
    status, first, _ = await api.call("POST", path, json=body, headers=key)
    assert status == 201, first
    secret = first[field]
    assert secret
    assert all(secret not in stored for stored in await stored_answers())

    status, again, resp = await api.call("POST", path, json=body, headers=key)
    assert status == 409, again
    assert again["error"]["code"] == "secret_not_replayed"
    assert again["error"]["resource_id"] == made(first)
    assert secret not in json.dumps(again)
    assert resp.headers["Idempotent-Replayed"] == "true"


async def test_creates_without_a_secret_still_replay(api: Api) -> None:
    key = {"Idempotency-Key": "post-1"}
    body = {"request": "tomorrow 9am to mastodon: hi"}
    status, first, _ = await api.call("POST", "/api/v1/posts", json=body, headers=key)
    assert status == 201
    status, again, _ = await api.call("POST", "/api/v1/posts", json=body, headers=key)
    assert (status, again["id"]) == (201, first["id"])
