"""Alembic migrations upgrade a fresh database and go down and up again cleanly."""

from __future__ import annotations

import asyncpg

from storage.db import _plain_dsn, downgrade, ensure_database, upgrade
from tests.helpers import drop_database, public_tables
from tests.support import TEST_DB

SCRATCH = TEST_DB + "_migrations"


async def test_upgrade_downgrade_upgrade() -> None:
    await drop_database(SCRATCH)
    assert await ensure_database(SCRATCH) is True
    assert await ensure_database(SCRATCH) is False
    await upgrade(SCRATCH)
    seed = {"users", "social_accounts", "scheduled_posts", "post_destinations", "media_library"}
    assert seed <= await public_tables(SCRATCH)
    await downgrade(SCRATCH, "base")
    assert await public_tables(SCRATCH) == {"alembic_version"}
    await upgrade(SCRATCH)
    assert seed | {"publish_attempts", "api_tokens", "workspaces", "chat_identities"} <= (
        await public_tables(SCRATCH)
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
