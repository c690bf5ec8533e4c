"""Fixtures for connecting accounts: fake networks, fake authorization servers, the web app."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestServer

from app.web import build_app
from core.settings import Settings
from scheduler.runtime import Runtime
from storage.db import _plain_dsn
from tests.fakes.facebook import FakeGraph
from tests.fakes.linkedin import SELF_SERVE, FakeLinkedIn
from tests.fakes.oauth import FakeAuthServer
from tests.fakes.threads import FakeThreads
from tests.fakes.x import FakeX
from tests.support import TEST_DB, free_port
from web import connect

APP_PORT = "app_port"


@pytest.fixture
async def linkedin() -> AsyncIterator[FakeLinkedIn]:
    fake = FakeLinkedIn()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    fake = FakeGraph()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def threads() -> AsyncIterator[FakeThreads]:
    fake = FakeThreads()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def li_auth(linkedin: FakeLinkedIn) -> AsyncIterator[FakeAuthServer]:
    """An app with only the self-serve products; tests that need pages add their scopes."""
    fake = FakeAuthServer(grants_to=linkedin.tokens, prefix="li")
    fake.allowed_scopes = set(SELF_SERVE)
    fake.token_scopes = linkedin.token_scopes
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def fb_auth(graph: FakeGraph) -> AsyncIterator[FakeAuthServer]:
    """Facebook Login: its code exchange gives a short-lived user token and no refresh token."""
    fake = FakeAuthServer(grants_to=graph.tokens, prefix="fb", shape="facebook")
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def th_auth(threads: FakeThreads) -> AsyncIterator[FakeAuthServer]:
    """Threads' authorize and code exchange (``{access_token, user_id}``, short-lived)."""
    fake = FakeAuthServer(grants_to=threads.tokens, prefix="th", shape="threads")
    fake.user_id = threads.user_id
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def xnet() -> AsyncIterator[FakeX]:
    fake = FakeX()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def x_auth(xnet: FakeX) -> AsyncIterator[FakeAuthServer]:
    fake = FakeAuthServer(grants_to=xnet.tokens, prefix="x")
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
async def settings(
    settings: Settings,
    port: int,
    linkedin: FakeLinkedIn,
    graph: FakeGraph,
    threads: FakeThreads,
    li_auth: FakeAuthServer,
    fb_auth: FakeAuthServer,
    th_auth: FakeAuthServer,
    xnet: FakeX,
    x_auth: FakeAuthServer,
) -> Settings:
    """Settings pointing every OAuth and API URL at the fakes (the accounts' own state emptied)."""
    conn = await asyncpg.connect(_plain_dsn(TEST_DB))
    try:
        await conn.execute("TRUNCATE oauth_states, mastodon_apps")
    finally:
        await conn.close()
    values: dict[str, object] = {"public_url": f"http://127.0.0.1:{port}"}
    pairs = (("linkedin", li_auth), ("facebook", fb_auth), ("threads", th_auth), ("x", x_auth))
    for name, auth in pairs:
        values[f"{name}_authorize_url"] = auth.url + "/authorize"
        values[f"{name}_token_url"] = auth.url + "/token"
        values[f"{name}_client_id"] = auth.client_id
        values[f"{name}_client_secret"] = auth.client_secret
    values |= {"linkedin_api_url": linkedin.url, "facebook_graph_url": graph.url}
    values["threads_api_url"] = threads.url
    values["x_api_url"] = xnet.url
    return settings.model_copy(update=values)


@pytest.fixture
async def app_url(runtime: Runtime, port: int) -> AsyncIterator[str]:
    server = TestServer(build_app(runtime, [connect.setup]), host="127.0.0.1", port=port)
    await server.start_server()
    yield f"http://127.0.0.1:{port}"
    await server.close()


@pytest.fixture
async def browser() -> AsyncIterator[aiohttp.ClientSession]:
    # A browser keeps cookies for 127.0.0.1 too: the connect flow is bound to one.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session
