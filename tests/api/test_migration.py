"""The api branch (0003) upgrades, goes down to base and up again."""

from __future__ import annotations

import asyncpg

from storage.db import _plain_dsn, downgrade, ensure_database, upgrade
from tests.support import TEST_DB

SCRATCH = TEST_DB + "_apimig"
TABLES = {
    "api_idempotency_keys",
    "api_hooks",
    "api_hook_deliveries",
    "api_callback_secrets",
    "api_callback_endpoints",
    "api_callback_deliveries",
}


async def _tables() -> set[str]:
    conn = await asyncpg.connect(_plain_dsn(SCRATCH))
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await conn.close()
    return {r["tablename"] for r in rows}


async def test_api_branch_up_down_up() -> None:
    admin = await asyncpg.connect(_plain_dsn(TEST_DB, "postgres"))
    await admin.execute(f'DROP DATABASE IF EXISTS "{SCRATCH.rsplit("/", 1)[1]}" WITH (FORCE)')
    await admin.close()
    await ensure_database(SCRATCH)
    await upgrade(SCRATCH)
    assert await _tables() >= TABLES
    await downgrade(SCRATCH, "api@0001")
    assert not TABLES & await _tables()
    assert "scheduled_posts" in await _tables()
    await upgrade(SCRATCH)
    await downgrade(SCRATCH, "base")
    assert await _tables() == {"alembic_version"}
    await upgrade(SCRATCH)
    assert await _tables() >= TABLES
    admin = await asyncpg.connect(_plain_dsn(TEST_DB, "postgres"))
    await admin.execute(f'DROP DATABASE IF EXISTS "{SCRATCH.rsplit("/", 1)[1]}" WITH (FORCE)')
    await admin.close()
