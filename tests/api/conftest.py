"""Fixtures for the API tests: the app on a real port, a workspace with a token, a worker
that also runs the callback tasks."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from PIL import Image

from app.process import open_process
from app.web import build_app
from core.settings import Settings
from scheduler.api_tokens import create_token
from scheduler.hooks.callbacks import CALLBACK_FUNCTIONS
from scheduler.publishing.tasks import make_worker
from scheduler.runtime import Runtime
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import Team, team
from tests.support import TestClock
from webhooks import ApiConfig, make_setup

CONFIG = ApiConfig(rate_limit=10_000, hook_rate_limit=10_000)


@dataclass
class Api:
    """A running API: base URL, an HTTP session, and one workspace's read+write token."""

    url: str
    http: aiohttp.ClientSession
    crew: Team
    token: str
    rt: Runtime

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def call(
        self, method: str, path: str, *, token: str | None = None, **kw: Any
    ) -> tuple[int, Any, aiohttp.ClientResponse]:
        """(status, parsed JSON or None, response) of one request."""
        headers = {"Authorization": f"Bearer {token or self.token}", **kw.pop("headers", {})}
        async with self.http.request(method, self.url + path, headers=headers, **kw) as resp:
            raw = await resp.read()
            body = await resp.json() if raw and resp.content_type == "application/json" else None
            return resp.status, body, resp


async def start_api(
    rt: Runtime, crew: Team, config: ApiConfig = CONFIG
) -> tuple[TestServer, aiohttp.ClientSession, str]:
    server = TestServer(build_app(rt, [make_setup(config)]), host="127.0.0.1")
    await server.start_server()
    token, _ = await create_token(rt, crew.workspace.id, "tests", ["read", "write"])
    return server, aiohttp.ClientSession(), token


@asynccontextmanager
async def open_api(
    runtime: Runtime, mastodon: FakeMastodon, config: ApiConfig = CONFIG
) -> AsyncIterator[Api]:
    """The API on a real port with a workspace, a Mastodon account and a token (for fixtures
    outside this folder)."""
    crew = await team(runtime, mastodon_url=mastodon.url)
    server, http, token = await start_api(runtime, crew, config)
    try:
        yield Api(str(server.make_url("")).rstrip("/"), http, crew, token, runtime)
    finally:
        await http.close()
        await server.close()


@pytest.fixture
async def api(runtime: Runtime, mastodon: FakeMastodon) -> AsyncIterator[Api]:
    async with open_api(runtime, mastodon) as running:
        yield running


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """Wired as ``outpost run`` wires it: finished posts and destinations reach the callbacks."""
    async with open_process(settings, TestClock()) as process:
        yield process.runtime


@pytest.fixture
async def api_worker(runtime: Runtime) -> AsyncIterator[object]:
    """A real arq worker with the callback tasks, reporting through CallbackNotifier."""
    instance = make_worker(runtime, handle_signals=False, extra_functions=CALLBACK_FUNCTIONS)
    task = asyncio.create_task(instance.main())
    yield instance
    task.cancel()
    jobs = [t for t in instance.tasks.values() if not t.done()]
    for job in jobs:
        job.cancel()
    with suppress(asyncio.CancelledError):
        await task
    await asyncio.gather(*jobs, return_exceptions=True)


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
async def files() -> AsyncIterator[str]:
    """A public-looking file server: a PNG, an HTML page, a 404."""
    app = web.Application()

    async def photo(request: web.Request) -> web.Response:
        # A server's Content-Type is not trusted: the bytes say what the file is.
        return web.Response(body=png(), content_type="application/octet-stream")

    async def page(request: web.Request) -> web.Response:
        return web.Response(text="<html>not a photo</html>", content_type="text/html")

    app.router.add_get("/cat.png", photo)
    app.router.add_get("/page.html", page)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("")).rstrip("/")
    await server.close()
