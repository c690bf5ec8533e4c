"""Supabase Auth sessions (against a fake GoTrue ``/auth/v1/user``) and the calendar migration."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from app.web import build_app
from core.settings import Settings
from scheduler.logins import create_login_link
from scheduler.runtime import Runtime, open_runtime
from storage.db import _plain_dsn, downgrade, ensure_database, upgrade
from tests.fakes.supabase import FakeSupabaseStorage
from tests.support import TEST_DB, make_settings
from tests.web.conftest import csrf_of, member
from web.calendar import setup

KEY = "fake-service-role-key"
TABLES = {
    "calendar_login_links",
    "calendar_sessions",
    "calendar_session_workspaces",
    "calendar_feeds",
}


class FakeGoTrue:
    """``GET /auth/v1/user`` as Supabase Auth answers it: the user for a good JWT."""

    def __init__(self, tokens: dict[str, str]) -> None:
        self.tokens = tokens
        self.seen: list[dict[str, str]] = []
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def user(self, request: web.Request) -> web.Response:
        self.seen.append(dict(request.headers))
        if request.headers.get("apikey") != KEY:
            return web.json_response({"message": "Invalid API key"}, status=401)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.tokens:
            body: dict[str, Any] = {"code": 403, "error_code": "bad_jwt", "msg": "invalid JWT"}
            return web.json_response(body, status=403)
        return web.json_response(
            {
                "id": "5f1c",
                "aud": "authenticated",
                "role": "authenticated",
                "email": self.tokens[token],
                "app_metadata": {},
                "user_metadata": {},
            }
        )

    async def start(self) -> None:
        # One project URL serves Auth and Storage, as Supabase does: the runtime
        # prepares its media bucket there whenever Supabase is configured.
        self.storage = FakeSupabaseStorage(key=KEY)
        app = self.storage.make_app()
        app.router.add_get("/auth/v1/user", self.user)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = self.runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        self.storage.url = self.url

    async def stop(self) -> None:
        assert self.runner is not None
        await self.runner.cleanup()


@pytest.fixture
async def gotrue() -> AsyncIterator[FakeGoTrue]:
    fake = FakeGoTrue({"good-jwt": "Ada@Example.com", "stranger-jwt": "nobody@example.com"})
    await fake.start()
    yield fake
    await fake.stop()


async def test_supabase_session_logs_a_known_member_in(
    settings: Settings, gotrue: FakeGoTrue
) -> None:
    configured = make_settings(
        settings.data_dir, supabase_url=gotrue.url, supabase_service_role_key=KEY
    )
    async with open_runtime(configured) as rt:
        ws = await rt.workspaces.create("acme")
        ada = await member(rt, ws.id, "ada")
        conn = await asyncpg.connect(_plain_dsn(TEST_DB))
        try:
            await conn.execute("UPDATE users SET email = 'ada@example.com' WHERE id = $1", ada)
        finally:
            await conn.close()
        async with TestClient(TestServer(build_app(rt, [setup]))) as client:
            page = await client.get("/login")
            assert 'action="/login/supabase"' in await page.text()
            csrf = csrf_of(await page.text())
            for token, status in (("bad-jwt", 401), ("stranger-jwt", 403), ("", 401)):
                refused = await client.post(
                    "/login/supabase", data={"csrf": csrf, "access_token": token}
                )
                assert refused.status == status, token
            assert (await client.get("/", allow_redirects=False)).status == 401
            done = await client.post(
                "/login/supabase",
                data={"csrf": csrf, "access_token": "good-jwt"},
                allow_redirects=False,
            )
            assert done.status == 303
            assert done.headers["Location"] == f"/?ws={ws.id}"
            assert (await client.get("/")).status == 200
            assert gotrue.seen[-1]["Authorization"] == "Bearer good-jwt"
            assert gotrue.seen[-1]["apikey"] == KEY


async def test_supabase_form_is_off_without_supabase(
    runtime: Runtime, client: TestClient[object, object]
) -> None:
    page = await client.get("/login")
    assert "/login/supabase" not in await page.text()
    ws = await runtime.workspaces.create("acme")
    link = await create_login_link(runtime, ws.id, None)
    confirm = await client.get(link.removeprefix(runtime.settings.base_url))
    csrf = csrf_of(await confirm.text())
    off = await client.post("/login/supabase", data={"csrf": csrf, "access_token": "x"})
    assert off.status == 404


async def _tables(dsn: str) -> set[str]:
    conn = await asyncpg.connect(_plain_dsn(dsn))
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await conn.close()
    return {r["tablename"] for r in rows}


async def test_calendar_migration_goes_up_down_and_up() -> None:
    scratch = TEST_DB + "_calmig"
    admin = await asyncpg.connect(_plain_dsn(TEST_DB, "postgres"))
    await admin.execute(f'DROP DATABASE IF EXISTS "{scratch.rsplit("/", 1)[1]}" WITH (FORCE)')
    await admin.close()
    await ensure_database(scratch)
    await upgrade(scratch, "calendar@head")
    assert await _tables(scratch) >= TABLES
    await downgrade(scratch, "base")
    assert not TABLES & await _tables(scratch)
    await upgrade(scratch)
    assert await _tables(scratch) >= TABLES
    admin = await asyncpg.connect(_plain_dsn(TEST_DB, "postgres"))
    await admin.execute(f'DROP DATABASE IF EXISTS "{scratch.rsplit("/", 1)[1]}" WITH (FORCE)')
    await admin.close()
