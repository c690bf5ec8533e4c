"""The fakes themselves: fault rate, rate-limit windows, and running as a separate process."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import aiohttp

from tests.fakes import FakeMastodon

ROOT = Path(__file__).resolve().parents[2]
AUTH = {"Authorization": "Bearer good-token"}


async def post_status(http: aiohttp.ClientSession, url: str, key: str) -> aiohttp.ClientResponse:
    headers = {**AUTH, "Idempotency-Key": key}
    async with http.post(url + "/api/v1/statuses", json={"status": key}, headers=headers) as resp:
        await resp.read()
        return resp


async def test_rate_limit_window_counts_impolite_clients(
    mastodon: FakeMastodon, http: aiohttp.ClientSession
) -> None:
    mastodon.fail_next("429", reset=5.0)
    first = await post_status(http, mastodon.url, "a")
    assert first.status == 429
    assert first.headers["X-RateLimit-Remaining"] == "0"
    assert first.headers["X-RateLimit-Reset"].endswith("Z")
    again = await post_status(http, mastodon.url, "a")
    assert again.status == 429
    assert mastodon.sent_before_reset() == 1
    assert mastodon.statuses == []


async def test_fault_rate_and_latency(mastodon: FakeMastodon, http: aiohttp.ClientSession) -> None:
    mastodon.fault_rate = 1.0
    mastodon.fault_kinds = ("500_after_create",)
    resp = await post_status(http, mastodon.url, "a")
    assert resp.status == 500
    assert mastodon.created_keys() == ["a"]
    mastodon.fault_rate = 0.0
    mastodon.latency = 0.05
    ok = await post_status(http, mastodon.url, "a")
    assert ok.status == 200
    assert ok.headers["X-RateLimit-Limit"] == "300"
    assert mastodon.created_keys() == ["a"]  # the same key answered the first status


async def test_runs_as_a_process(http: aiohttp.ClientSession) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.fakes.mastodon", "--port", "0",
        cwd=ROOT, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode().split()
        assert line[0] == "READY"
        url = line[1]
        async with http.post(url + "/_fake/faults", json={"kind": "500", "count": 1}) as resp:
            assert resp.status == 200
        async with http.post(url + "/_fake/config", json={"max_characters": 10}) as resp:
            assert resp.status == 200
        assert (await post_status(http, url, "k1")).status == 500
        assert (await post_status(http, url, "k2")).status == 200
        assert (await post_status(http, url, "k" * 11)).status == 422
        async with http.get(url + "/_fake/state") as resp:
            state = await resp.json()
        assert state["created_keys"] == ["k2"]
        assert [r["json"]["status"] for r in state["requests"]] == ["k1", "k2", "k" * 11]
        assert state["statuses"][0]["url"] == f"{url}/@outpost/{state['statuses'][0]['id']}"
    finally:
        proc.terminate()
        assert await proc.wait() == 0
