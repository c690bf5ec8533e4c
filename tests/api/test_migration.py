"""The api branch (0003) upgrades, goes down to base and up again."""

from __future__ import annotations

from storage.db import downgrade, ensure_database, upgrade
from tests.helpers import drop_database, public_tables
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


async def test_api_branch_up_down_up() -> None:
    await drop_database(SCRATCH)
    await ensure_database(SCRATCH)
    await upgrade(SCRATCH)
    assert await public_tables(SCRATCH) >= TABLES
    await downgrade(SCRATCH, "api@0001")
    assert not TABLES & await public_tables(SCRATCH)
    assert "scheduled_posts" in await public_tables(SCRATCH)
    await upgrade(SCRATCH)
    await downgrade(SCRATCH, "base")
    assert await public_tables(SCRATCH) == {"alembic_version"}
    await upgrade(SCRATCH)
    assert await public_tables(SCRATCH) >= TABLES
    await drop_database(SCRATCH)
