"""What can go wrong when publishing, classified once at the HTTP edge.

PublishError                     base; ``retry`` says whether the queue should try again
├── TransientError               try again later; nothing was created
│   ├── RateLimited              ``retry_after`` seconds from the platform's reset
│   ├── Unavailable              5xx before anything was created, connection refused
│   └── Ambiguous                sent, outcome unknown (timeout, 500, dropped connection):
│                                safe to resend only where the network dedupes
└── PermanentError               a person must act; the queue stops
    ├── AuthRevoked              reconnect the account
    ├── ContentRejected          change the post (too long, media refused, ...)
    ├── DuplicateContent         the network already has this exact post
    ├── NotSupported             the network cannot do what was asked
    └── IntegrationOutdated      the network retired the API version or call Outpost uses:
                                 the operator must update Outpost (not the post, not the account)

Exceptions must pickle (arq stores them), so every argument is kept in ``args``.
"""

from __future__ import annotations

from core.i18n import N_


class PublishError(Exception):
    """Base of publishing errors; ``message`` is shown to the person who scheduled."""

    retry: bool = False
    code: str = "publish_error"

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message, status)
        self.message = message
        self.status = status

    def __str__(self) -> str:
        return self.message


class TransientError(PublishError):
    """Try again later."""

    retry = True
    code = "transient"


class RateLimited(TransientError):
    """The platform asks us to wait ``retry_after`` seconds."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after: float, status: int | None = 429) -> None:
        super().__init__(message, status)
        self.args = (message, retry_after, status)
        self.retry_after = max(0.0, retry_after)


class Unavailable(TransientError):
    """The platform is down or refused the connection; nothing was created."""

    code = "unavailable"


class Ambiguous(TransientError):
    """The request was sent but its outcome is unknown; the post may exist."""

    code = "ambiguous"


class PermanentError(PublishError):
    """A person must act before this can succeed."""

    retry = False
    code = "permanent"


class AuthRevoked(PermanentError):
    """The account's token is no longer valid: reconnect it."""

    code = "auth_revoked"


class ContentRejected(PermanentError):
    """The platform refused the content."""

    code = "content_rejected"


class DuplicateContent(PermanentError):
    """The platform says this post already exists."""

    code = "duplicate"


class NotSupported(PermanentError):
    """The network cannot do what was asked."""

    code = "not_supported"


class IntegrationOutdated(PermanentError):
    """The network no longer accepts the API version or call Outpost makes (LinkedIn's 426).

    Neither editing the post nor reconnecting helps: Outpost itself needs an update.
    """

    code = "needs_update"


# What to do next, one sentence per kind of error. Stored after the network's own words in a
# failed destination's message; a chat shows them in the asker's language (msgids).
_OUTDATED = N_(
    "Outpost needs an update for this network; the operator has been told. "
    "Press Retry once Outpost is updated."
)
_RECONNECT = N_("Reconnect the account, then press Retry.")
_EDIT = N_("Edit the post so the network accepts it, then press Retry.")
_DUPLICATE = N_("The network already has this post; change the text to post it again.")
_SLOW = N_("The network asked us to slow down; Outpost will try again by itself.")
_CHECK = N_("Check the account before retrying: the post may have been published.")
_LATER = N_("The network was unavailable; press Retry later.")
_RETRY = N_("Press Retry, or contact support if it keeps failing.")
ADVICE = (_OUTDATED, _RECONNECT, _EDIT, _DUPLICATE, _SLOW, _CHECK, _LATER, _RETRY)


def with_advice(error: PublishError) -> str:
    """The network's words and what to do, once: some messages already say it (reconnect)."""
    if "Retry" in error.message:
        return error.message
    return f"{error.message} {advice(error)}".strip()


def advice(error: PublishError) -> str:
    """What the person should do about ``error``, in one sentence."""
    if isinstance(error, IntegrationOutdated):
        return _OUTDATED
    if isinstance(error, AuthRevoked):
        return _RECONNECT
    if isinstance(error, ContentRejected):
        return _EDIT
    if isinstance(error, DuplicateContent):
        return _DUPLICATE
    if isinstance(error, RateLimited):
        return _SLOW
    if isinstance(error, Ambiguous):
        return _CHECK
    if isinstance(error, TransientError):
        return _LATER
    return _RETRY
