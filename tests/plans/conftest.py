"""A plan table with small limits (PLANS_FILE), so each limit is reached in a few steps."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from app.process import open_process
from core.settings import Settings
from scheduler.runtime import Runtime
from storage.db import _plain_dsn
from tests.api.conftest import Api, open_api
from tests.fakes.mastodon import FakeMastodon
from tests.support import TEST_DB, TestClock, make_settings

PLANS = """
[plans.tiny]
accounts = 2
posts_per_month = 2
members = 2
upload_mb = 0.01
approval = false

[plans.bigger]
accounts = 5
posts_per_month = 10
members = 5
upload_mb = 1
approval = true

[plans.unlimited]
"""


@pytest.fixture
def plans_file(tmp_path: Path) -> Path:
    path = tmp_path / "plans.toml"
    path.write_text(PLANS)
    return path


@pytest.fixture
def settings(settings: Settings, plans_file: Path) -> Settings:
    """The emptied database's settings, with the small plans (the default stays unlimited)."""
    return make_settings(settings.data_dir, plans_file=plans_file)


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    async with open_process(settings, TestClock()) as process:
        yield process.runtime


@pytest.fixture
async def api(runtime: Runtime, mastodon: FakeMastodon) -> AsyncIterator[Api]:
    """The API with workspace ``acme`` (one Mastodon account) and a token."""
    async with open_api(runtime, mastodon) as running:
        yield running


async def set_role(external_id: str, role: str) -> None:
    """Give the chat member ``external_id`` a role (roles land with approval; set directly)."""
    conn = await asyncpg.connect(_plain_dsn(TEST_DB))
    try:
        await conn.execute(
            "UPDATE workspace_members SET role = $2 WHERE user_id IN"
            " (SELECT user_id FROM chat_identities WHERE external_id = $1)",
            external_id, role,
        )  # fmt: skip
    finally:
        await conn.close()


def media_files(settings: Settings) -> list[Path]:
    """Every file in the local media store."""
    root = settings.data_dir / "media"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []
