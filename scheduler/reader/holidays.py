"""Holidays people post on: fixed dates, nth weekdays, Easter-based, and the tabular
Islamic calendar (which can differ by a day from local moon sighting)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

from dateutil.easter import EASTER_ORTHODOX, easter  # type: ignore[import-untyped]

from scheduler.reader.hebrew import HOLIDAYS as JEWISH
from scheduler.reader.hindu import HOLIDAYS as HINDU
from scheduler.reader.moon import islamic_month_start

HolidayFn = Callable[[int], date | None]


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date | None:
    """The n-th (1-based; negative counts from the end) weekday of a month, or None."""
    if n > 0:
        first = date(year, month, 1)
        day = first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    else:
        nxt = date(year + (month == 12), month % 12 + 1, 1)
        last = nxt - timedelta(days=1)
        day = last - timedelta(days=(last.weekday() - weekday) % 7 + 7 * (-n - 1))
    return day if day.month == month else None


def _fixed(month: int, day: int) -> HolidayFn:
    return lambda y: date(y, month, day)


def _nth(month: int, weekday: int, n: int, shift: int = 0) -> HolidayFn:
    def fn(y: int) -> date | None:
        d = nth_weekday(y, month, weekday, n)
        return d + timedelta(days=shift) if d else None

    return fn


def _easter(shift: int, method: int = 3) -> HolidayFn:
    return lambda y: easter(y, method) + timedelta(days=shift)


def _weekday_nearest(month: int, day: int) -> HolidayFn:
    # Observed on the nearest weekday when the date falls on a weekend.
    def fn(y: int) -> date:
        d = date(y, month, day)
        return d + timedelta(days={5: -1, 6: 1}.get(d.weekday(), 0))

    return fn


def _kings_day(y: int) -> date:
    d = date(y, 4, 27)
    return d - timedelta(days=1) if d.weekday() == 6 else d


def _hijri_to_date(hy: int, hm: int, hd: int) -> date:
    # The tabular month start locates the new moon; the month begins as Umm al-Qura has it.
    days = 1 + (295 * (hm - 1) + 9) // 10 + (hy - 1) * 354 + (3 + 11 * hy) // 30
    return islamic_month_start(date.fromordinal(days + 227014)) + timedelta(days=hd - 1)


def _islamic(hm: int, hd: int, last_friday: bool = False) -> HolidayFn:
    def fn(y: int) -> date | None:
        guess = int((y - 622) * 33 / 32)
        for hy in (guess - 1, guess, guess + 1, guess + 2):
            d = _hijri_to_date(hy, hm, hd)
            if last_friday:
                # The last Friday of Ramadan: strictly before the first of Shawwal.
                d -= timedelta(days=(d.weekday() - 4) % 7 or 7)
            if d.year == y:
                return d
        return None

    return fn


_LUNAR_NEW_YEAR = {
    2010: (2, 14),
    2011: (2, 3),
    2012: (1, 23),
    2013: (2, 10),
    2014: (1, 31),
    2015: (2, 19),
    2016: (2, 8),
    2017: (1, 28),
    2018: (2, 16),
    2019: (2, 5),
    2020: (1, 25),
    2021: (2, 12),
    2022: (2, 1),
    2023: (1, 22),
    2024: (2, 10),
    2025: (1, 29),
    2026: (2, 17),
    2027: (2, 6),
    2028: (1, 26),
    2029: (2, 13),
    2030: (2, 3),
    2031: (1, 23),
    2032: (2, 11),
    2033: (1, 31),
    2034: (2, 19),
    2035: (2, 8),
}


def _lunar_new_year(y: int) -> date | None:
    md = _LUNAR_NEW_YEAR.get(y)
    return date(y, *md) if md else None


_S = r"(?:'s|s|s')?"
HOLIDAYS: tuple[tuple[str, HolidayFn], ...] = (
    (r"new year" + _S + r" eve", _fixed(12, 31)),
    (r"(?:chinese|lunar)(?: lunar)? new year" + _S + r"(?: day)?", _lunar_new_year),
    (r"(?:islamic|hijri) new year|amun jadid", _islamic(1, 1)),
    (r"new year" + _S + r" day|new year" + _S, _fixed(1, 1)),
    (r"valentine" + _S + r"(?: day)?", _fixed(2, 14)),
    (r"groundhog day", _fixed(2, 2)),
    (r"(?:st\.?|saint) (?:patrick|paddy)" + _S + r"(?: day)?", _fixed(3, 17)),
    (r"(?:international )?women" + _S + r" day", _fixed(3, 8)),
    (r"april fool" + _S + r"(?: day)?", _fixed(4, 1)),
    (r"earth day", _fixed(4, 22)),
    (r"cinco de mayo", _fixed(5, 5)),
    (r"juneteenth", _fixed(6, 19)),
    (r"independence day|(?:the )?fourth of july", _fixed(7, 4)),
    (r"halloween", _fixed(10, 31)),
    (r"world vegan day", _fixed(11, 1)),
    (r"veterans" + _S + r" day", _fixed(11, 11)),
    (r"christmas eve|xmas eve", _fixed(12, 24)),
    (r"(?:christmas|xmas)(?: day)?", _fixed(12, 25)),
    (r"boxing day", _fixed(12, 26)),
    (r"mother" + _S + r" day", _nth(5, 6, 2)),
    (r"father" + _S + r" day", _nth(6, 6, 3)),
    (r"memorial day", _nth(5, 0, -1)),
    (r"labou?r day", _nth(9, 0, 1)),
    (r"columbus day", _nth(10, 0, 2)),
    (r"president" + _S + r" day", _nth(2, 0, 3)),
    (r"thanksgiving(?: day)?", _nth(11, 3, 4)),
    (r"black friday", _nth(11, 3, 4, 1)),
    (r"cyber monday", _nth(11, 3, 4, 4)),
    (r"(?:mlk|martin luther king" + _S + r")(?: jr\.?)? day|civil rights day", _nth(1, 0, 3)),
    (r"boss" + _S + r"(?: day)?", _weekday_nearest(10, 16)),
    (r"king" + _S + r" day|koningsdag", _kings_day),
    (r"corpus christi", _easter(60)),
    (r"holy saturday|easter saturday", _easter(-1)),
    (r"orthodox easter monday", _easter(1, EASTER_ORTHODOX)),
    (r"orthodox holy saturday", _easter(-1, EASTER_ORTHODOX)),
    (r"orthodox palm sunday", _easter(-7, EASTER_ORTHODOX)),
    (r"orthodox easter(?: sunday)?", _easter(0, EASTER_ORTHODOX)),
    (r"orthodox (?:good|great) friday", _easter(-2, EASTER_ORTHODOX)),
    (r"clean monday|orthodox shrove monday", _easter(-48, EASTER_ORTHODOX)),
    (r"lazarus saturday", _easter(-8, EASTER_ORTHODOX)),
    (r"easter mon(?:day)?", _easter(1)),
    (r"easter(?: sunday)?", _easter(0)),
    (r"good friday", _easter(-2)),
    (r"maundy thursday|covenant thu(?:rsday)?|thu(?:rsday)? of mysteries", _easter(-3)),
    (r"palm sunday|branch sunday", _easter(-7)),
    (r"ash wednesday", _easter(-46)),
    (r"shrove tuesday|pancake day|mardi gras", _easter(-47)),
    (r"ascension day", _easter(39)),
    (r"pentecost|whitsun(?:day)?|white sunday", _easter(49)),
    (r"whit monday|monday of the holy spirit", _easter(50)),
    (r"trinity sunday", _easter(56)),
    (r"(?:vaisakhi|baisakhi|vasakhi|vaishakhi)", _fixed(4, 14)),
    (r"rabindra(?:nath)? jayanti", _fixed(5, 9)),
    (r"(?:thai )?pongal|makara? sankranthi", _fixed(1, 14)),
    (r"eid al-fitr|eid ul-fitr|eid al fitr", _islamic(10, 1)),
    (r"eid al-adha|id ul-adha|eid ul-adha|sacrifice feast|bakr id", _islamic(12, 10)),
    (r"(?:day of )?ashura", _islamic(1, 10)),
    (r"mawlid(?: al-nabawi)?", _islamic(3, 12)),
    (r"laylat al[- ]?[kq]adr|night of (?:power|measures)", _islamic(9, 27)),
    (
        r"isra and mi'raj|(?:the )?prophet's ascension|(?:the )?night journey"
        r"|ascension to heaven",
        _islamic(7, 27),
    ),
    (r"jumu'atul-wida|jamat ul-vida", _islamic(10, 1, last_friday=True)),
    (r"ramadan", _islamic(9, 1)),
    *JEWISH,
    *HINDU,
)

HOLIDAY_RE = re.compile(
    r"\b(?:(?P<rel>next|last|this|the) )?(?P<name>"
    + "|".join(f"(?:{p})" for p, _ in HOLIDAYS)
    + r")(?![\w'])"
)
_COMPILED = tuple((re.compile(f"(?:{p})$"), fn) for p, fn in HOLIDAYS)


def holiday_fn(name: str) -> HolidayFn | None:
    """The date function for a holiday name as matched by HOLIDAY_RE."""
    for pattern, fn in _COMPILED:
        if pattern.match(name):
            return fn
    return None


def holiday_on_or_after(fn: HolidayFn, start: date) -> date | None:
    """The first occurrence of the holiday on or after ``start``."""
    for y in range(start.year, start.year + 3):
        d = fn(y)
        if d is not None and d >= start:
            return d
    return None


def holiday_before(fn: HolidayFn, start: date) -> date | None:
    """The last occurrence of the holiday strictly before ``start``."""
    for y in range(start.year, start.year - 3, -1):
        d = fn(y)
        if d is not None and d < start:
            return d
    return None
