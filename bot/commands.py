"""Chat text to a command: the first word names it, anything else is a post request."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal[
    "schedule", "posts", "cancel", "timezone", "language", "accounts", "connect", "calendar",
    "help", "digest", "draft", "drafts", "approve", "reject", "role", "approval", "submit",
    "defaults", "invite", "slots", "move", "evergreen", "skip", "thread", "preview",
]
NAMED: frozenset[str] = frozenset(
    {"posts", "cancel", "timezone", "language", "accounts", "connect", "calendar", "help",
     "digest", "drafts", "approve", "reject", "role", "approval", "defaults", "invite",
     "slots", "move", "skip", "thread", "preview"}
)
# ``draft: text`` / ``draft to x: text`` / ``draft tomorrow 9am to x: text``
_DRAFT = re.compile(r"^draft(?=[\s:])\s*", re.IGNORECASE)
# ``schedule 3f2b1c tomorrow 9am``: give a draft its time (the id as shown in ``drafts``).
_SUBMIT = re.compile(r"^(?:schedule\s+)?(?P<id>[0-9a-f]{6,8}(?:-[0-9a-f-]{0,28})?)\s+",
                     re.IGNORECASE)
# Without the word ``schedule``, an id must hold a letter: "20261203 10:30" is a date.
_BARE_ID = re.compile(r"^(?=[0-9]*[a-f])[0-9a-f]{8}(?:-[0-9a-f-]{0,28})?\s+\S",
                      re.IGNORECASE)
# ``queue pull forward on``: a queue setting, where ``queue to x: …`` is a request.
_PULL = re.compile(r"^queue\s+(?=pull\b)", re.IGNORECASE)
# ``evergreen stop ID``; ``evergreen 30d to x: …`` is a request.
_EVERGREEN = re.compile(r"^evergreen\s+(?=stop\b)", re.IGNORECASE)
_PREFIXED: tuple[tuple[re.Pattern[str], Kind], ...] = ((_PULL, "slots"), (_EVERGREEN, "evergreen"))
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
    draft = _DRAFT.match(body)
    if draft:
        return Command("draft", body[draft.end():])
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
            if word == "schedule" and _DRAFT.match(rest):
                return parse_command(rest)
            if word == "schedule" and _SUBMIT.match(rest):
                return Command("submit", rest)
        else:
            return Command("help", word)
    for pattern, kind in _PREFIXED:
        if found := pattern.match(body):
            return Command(kind, body[found.end() :])
    if body.lower().startswith("schedule ") and _SUBMIT.match(body):
        return Command("submit", body[len("schedule "):].strip())
    if _BARE_ID.match(body):  # Slack's ``/schedule 3f2b1c9d tomorrow 9am``
        return Command("submit", body)
    first, _, rest = body.partition(" ")
    lowered = first.lower()
    if lowered in NAMED:
        return Command(lowered, rest.strip())  # type: ignore[arg-type]
    if not body:
        return Command("help")
    return Command("schedule", body)
