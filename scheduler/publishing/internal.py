"""What Outpost says when its own code, not the network, fails a publish attempt.

A bug (an answer it cannot read, a receipt it cannot store) is not the network's fault and not
the person's: the attempt fails as ``InternalError``, is retried within the attempt budget
where resending is safe, and the message says it was Outpost and what to do.
"""

from __future__ import annotations

from publishers.base import Receipt
from publishers.errors import TransientError


class InternalError(TransientError):
    """A bug in Outpost's own code during an attempt (an answer it could not read, ...)."""

    code = "internal_error"


INTERNAL = "Outpost hit an internal error publishing this"


def internal_gave_up(attempts: int) -> str:
    return (
        f"{INTERNAL} and gave up after {attempts} attempts. Press Retry, or ask your Outpost "
        "operator to check the worker log if it keeps failing."
    )


def storable(receipt: Receipt) -> None:
    """Refuse a receipt whose id or URL is not text: recording it would fail the batch of
    outcomes it went out with, and every job in that batch with it."""
    if not isinstance(receipt.remote_id, str) or not isinstance(receipt.url, str | None):
        kinds = f"{type(receipt.remote_id).__name__}, {type(receipt.url).__name__}"
        raise TypeError(f"a publisher's receipt holds an id or URL that is not text ({kinds})")


def unresolved(absent: bool, internal: bool, attempts: int, handle: str) -> tuple[str, str]:
    """(code, message) for a destination whose outcome stayed unknown: ``absent`` when the
    post is not on the account but the attempts are spent, else it may be there."""
    if absent and internal:
        return InternalError.code, internal_gave_up(attempts)
    if absent:
        return "ambiguous", (
            f"Gave up after {attempts} attempts: the network never confirmed this post and it "
            f"is not on {handle}. Press Retry to send it again."
        )
    cause = f"{INTERNAL}, and it" if internal else "The network did not confirm this post and it"
    return "ambiguous", f"{cause} may have been published. Check {handle} before pressing Retry."
