"""Migration 0020_i18n adds ``chat_languages`` and takes it away again, keeping workspaces."""

from __future__ import annotations

import asyncpg

from storage.db import _plain_dsn, downgrade, ensure_database, upgrade
from tests.helpers import drop_database
from tests.support import TEST_DB

SCRATCH = TEST_DB + "_chat_language"


async def _tables_and_names() -> tuple[set[str], list[str]]:
    conn = await asyncpg.connect(_plain_dsn(SCRATCH))
    try:
        tables = {r["tablename"] for r in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        )}  # fmt: skip
        names = [r["name"] for r in await conn.fetch("SELECT name FROM workspaces")]
    finally:
        await conn.close()
    return tables, names


async def test_chat_languages_table_goes_up_down_and_up() -> None:
    await drop_database(SCRATCH)
    await ensure_database(SCRATCH)
    await upgrade(SCRATCH)
    conn = await asyncpg.connect(_plain_dsn(SCRATCH))
    try:
        ws = await conn.fetchval(
            "INSERT INTO workspaces (id, name, language) VALUES (gen_random_uuid(), 'w', 'ru') "
            "RETURNING id"
        )
        await conn.execute(
            "INSERT INTO chat_languages (chat, workspace_id, language) VALUES ($1, $2, 'es')",
            "slack:T1:C1", ws,
        )
        # A workspace that goes takes its chats' settings with it.
        await conn.execute("DELETE FROM workspaces WHERE id = $1", ws)
        assert await conn.fetchval("SELECT count(*) FROM chat_languages") == 0
        await conn.execute("INSERT INTO workspaces (id, name) VALUES (gen_random_uuid(), 'w')")
    finally:
        await conn.close()
    assert "chat_languages" in (await _tables_and_names())[0]
    await downgrade(SCRATCH, "0017h")
    tables, names = await _tables_and_names()
    assert "chat_languages" not in tables
    assert "chat_digests" in tables  # only this revision went
    assert names == ["w"]
    await upgrade(SCRATCH)
    assert "chat_languages" in (await _tables_and_names())[0]
    await drop_database(SCRATCH)
