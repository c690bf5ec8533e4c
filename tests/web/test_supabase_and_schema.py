"""The calendar migration goes up, down and up (Supabase sign-in is ``test_signin.py``)."""

from __future__ import annotations

import asyncpg

from storage.db import _plain_dsn, downgrade, ensure_database, upgrade
from tests.support import TEST_DB

KEY = "fake-service-role-key"
TABLES = {
    "calendar_login_links",
    "calendar_sessions",
    "calendar_session_workspaces",
    "calendar_feeds",
}

SIGNIN = {"auth_flows", "invitations"}


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
    assert await _tables(scratch) >= TABLES | SIGNIN
    await downgrade(scratch, "base")  # the sign-in branch goes down too, role check restored
    assert not SIGNIN & await _tables(scratch)
    await upgrade(scratch)
    assert await _tables(scratch) >= TABLES | SIGNIN
    admin = await asyncpg.connect(_plain_dsn(TEST_DB, "postgres"))
    await admin.execute(f'DROP DATABASE IF EXISTS "{scratch.rsplit("/", 1)[1]}" WITH (FORCE)')
    await admin.close()
