"""Rules for zones, "now", relative offsets and times of day."""

from __future__ import annotations

import re

from core.i18n import msg
from scheduler.reader.state import Rule, State, num
from scheduler.reader.words import WEEKDAY_RE, WEEKDAYS
from scheduler.reader.zones import ABBREV_RE, get_zone, offset_zone

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}
_UNIT_RE = (
    r"(?P<u>seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|wks?|fortnights?"
    r"|months?|mos?|quarters?|qtrs?|years?|yrs?|'|h|m|d|w|y)"
)
_QTY_RE = (
    r"(?P<q>(?:an? )?quarter of an?|3[ -]quarters of an?|half an?|an? half|1/4|1/2|3/4|"
    r"\d+(?:\.\d+)?(?: and an? half)?|a couple(?: of)?|couple of|a pair of|a few|few|several"
    r"|an?)"
)
_FUTURE = r"from (?:right )?now|from today|hence|later|from now on"
_PAST = r"ago|back|before now|earlier"


def _quantity(q: str) -> float:
    q = q.strip()
    if q.endswith("half") and q[0].isdigit():
        return float(q.split()[0]) + 0.5
    table = {
        "a": 1.0,
        "an": 1.0,
        "a couple": 2.0,
        "a couple of": 2.0,
        "couple of": 2.0,
        "a pair of": 2.0,
        "a few": 3.0,
        "few": 3.0,
        "several": 3.0,
        "1/4": 0.25,
        "1/2": 0.5,
        "3/4": 0.75,
        "half a": 0.5,
        "half an": 0.5,
        "a half": 0.5,
        "an half": 0.5,
    }
    if q in table:
        return table[q]
    if "quarters" in q:
        return 0.75
    if "quarter" in q:
        return 0.25
    return float(q)


def set_delta(st: State, amount: float, unit: str) -> bool:
    """Add an offset of ``amount`` units to the state; False when one is already set."""
    if st.delta is not None:
        return False
    u = unit.rstrip("s") if len(unit) > 1 else unit
    if u in ("'", "minute", "min", "m"):
        st.delta, st.delta_grain = (amount * 60, 0, 0), "minute"
    elif u in ("second", "sec"):
        st.delta, st.delta_grain = (amount, 0, 0), "second"
    elif u in ("hour", "hr", "h"):
        st.delta, st.delta_grain = (amount * 3600, 0, 0), "minute"
    elif u in ("day", "d", "week", "wk", "w", "fortnight"):
        days = amount * {"fortnight": 14, "week": 7, "wk": 7, "w": 7}.get(u, 1)
        if days != int(days):
            st.delta, st.delta_grain = (days * 86400, 0, 0), "hour"
        else:
            st.delta, st.delta_grain = (0, int(days), 0), "day"
    else:
        months = amount * {"quarter": 3, "qtr": 3, "year": 12, "yr": 12, "y": 12}.get(u, 1)
        st.delta, st.delta_grain = (0, 0, round(months)), "day"
    return True


def _relative(st: State, m: re.Match[str]) -> bool:
    amount = _quantity(m.group("q"))
    if m.group("dir") and m.group("dir").split()[0] in ("ago", "back", "before", "earlier"):
        amount = -amount
    return set_delta(st, amount, m.group("u"))


def _in_hm(st: State, m: re.Match[str]) -> bool:
    return set_delta(st, int(m.group(1)) * 60 + int(m.group(2)), "minutes")


def _in_minutes(st: State, m: re.Match[str]) -> bool:
    return set_delta(st, float(m.group(1)), "minutes")


def _weekday_count(st: State, m: re.Match[str]) -> bool:
    n = int(m.group(1))
    sign = -1 if m.group(3) in ("ago", "back") else 1
    st.wd_count = (sign * n, WEEKDAYS[m.group(2)])
    return True


def _zone(st: State, m: re.Match[str]) -> bool:
    if st.zone is not None:
        return False
    abbr, off, iana = m.group("abbr"), m.group("off"), m.group("iana")
    if off:
        st.zone = offset_zone(off.replace(" ", ""))
        return st.zone is not None
    try:
        st.zone = get_zone(iana or abbr)
    except ValueError:
        return False
    return True


def _now(st: State, m: re.Match[str]) -> bool:
    st.now_anchor = True
    return True


