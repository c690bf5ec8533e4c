"""A recurring post's rule in words ("every Monday at 09:00"), in the reader's language.

The rules are the ones ``scheduler.reader.recurrence.build`` writes (FREQ, INTERVAL, BYDAY,
BYMONTHDAY, BYMONTH, BYHOUR, BYMINUTE); anything else is shown as the RRULE itself rather
than described wrongly.
"""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_skeleton, get_day_names
from babel.lists import format_list

from core.i18n import N_, normal
from core.i18n import gettext as t
from core.i18n import ngettext as nt

DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WEEKDAYS = "MO,TU,WE,TH,FR"
NTH = {
    "1": N_("first"),
    "2": N_("second"),
    "3": N_("third"),
    "4": N_("fourth"),
    "5": N_("fifth"),
}
KNOWN = {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYHOUR", "BYMINUTE", "BYSECOND"}


def _parts(rule: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for piece in rule.removeprefix("RRULE:").split(";"):
        key, _, value = piece.partition("=")
        found[key.strip().upper()] = value.strip().upper()
    return found


def _day_names(codes: str, lang: str) -> list[str]:
    names = get_day_names("wide", locale=lang)
    return [names[DAYS.index(code)] for code in codes.split(",")]


def describe(rule: str, start: datetime | None = None, lang: str | None = None) -> str:
    """``rule`` as a sentence: "every other Friday at 17:00", "on day 15 of every month at
    10:00"; ``start`` (the first occurrence, local) fills a time the rule leaves out."""
    code = normal(lang)
    parts = _parts(rule)
    if not set(parts) <= KNOWN or not parts.get("FREQ"):
        return rule
    try:
        return _sentence(parts, start, code) or rule
    except (ValueError, IndexError):
        return rule


def _sentence(parts: dict[str, str], start: datetime | None, lang: str) -> str | None:
    freq, every = parts["FREQ"], int(parts.get("INTERVAL", "1"))
    hour = int(parts.get("BYHOUR", start.hour if start else 0))
    minute = int(parts.get("BYMINUTE", start.minute if start else 0))
    clock = f"{hour:02d}:{minute:02d}"
    if freq == "MINUTELY":
        if every == 1:
            return t(lang, "every minute")
        return nt(lang, "every {n} minute", "every {n} minutes", every)
    if freq == "HOURLY":
        if every == 1:
            return t(lang, "every hour at minute {minute}", minute=minute)
        return nt(lang, "every {n} hour at minute {minute}", "every {n} hours at minute {minute}",
                  every, minute=minute)  # fmt: skip
    if freq == "DAILY" and "BYDAY" not in parts:
        if every == 1:
            return t(lang, "every day at {time}", time=clock)
        if every == 2:
            return t(lang, "every other day at {time}", time=clock)
        return nt(lang, "every {n} day at {time}", "every {n} days at {time}", every, time=clock)
    if freq in ("WEEKLY", "DAILY") and "BYDAY" in parts:
        return _weekly(parts["BYDAY"], every, clock, lang)
    if freq == "MONTHLY" and every == 1:
        return _monthly(parts, clock, lang)
    if freq == "YEARLY" and every == 1 and "BYMONTH" in parts and "BYMONTHDAY" in parts:
        day = date(2000, int(parts["BYMONTH"]), int(parts["BYMONTHDAY"]))
        on = format_skeleton("MMMMd", day, locale=lang)
        return t(lang, "every year on {date} at {time}", date=on, time=clock)
    return None


def _weekly(byday: str, every: int, clock: str, lang: str) -> str:
    if byday == WEEKDAYS and every == 1:
        return t(lang, "every weekday at {time}", time=clock)
    days = format_list(_day_names(byday, lang), locale=lang)
    if every == 1:
        return t(lang, "every {days} at {time}", days=days, time=clock)
    if every == 2:
        return t(lang, "every other {days} at {time}", days=days, time=clock)
    return nt(lang, "every {n} week on {days} at {time}", "every {n} weeks on {days} at {time}",
              every, days=days, time=clock)  # fmt: skip


def _monthly(parts: dict[str, str], clock: str, lang: str) -> str | None:
    if "BYMONTHDAY" in parts and "BYDAY" not in parts:
        return t(lang, "on day {day} of every month at {time}", day=int(parts["BYMONTHDAY"]),
                 time=clock)  # fmt: skip
    byday = parts.get("BYDAY", "")
    if len(byday) < 3 or "," in byday or byday[-2:] not in DAYS:
        return None
    nth, weekday = byday[:-2], _day_names(byday[-2:], lang)[0]
    if nth == "-1":
        return t(lang, "on the last {weekday} of every month at {time}", weekday=weekday,
                 time=clock)  # fmt: skip
    if nth not in NTH:
        return None
    return t(lang, "on the {nth} {weekday} of every month at {time}", nth=t(lang, NTH[nth]),
             weekday=weekday, time=clock)  # fmt: skip
