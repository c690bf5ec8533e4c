"""Chat text to a command: the first word names it, anything else is a post request."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal[
    "schedule",
    "posts",
    "cancel",
    "timezone",
    "language",
    "accounts",
    "connect",
    "calendar",
    "help",
    "digest",
    "defaults",
    "invite",
]
NAMED: frozenset[str] = frozenset(
    {
        "posts",
        "cancel",
        "timezone",
        "language",
        "accounts",
        "connect",
        "calendar",
        "help",
        "digest",
        "defaults",
        "invite",
    }
)
# Telegram sends "/posts@OutpostBot args"; Slack sends "/schedule posts" as text "posts".
_LEADING = re.compile(r"^/(?P<word>[a-z_]+)(?:@\w+)?\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Command:
    """A parsed chat command and its argument text."""

    kind: Kind
    arg: str = ""


def parse_command(text: str) -> Command:
    """``posts``, ``/cancel 3f2b``, ``timezone Europe/Berlin``... or a request to schedule."""
    body = text.strip()
    slash = _LEADING.match(body)
    if slash:
        word = slash.group("word").lower()
        rest = body[slash.end() :].strip()
        if word in NAMED:
            return Command(word, rest)  # type: ignore[arg-type]
        if word in ("schedule", "start"):
            body = rest
            if word == "start" and not rest:
                return Command("help")
        else:
            return Command("help", word)
    first, _, rest = body.partition(" ")
    lowered = first.lower()
    if lowered in NAMED:
        return Command(lowered, rest.strip())  # type: ignore[arg-type]
    if not body:
        return Command("help")
    return Command("schedule", body)
