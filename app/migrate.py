"""``outpost migrate``: create the database if needed and upgrade it to the newest schema."""

from __future__ import annotations

import argparse
import logging

from core import aio
from core.logging import setup_logging
from core.settings import Settings, load_settings
from storage.db import ensure_database, upgrade

log = logging.getLogger("outpost")


async def migrate(settings: Settings) -> None:
    """Create the database if needed and upgrade it to the newest schema."""
    if await ensure_database(settings.database_url):
        log.info("created the database")
    await upgrade(settings.database_url)


def migrate_command(args: argparse.Namespace) -> int:
    settings = load_settings()
    setup_logging(settings.log_level)
    aio.run(migrate(settings))
    print("database is at the newest schema")
    return 0
