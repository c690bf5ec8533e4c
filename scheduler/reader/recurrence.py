"""Recurring phrases ("every monday at 9") as RRULEs, and their next occurrence across DST."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from dateutil.rrule import rrulestr  # type: ignore[import-untyped]

from core.i18n import msg
from scheduler.reader.words import RRULE_DAYS, WEEKDAY_RE, WEEKDAYS
from scheduler.reader.zones import get_zone, place

_FREQ = {
    "minute": "MINUTELY",
    "hour": "HOURLY",
    "day": "DAILY",
    "week": "WEEKLY",
    "fortnight": "WEEKLY",
    "month": "MONTHLY",
    "year": "YEARLY",
}
_ADVERBS = {
    "hourly": ("HOURLY", 1),
    "daily": ("DAILY", 1),
    "nightly": ("DAILY", 1),
    "weekly": ("WEEKLY", 1),
    "fortnightly": ("WEEKLY", 2),
    "biweekly": ("WEEKLY", 2),
    "monthly": ("MONTHLY", 1),
    "yearly": ("YEARLY", 1),
    "annually": ("YEARLY", 1),
}
_WD_LIST = r"(?:" + WEEKDAY_RE + r")s?\.?(?:(?: ?, ?| and | & | )(?:" + WEEKDAY_RE + r")s?\.?)*"

_NTH_WD = re.compile(
    r"\b(?:(?:every|each) )?(?:the )?(?P<n>[1-5](?:st|nd|rd|th)|last) (?P<wd>"
    + WEEKDAY_RE
    + r")\.? (?:of|in) (?:the|every|each) month\b"
    # A bare number ("every 2 fridays", from "cada dos viernes") counts weeks: _EVERY_DAYS.
    r"|(?:\b(?:every|each) (?:the )?|^)(?P<n2>[1-5](?:st|nd|rd|th)|last)"
    r" (?P<wd2>" + WEEKDAY_RE + r")\.?(?P<month> (?:of|in) (?:the|every|each) month)?\b"
)
_EVERY_DAYS = re.compile(
    r"\b(?:every|each) (?:(?P<other>other )|(?P<k>[2-9]) )?(?P<days>weekday|weekend|"
    + _WD_LIST
    + r")(?!\w)"
    r"|\b(?:on )?(?P<plural>weekday|weekend)s\b"
)
# "every morning at 8": the part of the day stays in the phrase for the clock rules.
_EVERY_PART = re.compile(r"\b(?:every|each) (?=(?:morning|afternoon|evening|night)\b)")
# "every 15th", "on the 15th of every month": a day of the month.
_EVERY_MONTHDAY = re.compile(
    r"\b(?:every|each) (?:the )?(?P<d>\d{1,2})(?:st|nd|rd|th)\b(?! (?:"
    + WEEKDAY_RE
    + r"))(?: (?:day )?(?:of|in) (?:the|every|each) month)?"
    r"|\b(?:on )?the (?P<d2>\d{1,2})(?:st|nd|rd|th)? (?:day )?(?:of|in) (?:every|each) month\b"
)
_EVERY_UNIT = re.compile(
    r"\b(?:every|each) (?:(?P<n>\d+|other) )?(?P<unit>minute|hour|day|week|fortnight|month"
    r"|year)s?\b"
)
_ADVERB = re.compile(r"\b(?P<adv>" + "|".join(_ADVERBS) + r")\b")
_MONTHDAY = re.compile(
    r"\bon the (?P<d>\d{1,2})(?:st|nd|rd|th)?\b|\bon (?P<d2>\d{1,2})"
    r"(?:st|nd|rd|th)\b"
)
# "first monday of the month" typed alone is a schedule; "the first monday of the month" and
# "... of this month" name one day (as in the Duckling corpus).
_HINT = re.compile(
    r"\b(?:every|each|weekdays|weekends|" + "|".join(_ADVERBS) + r")\b|^(?:[1-5](?:st|nd|rd|th)"
    r"|last) (?:" + WEEKDAY_RE + r")\.? of the month\b"
)


@dataclass
class Repeat:
    """The recurring part of a phrase, before a time of day is added."""

    freq: str
    interval: int = 1
    byday: str | None = None
    bymonthday: int | None = None
    # "every 2nd friday": every other week, or the second Friday of each month? Never guessed.
    ambiguous: str | None = None


def extract(text: str) -> tuple[Repeat | None, str]:
    """Take the recurring words out of a normalised phrase; returns what is left."""
    if _HINT.search(text) is None:
        return None, text
    rep: Repeat | None = None
    m = _NTH_WD.search(text)
    if m:
        nth = m.group("n") or m.group("n2")
        n, day = nth[:1], m.group("wd") or m.group("wd2")
        wd = RRULE_DAYS[WEEKDAYS[day]]
        rep = Repeat("MONTHLY", byday=("-1" if n == "l" else n) + wd)
        if m.group("n2") and not m.group("month") and n in "2345":
            rep.ambiguous = f"{nth} {day}"
    elif m := _EVERY_MONTHDAY.search(text):
        rep = Repeat("MONTHLY", bymonthday=int(m.group("d") or m.group("d2")))
    elif m := _EVERY_DAYS.search(text):
        words = m.group("days") or m.group("plural")
        if words == "weekday":
            days = "MO,TU,WE,TH,FR"
        elif words == "weekend":
            days = "SA,SU"
        else:
            found = re.findall(WEEKDAY_RE, words)
            days = ",".join(dict.fromkeys(RRULE_DAYS[WEEKDAYS[w]] for w in found))
        every = 2 if m.group("other") else int(m.group("k") or 1)
        rep = Repeat("WEEKLY", interval=every, byday=days)
    elif m := _EVERY_PART.search(text):
        rep = Repeat("DAILY")
    elif m := _EVERY_UNIT.search(text):
        n = m.group("n")
        unit = m.group("unit")
        interval = 2 if n == "other" or unit == "fortnight" else int(n or 1)
        rep = Repeat(_FREQ[unit], interval=max(interval, 1))
    elif m := _ADVERB.search(text):
        freq, interval = _ADVERBS[m.group("adv")]
        rep = Repeat(freq, interval=interval)
    if m is None or rep is None:
        return None, text
    text = text[: m.start()] + " | " + text[m.end() :]
    if rep.freq in ("MONTHLY", "YEARLY") and rep.byday is None:
        md = _MONTHDAY.search(text)
        if md:
            rep.bymonthday = int(md.group("d") or md.group("d2"))
            text = text[: md.start()] + " | " + text[md.end() :]
    return rep, text


REFUSED_EXAMPLES = msg(
    '"every monday at 9", "every other friday at 17:00", "weekdays at 8:30", '
    '"the last friday of every month at 10" or "every 15th at 9"'
)


def unsupported(rep: Repeat, *, weekday: int | None, dated: bool) -> str | None:
    """Why a repeat plus the other words read cannot be one exact RRULE, or None."""
    if rep.ambiguous:
        return msg(
            '"every {phrase}" can mean every few weeks or one {day} of each month: write '
            '"every other {day}" or "the {phrase} of every month"',
            phrase=rep.ambiguous, day=rep.ambiguous.split()[-1],
        )  # fmt: skip
    if dated:
        # "every monday next week", "every day tomorrow": a schedule and a single day at once.
        return msg("it names a repeat and a single day at once")
    if rep.bymonthday is not None and not 1 <= rep.bymonthday <= 28:
        if 29 <= rep.bymonthday <= 31:
            return msg(
                "not every month has a day {day}, so some months would be skipped",
                day=rep.bymonthday,
            )
        return msg("no month has a day {day}", day=rep.bymonthday)
    if weekday is not None and rep.freq in ("MONTHLY", "YEARLY") and rep.byday is None:
        # "every month on friday" would otherwise become every Friday.
        return msg("a weekday in a monthly or yearly repeat needs which one (first ... last)")
    return None


def build(
    rep: Repeat,
    *,
    hour: int,
    minute: int,
    weekday: int | None,
    month: int | None,
    monthday: int | None,
    now: datetime,
) -> str:
    """The RRULE (no DTSTART) for a repeat at a local time of day."""
    parts = [f"FREQ={rep.freq}"]
    if rep.interval > 1:
        parts.append(f"INTERVAL={rep.interval}")
    byday, bymonthday = rep.byday, rep.bymonthday or monthday
    if weekday is not None and byday is None and rep.freq in ("WEEKLY", "MONTHLY", "DAILY"):
        byday = RRULE_DAYS[weekday]
        parts[0] = "FREQ=WEEKLY" if rep.freq == "DAILY" else parts[0]
    if rep.freq == "WEEKLY" and byday is None:
        byday = RRULE_DAYS[now.weekday()]
    if rep.freq in ("MONTHLY", "YEARLY") and byday is None and bymonthday is None:
        bymonthday = now.day
    if rep.freq == "YEARLY":
        parts.append(f"BYMONTH={month or now.month}")
    if byday:
        parts.append(f"BYDAY={byday}")
    if bymonthday:
        parts.append(f"BYMONTHDAY={bymonthday}")
    if rep.freq == "MINUTELY":
        return ";".join([*parts, "BYSECOND=0"])
    if rep.freq != "HOURLY":
        parts.append(f"BYHOUR={hour}")
    parts += [f"BYMINUTE={minute}", "BYSECOND=0"]
    return ";".join(parts)


def next_occurrence(
    rrule: str, *, tz: str, after: datetime, dtstart: datetime | None = None
) -> datetime | None:
    """The first occurrence strictly after ``after``, keeping local wall time in ``tz``."""
    zone = get_zone(tz).tzinfo
    local_after = after.astimezone(zone)
    start = (dtstart or after).astimezone(zone)
    # Expand in naive wall time so BYHOUR means local time on both sides of a DST change.
    start_wall = start.replace(tzinfo=None, microsecond=0)
    if dtstart is None:
        # Without a start, INTERVAL counts from the week/month/day of ``after``.
        start_wall = start_wall.replace(second=0) - timedelta(hours=3)
    rule = rrulestr(rrule, dtstart=start_wall)
    probe = local_after.replace(tzinfo=None) - timedelta(hours=3)

    for i, wall in enumerate(rule.xafter(max(probe, start_wall), inc=True)):
        if i > 5000:
            break
        at = place(wall.date(), time(wall.hour, wall.minute, wall.second), zone)
        if at > after and (dtstart is None or at >= dtstart.astimezone(UTC)):
            return at
    return None
