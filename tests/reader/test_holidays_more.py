"""Jewish holidays (arithmetic Hebrew calendar, dated by their eve) and German holiday names."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from scheduler.reader import parse_time
from scheduler.reader.hebrew import hebrew_to_date
from tests.reader.conftest import TZ, at

JAN_2018 = at(2018, 1, 2, 10, 0)


@pytest.mark.parametrize(
    ("hebrew", "gregorian"),
    [
        ((5779, 7, 1), date(2018, 9, 10)),  # Rosh Hashanah 5779
        ((5773, 12, 14), date(2013, 2, 24)),  # Purim 5773, a common year
        ((5776, 13, 14), date(2016, 3, 24)),  # Purim 5776, in Adar II of a leap year
        ((5785, 1, 15), date(2025, 4, 13)),  # Passover 5785
    ],
)
def test_hebrew_dates(hebrew: tuple[int, int, int], gregorian: date) -> None:
    assert hebrew_to_date(*hebrew) == gregorian


@pytest.mark.parametrize(
    ("phrase", "day"),
    [
        ("yom kippur 2018", date(2018, 9, 18)),
        ("shemini atzeret 2018", date(2018, 9, 30)),
        ("tisha b'av 2018", date(2018, 7, 21)),  # the 9th of Av was a Sabbath: moved to Sunday
        ("yom haatzmaut 2018", date(2018, 4, 18)),  # moved from Friday to Thursday
        ("yom hashoah 2017", date(2017, 4, 23)),  # moved from Sunday to Monday
        ("tu bishvat 2018", date(2018, 1, 30)),
        ("lag baomer 2018", date(2018, 5, 2)),
    ],
)
def test_jewish_holidays_are_their_eve(phrase: str, day: date) -> None:
    r = parse_time(phrase, now=at(2013, 2, 12, 10, 0), tz=TZ)
    assert r is not None
    assert r.when.date() == day


@pytest.mark.parametrize(
    ("phrase", "when"),
    [
        ("Karfreitag", at(2018, 3, 30, 9, 0)),
        ("Ostermontag", at(2018, 4, 2, 9, 0)),
        ("Christi Himmelfahrt", at(2018, 5, 10, 9, 0)),
        ("Fronleichnam", at(2018, 5, 31, 9, 0)),
        ("Tag der Deutschen Einheit", at(2018, 10, 3, 9, 0)),
        ("Nikolaus", at(2018, 12, 6, 9, 0)),
        ("Orthodoxer Ostermontag", at(2018, 4, 9, 9, 0)),
    ],
)
def test_german_holiday_names(phrase: str, when: datetime) -> None:
    r = parse_time(phrase, now=JAN_2018, tz=TZ, lang="de")
    assert r is not None
    assert r.when == when
    assert r.problems == ()


def test_new_moon_instant() -> None:
    from scheduler.reader.moon import new_moon_jd

    # The new moon of 2018-08-11 was at 09:58 UT (a partial solar eclipse that day).
    jd = new_moon_jd(230)
    assert abs(jd - 2458341.9153) < 3 / 1440  # within three minutes


@pytest.mark.parametrize(
    ("phrase", "day"),
    [
        ("eid al-adha 2018", date(2018, 8, 21)),  # 10 Dhu al-Hijjah 1439, Umm al-Qura
        ("islamic new year 2018", date(2018, 9, 11)),  # 1 Muharram 1440
        ("ramadan 2026", date(2026, 2, 18)),  # 1 Ramadan 1447
    ],
)
def test_islamic_holidays_follow_the_umm_al_qura_month_start(phrase: str, day: date) -> None:
    r = parse_time(phrase, now=at(2013, 2, 12, 10, 0), tz=TZ)
    assert r is not None
    assert r.when.date() == day


@pytest.mark.parametrize(
    ("phrase", "day"),
    [
        ("diwali 2013", date(2013, 11, 3)),
        ("diwali 2019", date(2019, 10, 27)),
        ("diwali 2020", date(2020, 11, 14)),  # a leap month: the new moon of 17 October is not it
        ("diwali 2023", date(2023, 11, 12)),
        ("bhai dooj 2019", date(2019, 10, 29)),
        ("holi 2019", date(2019, 3, 21)),
        ("ugadi 2018", date(2018, 3, 18)),
        ("raksha bandhan 2018", date(2018, 8, 26)),
        ("guru ravidas jayanti 2019", date(2019, 2, 19)),
        ("valmiki jayanti 2018", date(2018, 10, 24)),
    ],
)
def test_hindu_festivals_follow_the_moon(phrase: str, day: date) -> None:
    r = parse_time(phrase, now=at(2013, 2, 12, 10, 0), tz=TZ)
    assert r is not None
    assert r.when.date() == day
