"""Migration 0012 adds ``workspaces.language`` and takes it away again, keeping the rows."""

from __future__ import annotations

import asyncpg

from storage.db import _plain_dsn, downgrade, ensure_database, upgrade
from tests.helpers import drop_database
from tests.support import TEST_DB

SCRATCH = TEST_DB + "_language"
COLUMNS = (
    "SELECT column_name FROM information_schema.columns "
    "WHERE table_schema = 'public' AND table_name = 'workspaces'"
)


async def _columns_and_names() -> tuple[set[str], list[str]]:
    conn = await asyncpg.connect(_plain_dsn(SCRATCH))
    try:
        columns = {r["column_name"] for r in await conn.fetch(COLUMNS)}
        names = [r["name"] for r in await conn.fetch("SELECT name FROM workspaces")]
    finally:
        await conn.close()
    return columns, names


async def test_language_column_goes_up_down_and_up() -> None:
    await drop_database(SCRATCH)
    await ensure_database(SCRATCH)
    await upgrade(SCRATCH)
    conn = await asyncpg.connect(_plain_dsn(SCRATCH))
    try:
        await conn.execute(
            "INSERT INTO workspaces (id, name, language) VALUES (gen_random_uuid(), 'w', 'es')"
        )
    finally:
        await conn.close()
    assert "language" in (await _columns_and_names())[0]
    await downgrade(SCRATCH, "language@-1")
    columns, names = await _columns_and_names()
    assert "language" not in columns
    assert names == ["w"]  # only the column went
    await upgrade(SCRATCH)
    assert "language" in (await _columns_and_names())[0]
    await drop_database(SCRATCH)
