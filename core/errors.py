"""The base error every Outpost exception derives from.

OutpostError
├── ConfigError          a setting is missing or malformed (names the variable)
├── NotFound             the thing does not exist, or belongs to another workspace
├── Conflict             the thing is in a state that forbids the action
│   └── StaleRevision    an edit named a revision the post has since moved past
├── RequestProblem       the request cannot be scheduled as typed (carries problems)
└── LimitReached         the workspace's plan allows no more (names the plan that does)

Every error carries ``message`` (safe to show to the person who typed the request) and
``hint`` (an example or next step). Nothing secret goes into either.
"""

from __future__ import annotations


class OutpostError(Exception):
    """Base of Outpost's own errors; ``message`` is safe to show to users."""

    code = "error"

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message, hint)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class ConfigError(OutpostError):
    """A setting is missing or malformed."""

    code = "config"


class NotFound(OutpostError):
    """The requested thing does not exist in this workspace."""

    code = "not_found"


class Conflict(OutpostError):
    """The thing's state forbids the action (already published, cancelled, ...)."""

    code = "conflict"


class StaleRevision(Conflict):
    """An edit carried the revision it was based on, and the post has changed since."""

    code = "revision_conflict"

    def __init__(self, given: int, current: int) -> None:
        super().__init__(
            f"This post is at revision {current}, not {given}: someone changed it since you "
            "read it.",
            "Read it again and send your change with the current revision.",
        )
        self.given = given
        self.current = current


class RequestProblem(OutpostError):
    """A request that cannot be scheduled as typed; ``problems`` lists why."""

    code = "invalid_request"

    def __init__(self, problems: list[str], hint: str = "") -> None:
        super().__init__("; ".join(problems), hint)
        self.problems = list(problems)


class LimitReached(OutpostError):
    """The workspace's plan allows no more of something; the message names the plan that does.

    Storage raises it bare (``which`` and how many are ``used``); ``scheduler.plans`` words it.
    """

    code = "plan_limit"

    def __init__(self, which: str, used: int, message: str = "", hint: str = "") -> None:
        super().__init__(message or f"The plan's {which} limit is reached ({used}).", hint)
        self.which = which
        self.used = used

    def __reduce__(self) -> tuple[object, ...]:
        return (LimitReached, (self.which, self.used, self.message, self.hint))
