"""Hindu and Buddhist festivals that follow the moon, from new and full moons in Indian time.

A lunar month (amanta) begins at the new moon and is named by the sidereal sign the Sun is in
then (Lahiri ayanamsa): Chaitra with the Sun in Pisces, Shravana in Cancer, Kartika (whose new
moon is Diwali) in Libra; a second new moon in the same sign starts a leap month, skipped here.
A festival kept in the evening (Diwali, Holika Dahan, Vesak) falls on the day whose evening the
tithi covers; one kept in the day (Raksha Bandhan, Ugadi) on the day whose sunrise it covers, in
Indian time. Tithis are taken as 23.6 hours ending at the moon's instant, so a date can be a day
off when that instant falls near a cut-off.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

from scheduler.reader.moon import k_near, new_moon_jd

_IST = timezone(timedelta(hours=5, minutes=30))
_JD_UNIX = 2440587.5


def _ist(k: float) -> datetime:
    return (
        datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=new_moon_jd(k) - _JD_UNIX)
    ).astimezone(_IST)


def _sidereal_sign(jd: float) -> int:
    """The sidereal sign (0 Aries ... 11 Pisces) of the Sun, Lahiri ayanamsa, low precision."""
    n = jd - 2451545.0
    g = math.radians(357.528 + 0.9856003 * n)
    tropical = 280.460 + 0.9856474 * n + 1.915 * math.sin(g) + 0.020 * math.sin(2 * g)
    ayanamsa = 23.853 + 0.013969 * n / 365.25
    return int(((tropical - ayanamsa) % 360) // 30)


def _new_moon_k(y: int, sign: int, month: int) -> int | None:
    """The new moon of year ``y`` (about ``month``) with the Sun in sidereal ``sign``."""
    near = k_near(date(y, month, 1))
    for k in (near + i for i in (-1, 0, 1, 2)):
        if _sidereal_sign(new_moon_jd(k)) == sign and _ist(k).year == y:
            return k
    return None


def _evening(k: float) -> date:
    # A tithi lasts about 23.6 hours up to the moon's instant: the day whose sunset (17:45)
    # it covers.
    return (_ist(k) - timedelta(hours=17, minutes=45)).date()


def _daytime(k: float) -> date:
    # The day whose sunrise (06:00) the tithi ending at the moon's instant covers.
    return (_ist(k) - timedelta(hours=6)).date()


def _from_sunrise(k: float) -> date:
    # The first tithi after a new moon: the day whose sunrise follows the new moon.
    return _daytime(k) + timedelta(days=1)


def _festival(
    sign: int, month: int, when: Callable[[int], date], shift: int = 0
) -> Callable[[int], date | None]:
    def fn(y: int) -> date | None:
        k = _new_moon_k(y, sign, month)
        return None if k is None else when(k) + timedelta(days=shift)

    return fn


# (sidereal sign of the Sun at the month's new moon, Gregorian month it is near)
_CHAITRA = (11, 3)
_SHRAVANA = (3, 7)
_KARTIKA = (6, 10)
_MAGHA = (9, 1)
_ASHVIN = (5, 9)


def _diwali(shift: int = 0) -> Callable[[int], date | None]:
    return _festival(*_KARTIKA, _evening, shift)


HOLIDAYS: tuple[tuple[str, Callable[[int], date | None]], ...] = (
    (r"y?ugadi|samvatsaradi|chaitra sukh?ladi", _festival(*_CHAITRA, _from_sunrise)),
    # Phalguna's full moon is the one before Chaitra's new moon.
    (r"holika dahan|chh?oti holi|kamudu pyre", _festival(*_CHAITRA, lambda k: _evening(k - 0.5))),
    (r"holi|dhulandi|phagwah", _festival(*_CHAITRA, lambda k: _evening(k - 0.5), 1)),
    # Vaisakha's full moon follows the new moon after Chaitra's.
    (
        r"vesak|vaisakha|buddha(?: |-)(?:day|tag|purnima|jayanti)",
        _festival(*_CHAITRA, lambda k: _evening(k + 1.5)),
    ),
    (
        r"guru ravidass? (?:jayanti|birthday|geburtstag)",
        _festival(*_MAGHA, lambda k: _daytime(k + 0.5)),
    ),
    (
        r"(?:maharishi )?valmiki jayanti|pargat diwas",
        _festival(*_ASHVIN, lambda k: _daytime(k + 0.5)),
    ),
    (r"raksha bandhan|rakhi", _festival(*_SHRAVANA, lambda k: _daytime(k + 0.5))),
    (r"dhanteras|dhanatrayodashi", _diwali(-2)),
    (r"naraka chaturdashi|kali chaudas|chh?oti diwali", _diwali(-1)),
    (r"govardhan puja|annakut", _diwali(1)),
    (r"bhai dooj|bhau beej|bhai tika", _diwali(2)),
    (r"chhath(?: puja)?|dala puja|surya shashthi", _diwali(6)),
    (r"diwali|deepavali|lakshmi puja", _diwali()),
)
