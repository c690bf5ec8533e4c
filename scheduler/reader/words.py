"""Normalisation of a time phrase: case, punctuation, number words, am/pm spellings."""

from __future__ import annotations

import re

MONTHS: dict[str, int] = {
    "january": 1,
    "jan": 1,
    "february": 2,
    "feb": 2,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "jun": 6,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sept": 9,
    "sep": 9,
    "october": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}
WEEKDAYS: dict[str, int] = {
    "monday": 0,
    "mon": 0,
    "tuesday": 1,
    "tues": 1,
    "tue": 1,
    "wednesday": 2,
    "wed": 2,
    "thursday": 3,
    "thurs": 3,
    "thur": 3,
    "thu": 3,
    "friday": 4,
    "fri": 4,
    "saturday": 5,
    "sat": 5,
    "sunday": 6,
    "sun": 6,
}
RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

# Longest names first so "september" wins over "sep" inside an alternation.
MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
WEEKDAY_RE = "|".join(sorted(WEEKDAYS, key=len, reverse=True))

_UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50}
_ORD_UNITS = {
    "first": 1,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
    "twentieth": 20,
    "thirtieth": 30,
}
_SUFFIX = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd", 31: "st"}

_UNIT_RE = "|".join(sorted(_UNITS, key=len, reverse=True))
_TENS_RE = "|".join(_TENS)
_ORD_RE = "|".join(sorted(_ORD_UNITS, key=len, reverse=True))

_THOUSAND = re.compile(
    rf"\btwo thousand(?: and)?(?: ({_TENS_RE})[ -]?({_UNIT_RE})?| ({_UNIT_RE}))?\b"
)
_COMPOUND = re.compile(rf"\b({_TENS_RE})[ -]({_UNIT_RE}|{_ORD_RE}|second)\b")
_TENS_ALONE = re.compile(rf"\b({_TENS_RE})\b")
_UNIT_WORD = re.compile(rf"\b({_UNIT_RE})\b")
_ORD_WORD = re.compile(rf"\b({_ORD_RE})\b")
# "second" is a unit ("in a second") unless it reads as an ordinal.
_SECOND_ORD = re.compile(
    r"\bsecond\b(?=\s+(?:of|last|closest|week|day|quarter|qtr|mon|tue|wed|thu|fri|sat|sun))"
    r"|(?<=\bthe )second\b|(?<=\d )second\b(?= of)"
)
_AMPM = re.compile(r"(?<=\d)\s*([ap])\.?\s?m\b\.?")
_ISH = re.compile(r"(?<=\d)ish\b")
_APOS = re.compile(r"[\u2018\u2019`]")
_SPACES = re.compile(r"\s+")
_PUNCT = re.compile(r"[!?;\"()\[\]]|(?<!\d),|,(?!\d)")
# Spellings typed in chat, read as the words they stand for.
_CHAT = {
    "tmrw": "tomorrow",
    "tmr": "tomorrow",
    "tmw": "tomorrow",
    "tmrow": "tomorrow",
    "2moro": "tomorrow",
    "2morrow": "tomorrow",
    "2mrw": "tomorrow",
    "tomoz": "tomorrow",
    "2day": "today",
    "2nite": "tonight",
    "2night": "tonight",
    "tonite": "tonight",
    "wk": "week",
    "wks": "weeks",
}
_CHAT_RE = re.compile(r"(?<![\w'])(" + "|".join(_CHAT) + r")(?![\w'])")
# "mon 9", "tomorrow 10": an hour right after a day is a time of day, as if "at" were typed.
_DAY_HOUR = re.compile(r"\b(" + WEEKDAY_RE + r"|tomorrow|today)\.? (\d{1,2})(?=$| (?:to|on|\|)\b)")


def ordinal(n: int) -> str:
    """Return n with its English ordinal suffix."""
    return f"{n}{_SUFFIX.get(n, 'th')}"


def _ord_word(m: re.Match[str]) -> str:
    return ordinal(_ORD_UNITS[m.group(1)])


def _compound(m: re.Match[str]) -> str:
    tens = _TENS[m.group(1)]
    second = m.group(2)
    if second in _UNITS:
        return str(tens + _UNITS[second])
    return ordinal(tens + (2 if second == "second" else _ORD_UNITS[second]))


def _thousand(m: re.Match[str]) -> str:
    n = 2000
    if m.group(1):
        n += _TENS[m.group(1)] + (_UNITS[m.group(2)] if m.group(2) else 0)
    elif m.group(3):
        n += _UNITS[m.group(3)]
    return str(n)


def normalise(phrase: str) -> str:
    """Lower-case, unify apostrophes and am/pm, and turn number words into digits."""
    s = _APOS.sub("'", phrase.lower())
    s = _PUNCT.sub(" ", s)
    s = _CHAT_RE.sub(lambda m: _CHAT[m.group(1)], s)
    s = _THOUSAND.sub(_thousand, s)
    s = _SECOND_ORD.sub("2nd", s)
    s = _COMPOUND.sub(_compound, s)
    s = _ORD_WORD.sub(_ord_word, s)
    s = _TENS_ALONE.sub(lambda m: str(_TENS[m.group(1)]), s)
    s = _UNIT_WORD.sub(lambda m: str(_UNITS[m.group(1)]), s)
    s = _ISH.sub("", s)
    s = _AMPM.sub(lambda m: f" {m.group(1)}m ", s)
    s = _SPACES.sub(" ", s).strip()
    return _DAY_HOUR.sub(r"\1 at \2", s)
