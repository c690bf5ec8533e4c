"""Reading a time phrase: normalise, apply the rules, resolve, and report what was left."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from core.i18n import Moment, msg
from scheduler.reader import recurrence
from scheduler.reader.clock_rules import CLOCK_RULES
from scheduler.reader.date_rules import DATE_RULES
from scheduler.reader.lang import detect, translate
from scheduler.reader.resolve import DEFAULT_HOUR, PART_HOURS, _hours, resolve
from scheduler.reader.state import State, apply_rules
from scheduler.reader.words import normalise
from scheduler.reader.zones import Zone, get_zone

EXAMPLE = msg('"tomorrow 9am to x: Hello"')
MAX_PHRASE = 2000
# Words that carry no time on their own; anything else left over was not understood.
_FILLER = frozenset(
    {
        "at",
        "on",
        "the",
        "for",
        "around",
        "about",
        "approximately",
        "approx",
        "ish",
        "of",
        "in",
        "by",
        "@",
        "and",
        "during",
        "from",
        "-",
        "/",
        ".",
        ",",
        "|",
        "o'clock",
        "oclock",
        "exactly",
        "sharp",
        "roughly",
        "circa",
        "till",
        "until",
        "starting",
        "this",
        "next",
        "a",
        "an",
    }
)
_TOKEN = re.compile(r"[^\s|]+")
_RULES = (CLOCK_RULES[0], *CLOCK_RULES[1:8], *DATE_RULES, *CLOCK_RULES[8:])


@dataclass(frozen=True)
class TimeResult:
    """A time phrase understood: an aware instant, its grain and any recurrence."""

    when: datetime
    grain: str
    recurrence: str | None
    timezone: str
    problems: tuple[str, ...] = ()


def describe(when: datetime, grain: str = "minute") -> str:
    """A short human form of an instant, e.g. "Sat 28 Nov 2026 09:00 CET" (in a chat, in the
    asker's language: ``core.i18n.Moment``)."""
    if grain in ("day", "week", "month", "quarter", "year"):
        return Moment(when.strftime("%a %d %b %Y"), when, "EEE d MMM y")
    zone = (when.tzname() or "").replace("'", "''")
    return Moment(when.strftime("%a %d %b %Y %H:%M ") + (when.tzname() or ""), when,
                  f"EEE d MMM y HH:mm '{zone}'" if zone else "EEE d MMM y HH:mm")  # fmt: skip


def _leftover(text: str) -> list[str]:
    return [w for w in _TOKEN.findall(text) if w.strip(".,") not in _FILLER and w.strip(".,")]


def understand(
    phrase: str, now: datetime, zone: Zone, typed: str | None = None
) -> tuple[State, list[str]]:
    """Apply the rules to a phrase; returns the state and the words not understood.

    ``typed`` is the phrase as the user wrote it, when ``phrase`` is its English rewrite.
    """
    text = normalise(phrase)
    st = State(now=now.astimezone(zone.tzinfo))
    # The zone comes first so every later rule sees "now" in the zone the phrase names.
    text = apply_rules(st, text, _RULES[:1])
    if st.zone is not None:
        st.now = now.astimezone(st.zone.tzinfo)
    rep, text = recurrence.extract(text)
    text = apply_rules(st, text, _RULES[1:])
    if rep is not None:
        dated = (
            st.week_rel is not None
            or st.day_offset is not None
            or st.delta is not None
            or st.holiday is not None
            or st.wd_count is not None
            or st.date is not None
            or st.year is not None
        )
        why = recurrence.unsupported(rep, weekday=st.weekday, dated=dated)
        if why is not None:
            st.problems.append(msg(
                'I can\'t repeat "{phrase}" exactly: {why}. Write it like {examples}',
                phrase=(typed or phrase).strip(), why=why, examples=recurrence.REFUSED_EXAMPLES,
            ))  # fmt: skip
        hour = (
            _hours(st, True)[0]
            if st.hour is not None
            else PART_HOURS.get(st.part or "", DEFAULT_HOUR)
        )
        st.recurrence = recurrence.build(
            rep,
            hour=hour % 24,
            minute=st.minute if st.hour is not None else 0,
            weekday=st.weekday,
            month=st.month,
            monthday=st.day,
            now=st.now,
        )
    return st, _leftover(text)


def parse_time(
    phrase: str, *, now: datetime, tz: str, lang: str | None = "en"
) -> TimeResult | None:
    """Read a time phrase in the user's zone ``tz``; None when it names no time.

    ``lang`` is an ISO 639-1 code of ``CODES``; None guesses it from the phrase's words.
    """
    if len(phrase) > MAX_PHRASE:
        return None  # no time phrase is this long, and reading one costs more than linear time
    code = detect(phrase) if lang is None else lang
    typed = phrase
    if code != "en":
        phrase = translate(phrase, code)
    user = get_zone(tz)
    st, left = understand(phrase, now, user, typed)
    zone = st.zone or user
    if st.recurrence is not None:
        # The first occurrence is the next matching slot; INTERVAL counts from it onwards.
        first_rule = re.sub(r";INTERVAL=\d+", "", st.recurrence)
        when = recurrence.next_occurrence(first_rule, tz=zone.name, after=now)
        if when is None:
            return None
        when = when.astimezone(zone.tzinfo)
        return TimeResult(
            when,
            "minute",
            st.recurrence,
            zone.name,
            tuple(st.problems) + _left_problem(typed, left, when, "minute"),
        )
    if not st.found() or (left and st.weak):
        return None
    got = resolve(st)
    if got is None:
        return None
    when, grain = got
    problems = tuple(st.problems) + _left_problem(typed, left, when, grain)
    return TimeResult(when, grain, None, zone.name, problems)


def _left_problem(phrase: str, left: list[str], when: datetime, grain: str) -> tuple[str, ...]:
    if not left:
        return ()
    words = " ".join(left)
    return (
        msg('I read "{phrase}" as {when} but did not understand "{words}". Rephrase it, '
            "e.g. {example}", phrase=phrase.strip(), when=describe(when, grain), words=words,
            example=EXAMPLE),
    )  # fmt: skip
