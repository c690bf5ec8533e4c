"""Outpost's own English wording, to find where it leaks into a reply meant for another
language, and a check that a message is a msgid the language's catalog translates."""

from __future__ import annotations

import re
import string
from functools import cache
from typing import Any

from core.i18n import Msg, catalog
from scripts.i18n import template


@cache
def fragments() -> tuple[str, ...]:
    """Every stretch of fixed English text in a msgid of ours that is long enough to be
    recognised (16+ characters and a space), e.g. "is not a time of day: write"."""
    found: set[str] = set()
    for message in template():
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        for msgid in ids:
            if not msgid:
                continue
            for literal, *_ in string.Formatter().parse(msgid):
                for raw in re.split(r"[\n•]", literal):
                    piece = raw.strip(" .,:;\"'“”()")
                    # A command in backticks is typed the same in every language.
                    code = re.fullmatch(r"`[^`]*`", piece) is not None
                    if len(piece) >= 16 and " " in piece and not code:
                        found.add(piece)
    return tuple(sorted(found))


def english_in(text: str) -> list[str]:
    """The English fragments of ours found in ``text``."""
    return [f for f in fragments() if f in text]


def untranslated(text: Any, lang: str) -> list[str]:
    """What of ``text`` the ``lang`` catalog cannot show in ``lang``: a plain string (English
    written below the chat without a msgid), or a msgid the catalog lacks; looks into the
    message's parameters too. Numbers, names and the like are fine as they are."""
    if not isinstance(text, Msg):
        return [str(text)] if re.search(r"[A-Za-z]+ [A-Za-z]+", str(text)) else []
    known = text.msgid in catalog(lang)._catalog  # type: ignore[attr-defined]
    missing = [] if known else [text.msgid]
    for name, value in text.params.items():
        # Parameters that carry a sentence of ours must be messages too; the others are what
        # the person typed, names, numbers and dates.
        if isinstance(value, Msg) or name in OURS:
            missing += untranslated(value, lang)
    return missing


OURS = {"message", "why", "advice", "examples", "status", "connected", "first", "second"}
