"""Alembic migrations upgrade a fresh database and go down and up again cleanly."""

from __future__ import annotations

import asyncpg

from storage.db import _plain_dsn, downgrade, ensure_database, upgrade
from tests.support import TEST_DB

SCRATCH = TEST_DB + "_migrations"


async def _tables() -> set[str]:
    conn = await asyncpg.connect(_plain_dsn(SCRATCH))
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await conn.close()
    return {r["tablename"] for r in rows}


async def test_upgrade_downgrade_upgrade() -> None:
    admin = await asyncpg.connect(_plain_dsn(TEST_DB, "postgres"))
    await admin.execute(f'DROP DATABASE IF EXISTS "{SCRATCH.rsplit("/", 1)[1]}" WITH (FORCE)')
    await admin.close()
    assert await ensure_database(SCRATCH) is True
    assert await ensure_database(SCRATCH) is False
    await upgrade(SCRATCH)
    seed = {"users", "social_accounts", "scheduled_posts", "post_destinations", "media_library"}
    assert seed <= await _tables()
    await downgrade(SCRATCH, "base")
    assert await _tables() == {"alembic_version"}
    await upgrade(SCRATCH)
    assert seed | {"publish_attempts", "api_tokens", "workspaces", "chat_identities"} <= (
        await _tables()
    )
    conn = await asyncpg.connect(_plain_dsn(SCRATCH))
    try:
        types = {
            r["data_type"]
            for r in await conn.fetch(
                "SELECT data_type FROM information_schema.columns "
                "WHERE table_schema = 'public' AND data_type LIKE 'timestamp%'"
            )
        }
    finally:
        await conn.close()
    assert types == {"timestamp with time zone"}
