"""Signing in against the fake Supabase project, the way a browser does, for HTTP-level tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg
from aiohttp.test_utils import TestClient, TestServer

from app.web import build_app
from scheduler.runtime import Runtime, open_runtime
from storage.db import _plain_dsn
from tests.fakes.supabase import SERVICE_KEY, FakeSupabase
from tests.support import TEST_DB, free_port, make_settings
from tests.web.conftest import csrf_of
from web.calendar import setup

# A browser: the test client, or another one with its own cookies (``other_browser``).
Client = TestClient[object, object] | aiohttp.ClientSession


@dataclass
class Site:
    """The app on a real port, signing in against ``supa``."""

    rt: Runtime
    client: TestClient[object, object]
    url: str
    supa: FakeSupabase

    def path(self, url: str) -> str:
        assert url.startswith(self.url), url
        return url.removeprefix(self.url)


def other_browser(site: Site) -> aiohttp.ClientSession:
    """A second browser on the same site, with cookies of its own."""
    return aiohttp.ClientSession(base_url=site.url, cookie_jar=aiohttp.CookieJar(unsafe=True))


@asynccontextmanager
async def signin_site(data_dir: Path, supa: FakeSupabase) -> AsyncIterator[Site]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    supa.auth.allow_redirects = [url + "/"]
    settings = make_settings(
        data_dir, public_url=url, supabase_url=supa.url, supabase_service_role_key=SERVICE_KEY
    )
    async with open_runtime(settings) as rt:
        server = TestServer(build_app(rt, [setup]), host="127.0.0.1", port=port)
        async with TestClient(server) as client:
            yield Site(rt, client, url, supa)


async def ask_for_link(client: Client, email: str, next_path: str = "/") -> aiohttp.ClientResponse:
    page = await client.get("/login")
    assert page.status == 200, await page.text()
    return await client.post(
        "/login/email",
        data={"csrf": csrf_of(await page.text()), "email": email, "next": next_path},
    )


async def follow_mail(site: Site, email: str) -> str:
    """Open the newest magic link like a mail client would: Supabase verifies it and
    redirects to our callback; returns the callback's path and query."""
    async with (
        aiohttp.ClientSession() as outside,
        outside.get(site.supa.auth.link_for(email), allow_redirects=False) as verified,
    ):
        assert verified.status == 303, await verified.text()
        return site.path(verified.headers["Location"])


async def sign_in_by_email(site: Site, client: Client, email: str) -> aiohttp.ClientResponse:
    """The whole magic-link sign-in in ``client``; the callback's answer, not followed."""
    asked = await ask_for_link(client, email)
    assert asked.status == 200, await asked.text()
    return await client.get(await follow_mail(site, email), allow_redirects=False)


async def users_with_email(email: str) -> list[uuid.UUID]:
    conn = await asyncpg.connect(_plain_dsn(TEST_DB))
    try:
        rows = await conn.fetch("SELECT id FROM users WHERE lower(email) = lower($1)", email)
    finally:
        await conn.close()
    return [r["id"] for r in rows]


async def set_role(workspace_id: uuid.UUID, user_id: uuid.UUID, role: str) -> None:
    """Roles are set directly until the roles use case lands (issue #18, another branch)."""
    conn = await asyncpg.connect(_plain_dsn(TEST_DB))
    try:
        await conn.execute(
            "UPDATE workspace_members SET role = $3 WHERE workspace_id = $1 AND user_id = $2",
            workspace_id, user_id, role,
        )  # fmt: skip
    finally:
        await conn.close()


async def member_by_email(rt: Runtime, workspace_id: uuid.UUID, email: str) -> uuid.UUID:
    """Put a member with this e-mail into a workspace (as a chat user whose address is known)."""
    user_id, _ = await rt.workspaces.sync_chat_user(
        workspace_id, "slack", "T1", email, display_name=email
    )
    conn = await asyncpg.connect(_plain_dsn(TEST_DB))
    try:
        await conn.execute("UPDATE users SET email = $2 WHERE id = $1", user_id, email)
    finally:
        await conn.close()
    return user_id
