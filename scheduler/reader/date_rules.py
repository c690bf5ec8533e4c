"""Rules for dates: named and numeric dates, weekdays, months, weeks, quarters, years."""

from __future__ import annotations

import re
from datetime import date, timedelta

from core.i18n import N_, msg
from scheduler.reader.holidays import HOLIDAY_RE, holiday_fn, nth_weekday
from scheduler.reader.state import Rule, State, num
from scheduler.reader.words import MONTH_RE, MONTHS, WEEKDAY_RE, WEEKDAYS
from scheduler.reader.zones import month_first

_ORD = r"(?:st|nd|rd|th)"
_REL = {
    "this": 0,
    "current": 0,
    "next": 1,
    "following": 1,
    "coming": 1,
    "upcoming": 1,
    "last": -1,
    "past": -1,
    "previous": -1,
    "the following": 1,
    "around next": 1,
}
_REL_RE = (
    r"(?P<rel>this|current|next|following|the following|coming|upcoming|last|past"
    r"|previous|around next)"
)


def _year(text: str | None) -> int | None:
    if not text:
        return None
    text = text.lstrip("'")
    y = int(text)
    # Two-digit years: 00-69 are this century, 70-99 the last, as in strptime's %y.
    return y if len(text) > 2 else (2000 + y if y < 70 else 1900 + y)


def set_date(st: State, d: date, grain: str = "day") -> bool:
    """Record a fully computed date; False when a date is already known."""
    if st.date is not None or st.month is not None or st.day_offset is not None:
        return False
    st.date, st.grain = d, (grain if st.grain is None else st.grain)
    return True


def _ymd(st: State, m: re.Match[str]) -> bool:
    try:
        return set_date(st, date(int(m.group("y")), int(m.group("mo")), int(m.group("d"))))
    except ValueError:
        return False


def _year_month(st: State, m: re.Match[str]) -> bool:
    mo = int(m.group("mo"))
    if not 1 <= mo <= 12:
        return False
    return set_date(st, date(int(m.group("y")), mo, 1), "month")


def _numeric(st: State, m: re.Match[str]) -> bool:
    a, b, y = int(m.group("a")), int(m.group("b")), _year(m.group("y"))
    if st.month is not None or st.date is not None:
        return False
    if a > 12 >= b:
        a, b = b, a
    elif a <= 12 and b <= 12 and a != b and not month_first(st.now.tzinfo):
        written = m.group(0).strip()
        first, second = msg(_MONTH_NAMES[a]), msg(_MONTH_NAMES[b])
        st.problems.append(msg(
            "{written} could be {b} {first} or {a} {second}; I read it month first ({first} "
            "{b}). Write '{b} {first_short}' or '{second_short} {a}'",
            written=written, a=a, b=b, first=first, second=second,
            first_short=_MONTH_NAMES[a][:3].lower(), second_short=_MONTH_NAMES[b][:3].lower(),
        ))  # fmt: skip
    if not 1 <= a <= 12:
        return False
    try:
        date(y or 2000, a, b)
    except ValueError:
        return False
    st.month, st.day, st.year = a, b, y
    return True


# English names; shown through ``msg`` so a chat renders them in the asker's language.
_MONTH_NAMES = (
    "",
    N_("January"),
    N_("February"),
    N_("March"),
    N_("April"),
    N_("May"),
    N_("June"),
    N_("July"),
    N_("August"),
    N_("September"),
    N_("October"),
    N_("November"),
    N_("December"),
)


def _named(st: State, m: re.Match[str]) -> bool:
    if st.month is not None or st.date is not None:
        return False
    day = int(m.group("d"))
    mo = MONTHS[m.group("mon")]
    try:
        date(2000, mo, day)
    except ValueError:
        return False
    st.month, st.day, st.year = mo, day, _year(m.group("y"))
    wd = m.group("wd") or m.group("wd2")
    if wd:
        st.weekday = WEEKDAYS[wd]
    return True


def _ides(st: State, m: re.Match[str]) -> bool:
    mo = MONTHS[m.group(1)]
    st.month, st.day = mo, 15 if mo in (3, 5, 7, 10) else 13
    return True


def _month_year(st: State, m: re.Match[str]) -> bool:
    if st.month is not None or st.date is not None:
        return False
    st.month, st.year, st.grain = MONTHS[m.group("mon")], int(m.group("y")), "month"
    return True


