"""Shared fixed "now" for reader tests: Saturday 2026-11-28 10:00 in Europe/Berlin."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=BERLIN)
TZ = "Europe/Berlin"


def at(*args: int, tz: ZoneInfo = BERLIN) -> datetime:
    """An aware datetime in ``tz`` (Berlin by default)."""
    return datetime(*args, tzinfo=tz)  # type: ignore[misc]
