"""Time zones: the user's IANA name, typed abbreviations and offsets, and DST-safe placing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True)
class Zone:
    """A zone as typed: the IANA name reported, and the tzinfo wall times are read in."""

    name: str
    tzinfo: tzinfo


# An abbreviation names a fixed offset ("PST" in July still means UTC-8, as typed); the
# reported name is the IANA zone people using it live in.
ABBREVIATIONS: dict[str, tuple[str, float]] = {
    "pst": ("America/Los_Angeles", -8),
    "pdt": ("America/Los_Angeles", -7),
    "mst": ("America/Denver", -7),
    "mdt": ("America/Denver", -6),
    "cst": ("America/Chicago", -6),
    "cdt": ("America/Chicago", -5),
    "est": ("America/New_York", -5),
    "edt": ("America/New_York", -4),
    "gmt": ("UTC", 0),
    "utc": ("UTC", 0),
    "bst": ("Europe/London", 1),
    "wet": ("Europe/Lisbon", 0),
    "west": ("Europe/Lisbon", 1),
    "cet": ("Europe/Berlin", 1),
    "cest": ("Europe/Berlin", 2),
    "eet": ("Europe/Athens", 2),
    "eest": ("Europe/Athens", 3),
    "ist": ("Asia/Kolkata", 5.5),
    "jst": ("Asia/Tokyo", 9),
    "aest": ("Australia/Sydney", 10),
    "aedt": ("Australia/Sydney", 11),
}
ABBREV_RE = "|".join(sorted(ABBREVIATIONS, key=len, reverse=True))
_OFFSET = re.compile(r"^([+-])(\d{1,2})(?::?(\d{2}))?$")


@lru_cache(maxsize=256)
def get_zone(name: str) -> Zone:
    """Resolve an IANA name, "UTC", "UTC+2"/"GMT-5" or an abbreviation; ValueError if unknown."""
    key = name.strip()
    low = key.lower()
    if low in ABBREVIATIONS and low not in ("utc", "gmt", "z"):
        iana, hours = ABBREVIATIONS[low]
        return Zone(iana, timezone(timedelta(hours=hours), key.upper()))
    if low in ("utc", "gmt", "z", "etc/utc", "etc/gmt"):
        return Zone("UTC", UTC)
    for prefix in ("utc", "gmt"):
        if low.startswith(prefix):
            zone = offset_zone(low[len(prefix) :].replace(" ", ""))
            if zone is not None:
                return zone
    for candidate in _spellings(key):
        try:
            return Zone(candidate, ZoneInfo(candidate))
        except (ZoneInfoNotFoundError, ValueError):
            continue
    raise ValueError(f"unknown time zone {name!r}")


def offset_zone(text: str) -> Zone | None:
    """A zone for "+2", "-05:00", "+0530"; whole hours get an "Etc/GMT-2" style name."""
    m = _OFFSET.match(text)
    if m is None:
        return None
    sign = -1 if m.group(1) == "-" else 1
    hours, minutes = int(m.group(2)), int(m.group(3) or 0)
    if hours > 14 or minutes >= 60:
        return None
    if minutes == 0:
        if hours == 0:
            return Zone("UTC", UTC)
        # POSIX-style Etc names have the sign inverted: UTC+2 is Etc/GMT-2.
        name = f"Etc/GMT{'-' if sign > 0 else '+'}{hours}"
        return Zone(name, ZoneInfo(name))
    delta = sign * timedelta(hours=hours, minutes=minutes)
    return Zone("UTC", timezone(delta))


def _spellings(key: str) -> tuple[str, ...]:
    if "/" not in key:
        return (key,)
    titled = "/".join(
        "_".join(w[:1].upper() + w[1:] for w in part.split("_")) for part in key.split("/")
    )
    lowered = "/".join(
        "_".join(w[:1].upper() + w[1:].lower() for w in part.split("_")) for part in key.split("/")
    )
    return (key, titled, lowered)


def place(day: date, clock: time, tz: tzinfo) -> datetime:
    """The instant of a wall time: a time in a DST gap moves forward by the gap; a fold
    takes its first occurrence."""
    wall = datetime(
        day.year, day.month, day.day, clock.hour, clock.minute, clock.second, tzinfo=tz, fold=0
    )
    # Round-tripping through UTC turns a non-existent wall time into the real one after the gap.
    return wall.astimezone(UTC).astimezone(tz)


def fixed_zone_for(now: datetime) -> str:
    """An IANA-style name for the fixed UTC offset of ``now`` (e.g. "Etc/GMT+2" for -02:00)."""
    off = now.utcoffset() or timedelta(0)
    minutes = int(off.total_seconds() // 60)
    if minutes % 60:
        sign = "+" if minutes >= 0 else "-"
        return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    zone = offset_zone(f"{'+' if minutes >= 0 else '-'}{abs(minutes) // 60}")
    return zone.name if zone else "UTC"


# Zones of the United States, where "12/1" is December 1 and nobody means January 12.
_US_ZONES = frozenset(
    {
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Phoenix",
        "America/Los_Angeles",
        "America/Anchorage",
        "America/Juneau",
        "America/Sitka",
        "America/Metlakatla",
        "America/Yakutat",
        "America/Nome",
        "America/Adak",
        "America/Boise",
        "America/Detroit",
        "America/Menominee",
        "America/Puerto_Rico",
        "Pacific/Honolulu",
        "EST5EDT",
        "CST6CDT",
        "MST7MDT",
        "PST8PDT",
    }
)
_US_PREFIXES = ("US/", "America/Indiana/", "America/Kentucky/", "America/North_Dakota/")


def month_first(zone: tzinfo | None) -> bool:
    """Whether numeric dates in this zone are written month first without doubt (the US)."""
    key = getattr(zone, "key", None)
    return isinstance(key, str) and (key in _US_ZONES or key.startswith(_US_PREFIXES))
