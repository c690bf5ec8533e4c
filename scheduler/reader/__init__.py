"""The request reader: "<time> to <destinations>: <text>" into a time, a zone and a post.

Conventions (all read in the user's zone unless the phrase names one):

- A bare weekday ("friday") is the next one after today; said on that weekday with a time
  still ahead ("friday 17:00" on a Friday morning) it is today. "this friday" includes today.
  "next friday" / "friday next week" / "friday after next" is the Friday of next week
  (Monday-Sunday weeks), so "next wednesday" said on a Tuesday is 8 days ahead; "last friday"
  is the Friday of last week.
- A bare time already past today is read as tomorrow and asked about ("at 9am" at 10:00,
  "tonight at 8" at 21:00); midnight is the end of today. "13pm" is a problem. An hour right
  after a day is a time of day ("mon 9", "tomorrow 10"). An hour without am/pm and
  no day named is its next occurrence as either am or pm ("at 8" at 10:00 is 20:00); with a
  day named, 7-11 is morning and 1-6 afternoon ("tomorrow at 5" is 17:00).
- A date without a time is 09:00 with grain "day"; parts of the day: morning 09:00, lunch
  12:00, afternoon 15:00, evening 18:00, tonight/night 20:00, late night 22:00.
- Month/day without a year is the next such day (today included); "3/4" is read US-style
  (March 4) with a problem naming both readings, except in US zones where it is not asked
  about; "25/12" and "12/25" are unambiguous. Other languages write dates day first.
- Typed abbreviations are fixed offsets as typed ("PST" is UTC-8 even in July); the zone
  reported is the IANA zone that uses it (PST -> America/Los_Angeles). "UTC+2" is Etc/GMT-2.
- DST: a wall time in a spring-forward gap moves forward by the gap (02:30 -> 03:30 in
  Europe/Berlin); a wall time in a fold takes its first occurrence (fold=0). Recurrences keep
  the local wall time across changes.
- Recurrences ("every monday at 9", "daily", "first monday of the month") give an RRULE with
  BYHOUR/BYMINUTE/BYSECOND in local time; ``when`` is the first slot after now. "the first
  monday of the month" (with "the", or "of this month") is one day, as in the corpus.
  ``next_occurrence`` counts INTERVAL from ``dtstart``: pass the first ``when`` to keep phase.
  A recurrence the rules cannot express exactly ("every month on friday", "every monday next
  week", "every 31st") is a problem with examples, never approximated.
- Spanish, French, German, Portuguese, Italian and Russian phrases are rewritten into these
  rules' English words (``scheduler.reader.lang``); the language is guessed from the words
  before the colon unless ``lang`` is given. See docs/requests.md.
- A leading "fit" ("fit tomorrow 9am to bluesky: ...") is not part of the time: it asks for
  photos a destination refuses for their size or format to be converted (``fit_media``).
- Holidays are their next occurrence (today included). Islamic months start as Umm al-Qura
  has them (new moon before sunset in Mecca); Jewish holidays are dated by their eve (the
  arithmetic Hebrew calendar); Hindu festivals follow new and full moons in Indian time.
  These are approximations that can be a day off local observance.
"""

from __future__ import annotations

import importlib
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scheduler.reader.grammar import ParsedRequest, read_request
    from scheduler.reader.recurrence import next_occurrence
    from scheduler.reader.times import TimeResult, parse_time

# Where each name lives, imported on first use: a worker needs ``next_occurrence`` alone, and
# the grammar with its seven languages' tables is a tenth of a second of its start-up.
_HOMES = {
    "ParsedRequest": "scheduler.reader.grammar",
    "read_request": "scheduler.reader.grammar",
    "next_occurrence": "scheduler.reader.recurrence",
    "TimeResult": "scheduler.reader.times",
    "parse_time": "scheduler.reader.times",
}

__all__ = [
    "ParsedRequest",
    "TimeResult",
    "next_occurrence",
    "parse_time",
    "read_request",
    "score_adapter",
]


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def score_adapter(text: str, now: datetime, lang: str | None = "en") -> datetime | None:
    """parse_time at the fixed zone of ``now``'s offset, for the corpus scorer."""
    from scheduler.reader.times import parse_time
    from scheduler.reader.zones import fixed_zone_for

    result = parse_time(text, now=now, tz=fixed_zone_for(now), lang=lang)
    return result.when if result is not None else None