def set_time(
    st: State,
    hour: int,
    minute: int = 0,
    second: int = 0,
    ampm: str | None = None,
    exact24: bool = False,
) -> bool:
    """Record a time of day; False if one is already set or it is not a valid time."""
    if st.hour is not None or hour > 24 or minute > 59 or second > 59:
        return False
    if ampm and not 1 <= hour <= 12:
        # "13pm" names no hour: asking beats guessing 13:00 (the 24-hour reading) or 1pm.
        if hour > 12 and ampm[0] == "p":
            st.problems.append(msg(
                "{hour}pm is not a time of day: write {hour}:00 (24-hour) or {twelve}pm",
                hour=hour, twelve=hour - 12 if hour < 24 else 12,
            ))  # fmt: skip
            ampm = None
        else:
            return False
    st.hour, st.minute, st.second = hour, minute, second
    st.ampm = ampm[0] + "m" if ampm else None
    st.exact24 = exact24 or hour == 0 or hour > 12
    return True


def _hms(st: State, m: re.Match[str]) -> bool:
    h = m.group("h")
    st.minute_written = st.hour is None
    return set_time(
        st,
        int(h),
        int(m.group("m")),
        num(m.group("s")),
        m.group("ap"),
        exact24=len(h) == 2 and h.startswith("0"),
    )


def _h_suffix(st: State, m: re.Match[str]) -> bool:
    return set_time(st, int(m.group("h")), num(m.group("m")), exact24=True)


def _h_ampm(st: State, m: re.Match[str]) -> bool:
    return set_time(st, int(m.group("h")), num(m.group("m")), 0, m.group("ap"))


def _hmm(st: State, m: re.Match[str]) -> bool:
    digits = m.group("hm")
    return set_time(st, int(digits[:-2]), int(digits[-2:]), 0, m.group("ap"))


def _hour_ref(text: str) -> tuple[int, str | None]:
    text = text.strip()
    if text in ("noon", "midday"):
        return 12, "pm"
    if text == "midnight":
        return 0, None
    hm = re.match(r"(\d{1,2})\s*(am|pm|h)?", text)
    assert hm is not None
    ap = hm.group(2)
    return int(hm.group(1)), (ap if ap in ("am", "pm") else None)


def _past_to(st: State, m: re.Match[str]) -> bool:
    hour, ap = _hour_ref(m.group("ref"))
    mins = {"quarter": 15, "half": 30}.get(m.group("mm"))
    minutes = mins if mins is not None else int(m.group("mm"))
    if m.group("dir") in ("to", "till", "before", "of"):
        if minutes > 60:
            return False
        hour, minutes = hour - 1, 60 - minutes
        if hour < 0:
            hour = 23
        elif hour == 11 and ap == "pm":
            ap = "am"
        elif hour == 0 and ap:
            hour, ap = 12, ("am" if ap == "pm" else "pm")
    exact = m.group("ref").strip().endswith("h") or hour > 12
    return set_time(st, hour, minutes, 0, ap, exact24=exact)


def _half(st: State, m: re.Match[str]) -> bool:
    return set_time(st, int(m.group(1)), 30)


def _noon(st: State, m: re.Match[str]) -> bool:
    word = m.group(1)
    return set_time(st, 0 if word == "midnight" else 12, exact24=True)


def _oclock(st: State, m: re.Match[str]) -> bool:
    return set_time(st, int(m.group("h")), 0, 0, m.group("ap"))


def _at_hour(st: State, m: re.Match[str]) -> bool:
    return set_time(st, int(m.group("h")), num(m.group("m")))


def _part(st: State, m: re.Match[str]) -> bool:
    word = m.group("part")
    if word in ("am", "pm"):
        if st.ampm is not None:
            return False
        st.ampm = word
        return True
    if st.part is not None:
        return False
    if word in ("tonight", "tonite"):
        word = "late night" if m.group(0).startswith("late") else "tonight"
    elif word.startswith("lunch"):
        word = "lunch"
    elif m.group(0).startswith("early"):
        word = "early " + word
    st.part = word
    return True


