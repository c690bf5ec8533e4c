"""The media branch (0010, video posters) upgrades, goes down alone, and up again."""

from __future__ import annotations

import asyncpg

from storage.db import _plain_dsn, downgrade, ensure_database, upgrade
from tests.support import TEST_DB

SCRATCH = TEST_DB + "_mediamig"


async def _tables() -> set[str]:
    conn = await asyncpg.connect(_plain_dsn(SCRATCH))
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await conn.close()
    return {r["tablename"] for r in rows}


async def _drop() -> None:
    admin = await asyncpg.connect(_plain_dsn(TEST_DB, "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{SCRATCH.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await admin.close()


async def test_media_branch_up_down_up() -> None:
    await _drop()
    await ensure_database(SCRATCH)
    try:
        await upgrade(SCRATCH)
        assert {"media_posters", "media_library"} <= await _tables()
        await downgrade(SCRATCH, "media@0001")
        tables = await _tables()
        assert "media_posters" not in tables
        assert {"media_library", "calendar_sessions"} <= tables  # other branches untouched
        await upgrade(SCRATCH)
        assert "media_posters" in await _tables()
    finally:
        await _drop()
