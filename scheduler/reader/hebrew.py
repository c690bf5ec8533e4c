"""Jewish holidays from the arithmetic Hebrew calendar.

The calendar arithmetic (molad of Tishri, postponements, month lengths) is the standard one
described in Dershowitz and Reingold, "Calendrical Calculations". A Jewish holiday begins at
sunset the evening before its first day; like the Duckling corpus, the date given is that
evening's (Yom Kippur 5779 is 2018-09-18, its eve).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

# R.D. (date.toordinal) of 1 Tishri AM 1.
_EPOCH = -1373427
NISAN, IYAR, AV, TISHRI, SHEVAT, ADAR = 1, 2, 5, 7, 11, 12


def _leap(year: int) -> bool:
    return (7 * year + 1) % 19 < 7


def _elapsed(year: int) -> int:
    months = (235 * year - 234) // 19
    parts = 12084 + 13753 * months
    day = 29 * months + parts // 25920
    return day + 1 if (3 * (day + 1)) % 7 < 3 else day


def _new_year(year: int) -> int:
    ny0, ny1, ny2 = _elapsed(year - 1), _elapsed(year), _elapsed(year + 1)
    delay = 2 if ny2 - ny1 == 356 else 1 if ny1 - ny0 == 382 else 0
    return _EPOCH + ny1 + delay


def _month_days(year: int, month: int) -> int:
    length = _new_year(year + 1) - _new_year(year)
    if month in (2, 4, 6, 10, 13) or (month == 12 and not _leap(year)):
        return 29
    if month == 8 and length % 10 != 5:  # Heshvan is long only in 355- and 385-day years
        return 29
    if month == 9 and length % 10 == 3:  # Kislev is short in 353- and 383-day years
        return 29
    return 30


def hebrew_to_date(year: int, month: int, day: int) -> date:
    """The Gregorian date of a Hebrew date (months: Nisan 1 ... Adar 12, Adar II 13)."""
    last = 13 if _leap(year) else 12
    rd = _new_year(year) + day - 1
    if month < TISHRI:
        rd += sum(_month_days(year, m) for m in range(TISHRI, last + 1))
        rd += sum(_month_days(year, m) for m in range(1, month))
    else:
        rd += sum(_month_days(year, m) for m in range(TISHRI, month))
    return date.fromordinal(rd)


def _observed(d: date, moves: dict[int, int]) -> date:
    return d + timedelta(days=moves.get(d.weekday(), 0))


def jewish(month: int, day: int, moves: dict[int, int] | None = None) -> Callable[[int], date]:
    """The eve of a Jewish holiday in Gregorian year ``y`` (weekday moves are applied first)."""

    def fn(y: int) -> date:
        # Tishri to Kislev fall in the autumn of Gregorian y, which is Hebrew year y + 3761;
        # Shevat to Elul fall in its winter to summer, Hebrew year y + 3760.
        year = y + 3761 if TISHRI <= month <= 9 else y + 3760
        target = 13 if month == ADAR and _leap(year) else month  # leap years: Adar II
        first = hebrew_to_date(year, target, day)
        return _observed(first, moves or {}) - timedelta(days=1)

    return fn


# Yom HaShoah moves off Friday to Thursday and off Sunday to Monday; Yom Ha'atzmaut off
# Friday or Saturday to Thursday and off Monday to Tuesday (Israeli law).
HOLIDAYS: tuple[tuple[str, Callable[[int], date]], ...] = (
    (r"rosh hashanah?", jewish(TISHRI, 1)),
    (r"yom kippur|jom kippur", jewish(TISHRI, 10)),
    (r"sh(?:e|'|)mini atzeret|schmini azeret|schemini azeret", jewish(TISHRI, 22)),
    (r"simchat torah|simhat torah", jewish(TISHRI, 23)),
    (r"tisha b'?av", jewish(AV, 9, {5: 1})),  # a fast on the Sabbath moves to Sunday
    (r"tu b[ie]sh(?:e)?vat|tu bischevat", jewish(SHEVAT, 15)),
    (r"shushan purim", jewish(ADAR, 15)),
    (r"purim", jewish(ADAR, 14)),
    (r"lag b[a']?omer|lag laomer", jewish(IYAR, 18)),
    (
        r"(?:yom|jom) ha'?shoah|holocaust(?:-| )?gedenktag|holocaust remembrance day",
        jewish(NISAN, 27, {4: -1, 6: 1}),
    ),
    (r"(?:yom|jom) ha'?atzmaut", jewish(IYAR, 5, {4: -1, 5: -2, 0: 1})),
)