def _month(st: State, m: re.Match[str]) -> bool:
    if st.month is not None or st.date is not None:
        return False
    st.month = MONTHS[m.group("mon")]
    if st.grain is None:
        st.grain = "month"
    rel = m.group("rel")
    st.month_skip = 1 if m.group("after") or rel == "last" else 0
    if rel == "last":
        st.month_skip = -1
    return True


def _day_offset(st: State, m: re.Match[str]) -> bool:
    if st.day_offset is not None or st.date is not None:
        return False
    word = m.group(0).strip()
    st.day_offset = (
        2
        if "after" in word
        else -2
        if "before" in word
        else (1 if word.startswith("tomorrow") else -1 if word == "yesterday" else 0)
    )
    return True


def _weekday(st: State, m: re.Match[str]) -> bool:
    if st.weekday is not None:
        return False
    if m.group("wd3"):
        st.weekday, st.week_rel = WEEKDAYS[m.group("wd3")], -1
        return True
    st.weekday = WEEKDAYS[m.group("wd")]
    rel, post = m.group("rel"), m.group("post") or ""
    if rel in ("next", "following") or "next" in post:
        st.week_rel = 1
    elif rel in ("last", "past", "previous") or "last" in post:
        st.week_rel = -1
    elif "this week" in post:
        st.week_rel = 0
    elif rel in ("this", "coming", "upcoming"):
        st.wd_this = True
    return True


def _weekday_day(st: State, m: re.Match[str]) -> bool:
    if st.weekday is not None or st.day is not None:
        return False
    st.weekday, st.day = WEEKDAYS[m.group("wd")], int(m.group("d"))
    return 1 <= st.day <= 31


def _month_shift(
    today: date, rel: str | None, year: int | None = None, month: int | None = None
) -> tuple[int, int]:
    y, mo = year or today.year, month or today.month
    if month is None:
        mo += _REL.get(rel or "this", 0)
    if month is not None and year is None and mo < today.month and rel is None:
        y += 1
    y, mo = y + (mo - 1) // 12, (mo - 1) % 12 + 1
    return y, mo


def _day_of_rel_month(st: State, m: re.Match[str]) -> bool:
    y, mo = _month_shift(st.now.date(), m.group("rel"))
    try:
        return set_date(st, date(y, mo, int(m.group("d"))))
    except ValueError:
        return False


def _scope(st: State, m: re.Match[str]) -> tuple[int, int]:
    mon = m.group("mon")
    return _month_shift(
        st.now.date(), m.group("rel"), num(m.group("y")) or None, MONTHS[mon] if mon else None
    )


def _nth_weekday(st: State, m: re.Match[str]) -> bool:
    y, mo = _scope(st, m)
    n = -1 if m.group("n") == "last" else int(m.group("n"))
    d = nth_weekday(y, mo, WEEKDAYS[m.group("wd")], n)
    return d is not None and set_date(st, d)


