"""The chat request: "<time phrase> to|on <destinations>: <text>", and what is wrong with it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta  # type: ignore[import-untyped]

from core.i18n import msg
from scheduler.reader.lang import CODES, detect, translate
from scheduler.reader.times import MAX_PHRASE, describe, parse_time
from scheduler.reader.words import MONTHS, WEEKDAYS
from scheduler.reader.zones import get_zone


@dataclass(frozen=True)
class ParsedRequest:
    """A chat request as understood; ``problems`` is empty when it can be scheduled."""

    when: datetime | None
    timezone: str
    recurrence: str | None
    destinations: tuple[str, ...]
    text: str
    problems: tuple[str, ...]
    grain: str = "minute"
    # The request began with "fit": photos may be recompressed or scaled down to fit.
    fit_media: bool = False
    # The language the time and destinations were read in (ISO 639-1).
    lang: str = "en"
    # Those of ``problems`` that only say the text is missing: attached media is a post too.
    text_problems: tuple[str, ...] = ()
    # Per-network versions ({"x": text}) and a first comment, from the request's trailing
    # lines or an API's fields; checked against each network by ``Scheduler``.
    variants: dict[str, str] = field(default_factory=dict)
    first_comment: str | None = None
    # A thread's parts as written (a chat thread, a split marker); () for one text.
    parts: tuple[str, ...] = ()
    # Back into the queue at most every N days after each publish (evergreen); None: not.
    evergreen_days: int | None = None
    # "queue" / "next slot": the time is the next free queue slot, found when stored.
    queued: bool = False

    def to_json(self) -> dict[str, Any]:
        """The ``outpost parse --json`` object."""
        out: dict[str, Any] = {
            "when": self.when.isoformat() if self.when else None,
            "timezone": self.timezone,
            "recurrence": self.recurrence,
            "destinations": list(self.destinations),
            "text": self.text,
            "problems": list(self.problems),
            "lang": self.lang,
        }
        if self.queued:
            # The slot is found when the post is stored: ``when`` stays null here.
            out.update(queued=True, evergreen_days=self.evergreen_days)
        return out


# "x", "@acme.bsky.social", "linkedin:acme-corp", and Mastodon's "@name@instance.social".
_DEST = re.compile(
    r"@?[a-z0-9][a-z0-9._\-]*(?:@[a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)+)?"
    r"(?::[a-z0-9._\-@]+)?$"
)
_SEP_WORDS = frozenset({"and", "&", ",", "y", "e", "et", "und", "и"})
_TIMEISH = frozenset(
    {
        *MONTHS,
        *WEEKDAYS,
        "today",
        "tomorrow",
        "tonight",
        "now",
        "noon",
        "midnight",
        "morning",
        "afternoon",
        "evening",
        "night",
        "week",
        "month",
        "year",
        "next",
        "this",
        "every",
        "at",
        "in",
        "the",
        "of",
        "pm",
        "am",
        "daily",
        "weekly",
        "monthly",
        "weekday",
        "weekend",
        "weekdays",
        "weekends",
        "tmrw",
        "tmr",
        "2moro",
    }
)
_COLON = re.compile(r":")
_KEYWORD = frozenset({"to", "on"})
# The word before the destinations, per language; English "to" works in every one.
_MARKERS = {
    "en": _KEYWORD,
    "es": frozenset({"to", "en"}),
    "fr": frozenset({"to", "sur"}),
    "de": frozenset({"to", "auf"}),
    "pt": frozenset({"to", "no", "na", "em"}),
    "it": frozenset({"to", "su"}),
    "ru": frozenset({"to", "в", "на"}),
}
# Problems quote it in the language of the person who wrote (``core.i18n``).
_EXAMPLE = msg('"tomorrow 9am to x: Hello"')
_FIT = re.compile(r"fit\s+", re.IGNORECASE)
# "queue to x: …", "next slot to x: …", "queue evergreen 30d to x: …": the time is the next
# free queue slot (``scheduler.slots``); evergreen posts come back into the queue after
# publishing, at most every N days.
_QUEUE = re.compile(
    r"(?:(?P<queue>queue|next\s+slot)\b\s*)?"
    r"(?:evergreen\s+(?:every\s+)?(?P<days>\d{1,4})\s*(?:d|days?)\b\s*)?",
    re.IGNORECASE,
)
MAX_EVERGREEN_DAYS = 365
# Every entry point (API, hooks, compose, chats, CLI) reads through here. Reading the time and
# destinations costs more than linear time, so they are capped; the text is only counted.
MAX_HEAD = MAX_PHRASE
MAX_HEAD_WORDS = 120
MAX_REQUEST = 100 * 1024


def _split_text(s: str) -> tuple[str, str | None]:
    """Split at the first colon that ends the head: not in "17:00", "https://" or "li:acme".

    Without a colon followed by a space, the first other colon after a destination splits
    ("to x:Hello"), unless a second one follows in the same word ("to li:acme:Hello").
    """
    tight: list[int] = []
    # A head past MAX_HEAD is refused anyway: no need to look at the colons of the text.
    for m in _COLON.finditer(s, 0, MAX_HEAD + 1):
        i = m.start()
        before, after = s[i - 1 : i], s[i + 1 : i + 3]
        if before.isdigit() and after[:1].isdigit():
            continue
        if after.startswith("//"):
            continue
        if after[:1] in ("", " ", "\t", "\n"):
            return s[:i], s[i + 1 :].strip()
        tight.append(i)
    for n, i in enumerate(tight):
        word_end = len(s[i:].split(None, 1)[0]) + i
        if n + 1 < len(tight) and tight[n + 1] < word_end:
            continue  # "li:acme:Hello": the first colon names an account
        words = s[:i].split()
        if words and _dest_tokens(words[-1:]) is not None:
            return s[:i], s[i + 1 :].strip()
    return s, None


def _plural_day(word: str) -> bool:
    """ "mondays", "mornings": time words, never destinations."""
    return word.endswith("s") and word[:-1] in _TIMEISH


def _dest_tokens(words: list[str], code: str = "en") -> list[str] | None:
    """The destinations named by ``words``, or None if any word is not one."""
    dests: list[str] = []
    for raw in words:
        for piece in re.split(r"[,&]", raw.lower()):
            w = piece.strip().rstrip(".")
            if not w or w in _SEP_WORDS:
                continue
            if w in _TIMEISH or w[0].isdigit() or not _DEST.match(w) or _plural_day(w):
                return None
            if code != "en" and translate(w, code) != w:
                return None  # a time word of the language ("domingo", "mai")
            dests.append(w)
    return dests or None


def _split_head(head: str, code: str = "en") -> tuple[str, tuple[str, ...], bool]:
    """(time phrase, destinations, ambiguous) from the part before the colon."""
    words = head.split()
    low = [w.lower() for w in words]
    keywords = _MARKERS.get(code, _KEYWORD)
    if len(words) > 1 and low[0] in keywords:
        # Destination first: "to x, linkedin tomorrow 9am".
        end = 1
        while end < len(words) and _dest_tokens(words[1 : end + 1], code) is not None:
            end += 1
        if end > 1:
            dests = _dest_tokens(words[1:end], code) or []
            return " ".join(words[end:]), tuple(dests), False
    for k in range(len(words) - 1, -1, -1):
        if low[k] not in keywords or k == len(words) - 1:
            continue
        tail = _dest_tokens(words[k + 1 :], code)
        if tail is not None:
            return " ".join(words[:k]), tuple(tail), False
    for k, w in enumerate(low):
        if w in keywords and k + 1 < len(words) and _dest_tokens(words[k + 1 : k + 2], code):
            return " ".join(words[:k]), (), True
    return head, (), False


def read_request(
    text: str, *, now: datetime, tz: str, lang: str | None = None, defaults: bool = False
) -> ParsedRequest:
    """Read a full chat request in the user's zone ``tz``.

    ``lang`` (an ISO 639-1 code of ``CODES``) names the language of the time and destinations;
    without it the language is guessed from the words before the colon. ``defaults``: the chat
    has default destinations, so naming none is not a problem (``scheduler.channels``).
    """
    user = get_zone(tz)
    if len(text) > MAX_REQUEST:
        length, limit = f"{len(text):,}", f"{MAX_REQUEST:,}"
        return _refused(
            user.name,
            msg("The request is {length} characters, over the limit of {limit}; "
                "shorten the text after the colon.",
                length=length, limit=limit),
        )
    request = text.strip()
    asked = _FIT.match(request)
    if asked:
        request = request[asked.end() :]
    queue = _QUEUE.match(request)
    queued = bool(queue and queue.end() > 0)
    evergreen = int(queue["days"]) if queue and queue["days"] else None
    if queued:
        request = request[queue.end() :] if queue else request
    head, body = _split_text(request)
    if len(head) > MAX_HEAD or len(head.split(None, MAX_HEAD_WORDS)) > MAX_HEAD_WORDS:
        chars = f"{MAX_HEAD:,}"
        return _refused(
            user.name,
            msg("The part before the first colon is over {chars} characters or "
                "{words} words; only the time and destinations go there, then a colon "
                "and the text, e.g. {example}",
                chars=chars, words=MAX_HEAD_WORDS, example=_EXAMPLE),
        )
    code = lang if lang in CODES else detect(head)
    phrase, dests, ambiguous = _split_head(head, code)
    result = parse_time(phrase, now=now, tz=tz, lang=code) if phrase.strip() else None
    problems: list[str] = []
    if queued:
        problems.extend(_queue_problems(phrase, evergreen))
        result = None
    when = result.when if result else None
    grain = result.grain if result else "minute"
    zone_name = result.timezone if result else user.name
    shown = describe(when, grain) if when else None
    if result is None and not queued:
        problems.append(msg('I couldn\'t find a time in "{phrase}". Try: {example}',
                            phrase=phrase.strip() or request, example=_EXAMPLE))
    elif result is not None:
        problems.extend(result.problems)
        if when is not None and result.recurrence is None:
            problems.extend(_timing_problems(when, now, shown or ""))
    if ambiguous:
        problems.append(msg(
            "I understood the time ({shown}) but couldn't tell where the "
            "destinations end and the text starts; put a colon before the text, e.g. "
            '"{phrase} to x: We\'re live"',
            shown=shown or msg("none"), phrase=phrase.strip() or msg("tomorrow 9am"),
        ))
    elif not dests and not defaults:
        problems.append(msg(
            "I understood the time ({shown}) but found no destination. Add one "
            'with "to", e.g. "{phrase} to x: Hello"',
            shown=shown or msg("none"), phrase=phrase.strip() or msg("tomorrow 9am"),
        ))
    before_text = len(problems)
    if body is None and not ambiguous:
        problems.append(msg(
            "I found no text to post: put a colon after the destinations, then the text, "
            'e.g. "{phrase} to {dests}: Hello"',
            phrase=phrase.strip() or msg("tomorrow 9am"), dests=", ".join(dests) or "x",
        ))
    elif body is not None and not body.strip():
        problems.append(msg(
            "The text after the colon is empty: write what to post after it, e.g. "
            '"{phrase} to {dests}: Hello"',
            phrase=phrase.strip() or msg("tomorrow 9am"), dests=", ".join(dests) or "x",
        ))
    return ParsedRequest(
        when,
        zone_name,
        result.recurrence if result else None,
        dests,
        body if body is not None else "",
        tuple(problems),
        grain,
        fit_media=asked is not None,
        lang=code,
        text_problems=tuple(problems[before_text:]),
        evergreen_days=evergreen,
        queued=queued,
    )


def _queue_problems(phrase: str, evergreen: int | None) -> list[str]:
    problems: list[str] = []
    if phrase.strip():
        problems.append(msg(
            "`queue` takes the next free slot, so “{phrase}” is one time too many: write "
            '"queue to x: Hello" or "{phrase} to x: Hello"', phrase=phrase.strip()))
    if evergreen is not None and not 1 <= evergreen <= MAX_EVERGREEN_DAYS:
        problems.append(msg("Evergreen posts come back every 1 to {most} days, e.g. "
                            '"queue evergreen 30d to x: Hello"', most=MAX_EVERGREEN_DAYS))
    return problems


def _refused(zone: str, problem: str) -> ParsedRequest:
    return ParsedRequest(None, zone, None, (), "", (problem,))


def _timing_problems(when: datetime, now: datetime, shown: str) -> list[str]:
    if when < now - timedelta(seconds=60):
        return [msg("{shown} is in the past. Pick a time ahead, e.g. {example}",
                    shown=shown, example=_EXAMPLE)]
    if when < now:
        secs = int((now - when).total_seconds())
        return [msg('{shown} was {secs} s ago; for right away write "now", e.g. "now to x: Hello"',
                    shown=shown, secs=secs)]
    if when > now + relativedelta(years=1):
        date = f"{when:%d %b %Y}"
        return [msg(
            "{shown} is more than a year away — is that right? If so, write the full "
            'date, e.g. "{date} 9am to x: Hello"',
            shown=shown, date=date,
        )]
    return []
