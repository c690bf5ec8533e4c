"""Issue #23: refusals (401, 413, 429) come after a pause that costs no CPU, so one client
sending bad requests back to back gets a few answers a second, not hundreds."""

from __future__ import annotations

import time

from aiohttp.test_utils import TestClient, TestServer

from app.web import build_app
from core.settings import Settings
from scheduler.runtime import open_runtime
from tests.support import make_settings
from webhooks import setup as api_setup


async def test_a_refusal_is_answered_after_the_pause(settings: Settings) -> None:
    paused = make_settings(settings.data_dir, refusal_delay_seconds=0.3)
    async with (
        open_runtime(paused) as rt,
        TestClient(TestServer(build_app(rt, [api_setup]))) as http,
    ):
        start = time.monotonic()
        resp = await http.get("/api/v1/posts", headers={"Authorization": "Bearer op_nope"})
        refused = time.monotonic() - start
        assert resp.status == 401
    assert refused >= 0.3  # the pause happened (a sleep lasts at least its length)