def _c(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


_AP = r"(?:\s*(?P<ap>am|pm))?"
_REF = r"(?P<ref>noon|midday|midnight|\d{1,2}(?:\s*(?:am|pm|h))?)"
CLOCK_RULES: tuple[Rule, ...] = (
    (
        _c(
            r"\b(?:utc|gmt)\s*(?P<off>[+-]\s*\d{1,2}(?::?\d{2})?)(?!\d)|\(?\b(?P<abbr>"
            + ABBREV_RE
            + r")\b\)?|\b(?P<iana>[a-z]+/[a-z_]+(?:/[a-z_]+)?|utc|gmt)\b"
        ),
        _zone,
    ),
    (_c(r"\bin (\d{1,2})h(\d{2})\b"), _in_hm),
    (
        _c(
            r"\b(?:(?:with)?in|after) (?:about |around |approximately |another )?"
            + _QTY_RE
            + r" ?(?:more )?"
            + _UNIT_RE
            + r"(?![\w/])(?: (?P<dir>"
            + _FUTURE
            + r"))?"
        ),
        _relative,
    ),
    (
        _c(
            r"(?<![\w/])"
            + _QTY_RE
            + r" ?(?:more )?"
            + _UNIT_RE
            + r" (?P<dir>"
            + _FUTURE
            + "|"
            + _PAST
            + r")\b"
        ),
        _relative,
    ),
    (
        _c(
            r"\b(?:upcoming "
            + _QTY_RE
            + " "
            + _UNIT_RE
            + r"|"
            + _QTY_RE.replace("?P<q>", "?P<q2>")
            + r" upcoming "
            + _UNIT_RE.replace("?P<u>", "?P<u2>")
            + r")(?![\w])"
        ),
        lambda st, m: set_delta(
            st, _quantity(m.group("q") or m.group("q2")), m.group("u") or m.group("u2")
        ),
    ),
    (_c(r"\b(\d+) (" + WEEKDAY_RE + r")s? (from now|hence|ago|back)\b"), _weekday_count),
    (_c(r"\bin (\d{1,3})$"), _in_minutes),
    (_c(r"\b(?:right now|just now|at the moment|at this time|atm|now|immediately|asap)\b"), _now),
    (
        _c(r"(?<![\d.:/])(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?(?:\s*(?P<ap>am|pm|a|p)\b)?"),
        _hms,
    ),
    (
        _c(
            r"(?:\b(?:at|by|around|about|for|approximately) |@ )(?P<h>\d{1,2}) (?P<m>\d{2})"
            r"(?P<ap>)(?!\d| ?(?:am|pm|h\b|/))(?=\s|$)"
        ),
        _h_ampm,
    ),
    (_c(r"(?<![\d.:/])(?P<h>\d{1,2}) (?P<m>\d{2}) ?(?P<ap>am|pm)\b"), _h_ampm),
    (
        _c(
            r"\b(?:(?:a )?(?P<mm>quarter|half|\d{1,2})(?: minutes?)?) (?P<dir>past|after|to|till"
            r"|before|of|from) " + _REF + r"(?!\w)"
        ),
        _past_to,
    ),
    (_c(r"(?<![\d.:/])(?P<h>\d{1,2})h(?P<m>\d{2})?\b"), _h_suffix),
    (_c(r"(?<![\d.:/-])(?P<h>\d{1,2})(?P<m>)\s*(?P<ap>am|pm)\b"), _h_ampm),
    (_c(r"(?:\b(?:at|around|about|for) |@ ?)(?P<h>\d{1,2})(?P<m>)(?P<ap>a|p)\b"), _h_ampm),
    (_c(r"(?:\b(?:at|around|about|approximately) |@ ?)(?P<hm>\d{3,4})(?P<ap>)(?![\d.\-/:])"), _hmm),
    (_c(r"(?<![\d.:/])(?P<hm>\d{3,4}) ?(?P<ap>am|pm)\b"), _hmm),
    (_c(r"\bhalf (\d{1,2})\b(?! ?(?:hours?|an?\b))"), _half),
    (_c(r"\b(?:12 )?(noon|midday|mid day|midnight)\b"), _noon),
    (_c(r"\b(?P<h>\d{1,2}) ?o'?clock(?: (?P<ap>am|pm))?\b"), _oclock),
    (_c(r"(?:\b(?:at|around|about|for)|@) ?(?P<h>\d{1,2})(?P<m>)(?![\d:/.\-]|\w)"), _at_hour),
    (
        _c(
            r"(?<![\d.:/])(?P<h>\d{1,2})(?P<m>)(?=\s+(?:\|\s+)*(?:in the (?:morning|afternoon"
            r"|evening|am|pm)|tonight|tonite|this (?:morning|afternoon|evening)"
            r"|(?:\| )*(?:morning|evening|afternoon)"
            r"|tomorrow|today))"
        ),
        _at_hour,
    ),
    (
        _c(
            r"\b(?:early |late )?(?:(?:in|during) the |this |today |at )?(?P<part>morning|afternoon"
            r"|evening|night|tonight|tonite|lunch(?:time)?|am|pm)\b"
        ),
        _part,
    ),
)
