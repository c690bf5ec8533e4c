"""``/invite`` from Telegram: only owners and admins; the invited address becomes a member with
its role on its first Supabase sign-in."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from app.process import Process, open_process
from app.web import build_app
from bot.telegram.context import Services
from bot.telegram.routes import setup_for
from core.settings import Settings
from storage.db import _plain_dsn
from tests.fakes.supabase import SERVICE_KEY, FakeSupabase
from tests.fakes.telegram import FakeTelegram
from tests.helpers import count_rows
from tests.support import TEST_DB
from tests.telegram.conftest import telegram_settings
from tests.telegram.updates import USER, Updates, post, replies
from tests.web.signin_support import set_role, sign_in_by_email, signin_site, users_with_email

Client = TestClient[Any, Any]


def _said(fake: FakeTelegram, needle: str) -> bool:
    return any(needle in str(r["text"]) for r in replies(fake, USER))


async def _user_ids() -> list[uuid.UUID]:
    conn = await asyncpg.connect(_plain_dsn(TEST_DB))
    try:
        return [r["id"] for r in await conn.fetch("SELECT id FROM users")]
    finally:
        await conn.close()


@pytest.fixture
async def process(
    settings: Settings, telegram: FakeTelegram, supa: FakeSupabase
) -> AsyncIterator[Process]:
    configured = telegram_settings(
        settings, telegram, supabase_url=supa.url, supabase_service_role_key=SERVICE_KEY
    )
    async with open_process(configured) as made:
        yield made


async def test_an_admin_invites_from_telegram_and_the_address_joins_on_sign_in(
    settings: Settings, process: Process, telegram: FakeTelegram, supa: FakeSupabase,
    updates: Updates,
) -> None:  # fmt: skip
    services = process.telegram
    assert isinstance(services, Services)
    app = build_app(process.runtime, [setup_for(services)])
    async with TestClient(TestServer(app)) as bot:
        await post(bot, updates.message(text="/help"))  # first contact: the chat's user owns it
        ws = await process.runtime.workspaces.by_name(f"telegram:{USER}")
        [me] = await _user_ids()
        await set_role(ws.id, me, "editor")
        await post(bot, updates.message(text="/invite bo@example.com viewer"))
        assert _said(telegram, "Only the workspace's owners and admins can invite people.")
        assert await count_rows("invitations") == 0

        await set_role(ws.id, me, "admin")
        await post(bot, updates.message(text="/invite bo@example.com viewer"))
        assert _said(telegram, "Invited bo@example.com as viewer")
        await post(bot, updates.message(text="invite not-an-address"))
        assert _said(telegram, "invite name@example.com")
        assert await count_rows("invitations") == 1

    async with signin_site(settings.data_dir, supa) as site:
        done = await sign_in_by_email(site, site.client, "bo@example.com")
        assert done.status == 303
        assert done.headers["Location"] == f"/?ws={ws.id}"
        [bo] = await users_with_email("bo@example.com")
        assert await site.rt.signin.role(ws.id, bo) == "viewer"
