"""The media branch (0010, video posters) upgrades, goes down alone, and up again."""

from __future__ import annotations

from storage.db import downgrade, ensure_database, upgrade
from tests.helpers import drop_database, public_tables
from tests.support import TEST_DB

SCRATCH = TEST_DB + "_mediamig"


async def test_media_branch_up_down_up() -> None:
    await drop_database(SCRATCH)
    await ensure_database(SCRATCH)
    try:
        await upgrade(SCRATCH)
        assert {"media_posters", "media_library"} <= await public_tables(SCRATCH)
        await downgrade(SCRATCH, "media@0001")
        tables = await public_tables(SCRATCH)
        assert "media_posters" not in tables
        assert {"media_library", "calendar_sessions"} <= tables  # other branches untouched
        await upgrade(SCRATCH)
        assert "media_posters" in await public_tables(SCRATCH)
    finally:
        await drop_database(SCRATCH)
