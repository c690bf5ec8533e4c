"""Calendar fixtures: the app on a test server, a logged-in browser-like client, a team."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image

from app.web import build_app
from scheduler.logins import create_login_link
from scheduler.runtime import Runtime
from storage.db import _plain_dsn
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import Team, team
from web.calendar import setup

CAL_TABLES = (
    "calendar_session_workspaces, calendar_sessions, calendar_login_links, calendar_feeds, "
    "auth_flows"
)
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


@pytest.fixture(autouse=True)
async def _clean_calendar_tables(database: str) -> None:
    conn = await asyncpg.connect(_plain_dsn(database))
    try:
        await conn.execute(f"TRUNCATE {CAL_TABLES} CASCADE")
    finally:
        await conn.close()


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[TestClient[object, object]]:
    app = build_app(runtime, [setup])
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF field in the page"
    return found.group(1)


async def member(
    rt: Runtime, workspace_id: uuid.UUID, name: str, tz: str | None = None
) -> uuid.UUID:
    """A chat user synced into the workspace (seed flow 3.1)."""
    user_id, _ = await rt.workspaces.sync_chat_user(
        workspace_id, "slack", "T1", name, display_name=name, timezone=tz
    )
    return user_id


async def log_in(
    client: TestClient[object, object],
    rt: Runtime,
    workspace_id: uuid.UUID,
    user_id: uuid.UUID | None,
) -> None:
    """Follow a bot's login link like a person: open it, press the button."""
    link = await create_login_link(rt, workspace_id, user_id)
    path = link.removeprefix(rt.settings.base_url)
    page = await client.get(path)
    assert page.status == 200, await page.text()
    done = await client.post(path, data={"csrf": csrf_of(await page.text())}, allow_redirects=False)
    assert done.status == 303, await done.text()


@dataclass
class Crew:
    """A team with a member who is logged in on ``client``."""

    team: Team
    user_id: uuid.UUID


@pytest.fixture
async def crew(
    runtime: Runtime, client: TestClient[object, object], mastodon: FakeMastodon
) -> Crew:
    made = await team(runtime, mastodon_url=mastodon.url)
    user_id = await member(runtime, made.workspace.id, "ada")
    await log_in(client, runtime, made.workspace.id, user_id)
    return Crew(made, user_id)


def png(path: Path, colour: tuple[int, int, int] = (200, 30, 30)) -> Path:
    """A small real PNG on disk."""
    Image.new("RGB", (64, 48), colour).save(path, "PNG")
    return path
