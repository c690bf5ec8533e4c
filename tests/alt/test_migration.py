"""The alt branch (0011, ``post_media.alt``) upgrades, goes down alone, and up again."""

from __future__ import annotations

import asyncpg

from storage.db import _plain_dsn, downgrade, ensure_database, upgrade
from tests.helpers import drop_database
from tests.support import TEST_DB

SCRATCH = TEST_DB + "_altmig"


async def _post_media_columns() -> dict[str, tuple[str, str | None]]:
    conn = await asyncpg.connect(_plain_dsn(SCRATCH))
    try:
        rows = await conn.fetch(
            "SELECT column_name, is_nullable, column_default FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name = 'post_media'"
        )
    finally:
        await conn.close()
    return {r["column_name"]: (r["is_nullable"], r["column_default"]) for r in rows}


async def test_alt_branch_up_down_up_keeps_existing_links() -> None:
    await drop_database(SCRATCH)
    await ensure_database(SCRATCH)
    try:
        await upgrade(SCRATCH, "alt@0001")
        assert "alt" not in await _post_media_columns()
        conn = await asyncpg.connect(_plain_dsn(SCRATCH))
        try:
            ws = await conn.fetchval(
                "INSERT INTO workspaces (id, name, timezone) "
                "VALUES (gen_random_uuid(), 'acme', 'UTC') RETURNING id"
            )
            post = await conn.fetchval(
                "INSERT INTO scheduled_posts (id, workspace_id, content, scheduled_at, timezone) "
                "VALUES (gen_random_uuid(), $1, 'hi', now(), 'UTC') RETURNING id",
                ws,
            )
            media = await conn.fetchval(
                "INSERT INTO media_library (id, workspace_id, url, storage_key, content_type, "
                "sha256, size_bytes, filename) VALUES (gen_random_uuid(), $1, 'media:k', 'k', "
                "'image/png', 'x', 1, 'a.png') RETURNING id",
                ws,
            )
            await conn.execute(
                "INSERT INTO post_media (post_id, media_id, position) VALUES ($1, $2, 0)",
                post,
                media,
            )
        finally:
            await conn.close()
        await upgrade(SCRATCH)
        nullable, default = (await _post_media_columns())["alt"]
        assert nullable == "NO"
        assert "''" in str(default)
        conn = await asyncpg.connect(_plain_dsn(SCRATCH))
        try:
            assert await conn.fetchval("SELECT alt FROM post_media") == ""
        finally:
            await conn.close()
        await downgrade(SCRATCH, "alt@0001")
        columns = await _post_media_columns()
        assert "alt" not in columns
        assert {"post_id", "media_id", "position"} <= set(columns)
        await upgrade(SCRATCH)
        assert "alt" in await _post_media_columns()
    finally:
        await drop_database(SCRATCH)