def _nth_day(st: State, m: re.Match[str]) -> bool:
    y, mo = _scope(st, m)
    last = date(y + (mo == 12), mo % 12 + 1, 1) - timedelta(days=1)
    n = int(m.group("n") or 1)
    try:
        d = last - timedelta(days=n - 1) if m.group("last") else date(y, mo, n)
    except ValueError:
        return False
    return d.month == mo and set_date(st, d)


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _rel_period(st: State, m: re.Match[str]) -> bool:
    today, unit = st.now.date(), m.group("unit")
    shift = _REL[m.group("rel")]
    if unit == "week":
        return set_date(st, _monday(today) + timedelta(weeks=shift), "week")
    if unit == "month":
        y, mo = _month_shift(today, m.group("rel"))
        return set_date(st, date(y, mo, 1), "month")
    if unit in ("quarter", "qtr"):
        q = (today.month - 1) // 3 + shift
        return set_date(st, date(today.year + q // 4, 3 * (q % 4) + 1, 1), "quarter")
    return set_date(st, date(today.year + shift, 1, 1), "year")


def _quarter(st: State, m: re.Match[str]) -> bool:
    q = int(m.group("q"))
    y = _year(m.group("y")) or st.now.year
    return 1 <= q <= 4 and set_date(st, date(y, 3 * q - 2, 1), "quarter")


def _week_of(st: State, m: re.Match[str]) -> bool:
    y, mo = _scope(st, m)
    mondays = [d for d in (nth_weekday(y, mo, 0, i) for i in range(1, 6)) if d]
    n = int(m.group("n") or 1)
    if m.group("last"):
        full = [d for d in mondays if (d + timedelta(days=6)).month == mo]
        pick = full[-n] if n <= len(full) else None
    else:
        pick = mondays[n - 1] if n <= len(mondays) else None
    return pick is not None and set_date(st, pick, "week")


def _week_of_year(st: State, m: re.Match[str]) -> bool:
    y, n = int(m.group("y")), int(m.group("n") or 1)
    last = _monday(date(y, 12, 31))
    if last + timedelta(days=6) > date(y, 12, 31):
        last -= timedelta(weeks=1)
    return set_date(st, last - timedelta(weeks=n - 1), "week")


def _holiday(st: State, m: re.Match[str]) -> bool:
    fn = holiday_fn(m.group("name"))
    if fn is None or st.holiday is not None:
        return False
    st.holiday, st.holiday_rel = fn, m.group("rel")
    return True


def _holiday_offset(st: State, m: re.Match[str]) -> bool:
    n = int(m.group(1)) * (7 if m.group(2).startswith("week") else 1)
    st.holiday_days = n if m.group(3) == "after" else -n
    return True


def _day_of_month_any(st: State, m: re.Match[str]) -> bool:
    d = m.group("d") or m.group("d2")
    if st.day is not None or st.date is not None:
        return False
    st.day = int(d)
    # "the 1" may be "the one": without an ordinal suffix it only counts with other time words.
    st.weak = not m.group(0).rstrip()[-1:].isalpha()
    return 1 <= st.day <= 31


def _year_any(st: State, m: re.Match[str]) -> bool:
    y = m.group("y") or m.group("y2") or m.group("y3")
    if st.year is not None or not 1 <= int(y) <= 9999:
        return False
    st.year = int(y)
    st.weak = m.group("y3") is not None
    if st.grain is None and st.month is None and st.date is None and st.day is None:
        st.grain = "year"
    return True


def _c(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


_M = r"(?P<mon>" + MONTH_RE + r")\.?"
_WD = r"(?P<wd>" + WEEKDAY_RE + r")\.?"
_Y2 = r"(?P<y>\d{4}|'?\d{2})(?![\d:h.]|\s*(?:am|pm|h\b|o'?clock))"
_SCOPE = r"(?:of|in) (?:(?:the|this) month|" + _REL_RE + r" month|" + _M + r"(?: (?P<y>\d{4}))?)"
_MONTH_SCOPE = r"(?:of |in )?(?:(?:the )?" + _REL_RE + r" month|" + _M + r"(?: (?P<y>\d{4}))?)"
DATE_RULES: tuple[Rule, ...] = (
    (HOLIDAY_RE, _holiday),
    (_c(r"\b(\d+) (days?|weeks?) (after|before)(?=\s*\|)"), _holiday_offset),
    (_c(r"\b(?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})\b"), _ymd),
    (_c(r"(?<![\d/.:-])(?P<y>\d{4})[-/](?P<mo>\d{1,2})(?![\d/.:-])"), _year_month),
    (_c(r"(?<![\d/.:-])(?P<mo>\d{1,2})/(?P<y>\d{4})(?![\d/.:-])"), _year_month),
    (
        _c(
            r"(?<![\d/.:,-])(?P<a>\d{1,2}) ?(?P<sep>[/-]) ?(?P<b>\d{1,2})"
            r"(?:(?P=sep)(?P<y>\d{4}|\d{2}))?"
            r"(?![\d/.:-]|\s*(?:am|pm|a\b|p\b|h\b|[/-]))"
        ),
        _numeric,
    ),
    (_c(r"(?<![\d/.:,-])(?P<a>\d{1,2})\.(?P<b>\d{1,2})\.(?P<y>\d{4}|\d{2})(?![\d/.:-])"), _numeric),
    (_c(r"\bthe ides of (" + MONTH_RE + r")\b"), _ides),
    (
        _c(r"\b(?:the )?(?P<n>\d)" + _ORD + r"? (?:(?P<last>last) )?day (?:of|in) " + _MONTH_SCOPE),
        _nth_day,
    ),
    (
        _c(r"\b(?:the )?(?:(?P<n>\d)" + _ORD + r" )?(?P<last>last) day (?:of|in) " + _MONTH_SCOPE),
        _nth_day,
    ),
    (
        _c(
            r"\b(?:the )?(?:(?P<n>\d)"
            + _ORD
            + r" )?(?P<last>last )?week (?:of|in) "
            + _M
            + r"(?: (?P<y>\d{4}))?(?P<rel>)"
        ),
        _week_of,
    ),
    (_c(r"\b(?:the )?(?:(?P<n>\d)" + _ORD + r" )?last week of (?P<y>\d{4})\b"), _week_of_year),
    (_c(r"\b(?:the )?(?P<n>\d|last)" + _ORD + r"? " + _WD + r" " + _SCOPE), _nth_weekday),
    (
        _c(
            r"\b(?:the )?(?P<d>\d{1,2})" + _ORD + r"?(?: day)? of (?:the )?" + _REL_RE + r" month\b"
        ),
        _day_of_rel_month,
    ),
    (
        _c(
            r"\blast week's (?P<wd3>"
            + WEEKDAY_RE
            + r")\.?|\b(?P<rel>)"
            + _WD
            + r" (?P<post>after next"
            r"|(?:of )?(?:this|next|last) week|from last week)(?!\w)"
        ),
        _weekday,
    ),
    (_c(r"\b" + _REL_RE + r" (?P<unit>week|month|quarter|qtr|year|yr)\b"), _rel_period),
    (
        _c(r"\b(?:the )?(?P<q>[1-4])" + _ORD + r"? (?:quarter|qtr)(?: (?:of )?(?P<y>\d{4}))?\b"),
        _quarter,
    ),
    (_c(r"\b(?P<y>\d{2}|\d{4})q(?P<q>[1-4])\b"), _quarter),
    (
        _c(
            r"(?:\b"
            + _WD
            + r",? )?(?<![\d/.:])(?:the )?(?P<d>\d{1,2})"
            + _ORD
            + r"?(?: of|-|/| )? ?"
            + _M
            + r"(?:[ ,/-]+"
            + _Y2
            + r")?(?P<wd2>)(?!\w)"
        ),
        _named,
    ),
    (
        _c(
            r"(?:\b"
            + _WD
            + r",? )?\b"
            + _M
            + r" ?(?:the )?(?P<d>\d{1,2})"
            + _ORD
            + r"?(?![\d:]|\w)"
            + r"(?:,? "
            + _Y2
            + r")?(?:,? (?P<wd2>"
            + WEEKDAY_RE
            + r")\.?)?"
        ),
        _named,
    ),
    (_c(r"\b" + _M + r" (?P<y>\d{4})\b"), _month_year),
    (
        _c(
            r"\b(?:the )?day (?:after|before) tomorrow\b|\bday (?:after|before) yesterday\b"
            r"|\btomorrows?\b|\btoday\b|\byesterday\b"
        ),
        _day_offset,
    ),
    (_c(r"\b" + _WD + r",? (?:the )?(?P<d>\d{1,2})" + _ORD + r"\b"), _weekday_day),
    (
        _c(
            r"\blast week's (?P<wd3>" + WEEKDAY_RE + r")\.?|\b(?:(?P<rel>next|this|last|coming"
            r"|upcoming|following|past|previous) )?" + _WD + r"(?: (?P<post>after next"
            r"|(?:of )?(?:this|next|last) week|from last week))?(?!\w)"
        ),
        _weekday,
    ),
    (
        _c(
            r"(?:\bon )?\bthe (?P<d>\d{1,2})"
            + _ORD
            + r"?\b|(?<![\d/.:])\bon (?P<d2>\d{1,2})"
            + _ORD
            + r"\b"
        ),
        _day_of_month_any,
    ),
    (_c(r"\b(?:(?P<rel>next|this|last) )?" + _M + r"(?P<after> after next)?(?!\w)"), _month),
    (
        _c(
            r"\b(?:in )?(?P<y>\d{1,4}) ?a\.?d\.?(?!\w)|\bin (?P<y2>\d{4})\b|(?<![\d/.:-])(?<!at )"
            r"(?<!@ )(?<!around )(?<!approximately )(?P<y3>(?:19|20)\d{2})(?![\d/.:-])"
        ),
        _year_any,
    ),
)
