"""Messages in the language of the person who wrote: gettext catalogs and Babel's locale data.

One source of truth per message: the English text in the code is the msgid. Code that answers
a person directly translates with ``gettext(lang, ...)``; code below the chat (the scheduler,
the reader) does not know who will read its words, so it returns ``msg(...)``: a ``str`` whose
value is the English sentence (logs, the API and tests read it as before) and which keeps its
msgid and parameters, so the chat can render it in the asker's language with ``translate``.

Catalogs are ``core/locale/<lang>/LC_MESSAGES/outpost.mo`` (compiled from the ``.po`` beside
them), read once per language on first use; nothing else here does I/O.
"""

from __future__ import annotations

import gettext as _gettext
import re
import string
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from babel.dates import format_datetime

DOMAIN = "outpost"
LOCALE_DIR = Path(__file__).with_name("locale")
LANGUAGES = ("en", "es", "fr", "de", "pt", "it", "ru")
DEFAULT = "en"


def normal(lang: str | None) -> str:
    """``lang`` when Outpost speaks it, else English."""
    code = (lang or "").strip().lower()[:2]
    return code if code in LANGUAGES else DEFAULT


@cache
def catalog(lang: str) -> _gettext.NullTranslations:
    """The language's catalog; English (and a missing catalog) falls back to the msgid."""
    if lang == DEFAULT:
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def _format(text: str, params: dict[str, Any], lang: str) -> str:
    if not params:
        return text
    return text.format(**{k: translate(v, lang) for k, v in params.items()})


def gettext(lang: str | None, msgid: str, **params: Any) -> str:
    """``msgid`` in ``lang``, with ``{name}`` fields filled from ``params``."""
    code = normal(lang)
    return _format(catalog(code).gettext(msgid), params, code)


def ngettext(lang: str | None, singular: str, plural: str, n: int, **params: Any) -> str:
    """The plural form ``n`` asks for in ``lang`` (Russian has three); ``{n}`` is filled."""
    code = normal(lang)
    return _format(catalog(code).ngettext(singular, plural, n), {"n": n, **params}, code)


class Msg(str):
    """A message produced below the chat: English as a ``str``, translatable by ``translate``."""

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, params: dict[str, Any]) -> Msg:
        self = super().__new__(cls, _format(msgid, params, DEFAULT))
        self.msgid = msgid
        self.params = params
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        # arq pickles errors and results: keep the msgid across the trip.
        return (Msg, (self.msgid, self.params))


class Moment(str):
    """A date (and time) inside a message: English as the code wrote it, as a ``str``; in
    another language as Babel writes ``pattern`` there (``translate``)."""

    value: datetime
    pattern: str

    def __new__(cls, text: str, value: datetime, pattern: str) -> Moment:
        self = super().__new__(cls, text)
        self.value = value
        self.pattern = pattern
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (Moment, (str(self), self.value, self.pattern))

    def render(self, lang: str | None) -> str:
        code = normal(lang)
        if code == DEFAULT:
            return str(self)
        return format_datetime(self.value, self.pattern, tzinfo=self.value.tzinfo, locale=code)


def N_(msgid: str) -> str:
    """Mark a constant for extraction; it is translated where it is used (``gettext``)."""
    return msgid


def msg(msgid: str, **params: Any) -> Msg:
    """Mark a message for translation where it is shown (``translate``); extracted as msgid."""
    return Msg(msgid, params)


def recognise(text: str, msgids: tuple[str, ...]) -> str:
    """``text`` as the ``Msg`` of the first of ``msgids`` whose English it is, else ``text``.

    For English that was stored as plain text (a failed destination's message in the
    database) but was written from one of these msgids: the chat can then translate it.
    """
    for msgid in msgids:
        found = _pattern(msgid).fullmatch(text)
        if found:
            return Msg(msgid, found.groupdict())
    return text


@cache
def _pattern(msgid: str) -> re.Pattern[str]:
    parts = []
    for literal, name, _, _ in string.Formatter().parse(msgid):
        parts.append(re.escape(literal))
        if name:
            parts.append(f"(?P<{name}>.+?)")
    return re.compile("".join(parts), re.DOTALL)


def translate(text: Any, lang: str | None) -> str:
    """``text`` in ``lang`` when it is a ``Msg``; any other text is returned as it is."""
    if isinstance(text, Msg):
        return gettext(lang, text.msgid, **text.params)
    if isinstance(text, Moment):
        return text.render(lang)
    return str(text)


def moment(value: datetime, lang: str | None, pattern: str = "EEE dd MMM y, HH:mm") -> str:
    """A date and time as people of ``lang`` write it, e.g. "Mon 07 Dec 2026, 09:00" in en
    (``pattern`` is a CLDR one: "EEE dd MMM HH:mm" leaves out the year)."""
    return format_datetime(value, pattern, tzinfo=value.tzinfo, locale=normal(lang))
