"""The states a post and a destination move through, and the events callbacks announce.

One definition for every layer: the database's CHECK constraints (``storage.models``), the
API's JSON Schema enums (``webhooks.schemas``) and the code that compares statuses all read
these. A new member here reaches all three; a new status the database should accept also
needs a migration (``tests/test_states.py`` fails until the constraint and the enum agree).
"""

from __future__ import annotations

from enum import StrEnum

from core.i18n import N_, Msg


class PostStatus(StrEnum):
    """``scheduled_posts.status``."""

    DRAFT = "draft"
    # Scheduled by someone who is not an approver where approval is required: no job yet.
    PENDING_APPROVAL = "pending_approval"
    SCHEDULED = "scheduled"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    PARTIALLY_PUBLISHED = "partially_published"
    FAILED = "failed"
    CANCELLED = "cancelled"


class DestinationStatus(StrEnum):
    """``post_destinations.status``; ``unknown``: sent, outcome not yet known (reconciled)."""

    PENDING = "pending"
    PUBLISHING = "publishing"
    SUCCESS = "success"
    FAILED = "failed"
    UNKNOWN = "unknown"
    CANCELLED = "cancelled"


class StepStatus(StrEnum):
    """``destination_steps.status``: a thread part or first comment after its root post.

    ``sending`` is written before the network call, so a step left there by a worker that
    died is ambiguous: resent where the network dedupes on the step's key, else looked up.
    """

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


class StepKind(StrEnum):
    """What a step is: the root post, a later part of a thread, or the first comment."""

    POST = "post"
    PART = "part"
    COMMENT = "comment"


class CallbackEvent(StrEnum):
    """The ``type`` of a callback sent to a post's ``callback_url`` and the endpoints."""

    POST_SCHEDULED = "post.scheduled"
    POST_RESCHEDULED = "post.rescheduled"
    POST_EDITED = "post.edited"
    POST_CANCELLED = "post.cancelled"
    POST_APPROVAL_REQUESTED = "post.approval_requested"
    POST_APPROVED = "post.approved"
    POST_REJECTED = "post.rejected"
    POST_PUBLISHED = "post.published"
    POST_PARTIALLY_PUBLISHED = "post.partially_published"
    POST_FAILED = "post.failed"
    DESTINATION_PUBLISHED = "destination.published"
    DESTINATION_FAILED = "destination.failed"
    # An account's check (scheduler.health) found its token refused: reconnect it.
    ACCOUNT_NEEDS_RECONNECT = "account.needs_reconnect"
    # An account's check failed otherwise: the API version is retired, or it is unreachable.
    ACCOUNT_CHECK_FAILED = "account.check_failed"

    @classmethod
    def for_post(cls, status: PostStatus) -> CallbackEvent:
        """The event announcing a post that ended in ``status``."""
        return cls(f"post.{status}")

    @classmethod
    def for_destination(cls, status: DestinationStatus) -> CallbackEvent:
        """The event announcing a destination that ended in ``status``."""
        if status == DestinationStatus.SUCCESS:
            return cls.DESTINATION_PUBLISHED
        return cls(f"destination.{status}")


# Nothing moves a destination out of these but a person (retry, which re-arms ``failed``).
FINAL_DESTINATION_STATUSES = (
    DestinationStatus.SUCCESS,
    DestinationStatus.FAILED,
    DestinationStatus.CANCELLED,
)
# A destination that still has work: a job to run, a worker's lease, or a reconciliation.
OPEN_DESTINATION_STATUSES = (
    DestinationStatus.PENDING,
    DestinationStatus.PUBLISHING,
    DestinationStatus.UNKNOWN,
)
# A post the worker may still claim destinations of, or close.
OPEN_POST_STATUSES = (PostStatus.SCHEDULED, PostStatus.PUBLISHING)
# A post whose finish is reported to its chat and callbacks (``cancelled`` is not).
REPORTED_POST_STATUSES = (
    PostStatus.PUBLISHED,
    PostStatus.PARTIALLY_PUBLISHED,
    PostStatus.FAILED,
)
# The posts a person may still edit, move or cancel.
EDITABLE_POST_STATUSES = (PostStatus.SCHEDULED, PostStatus.DRAFT, PostStatus.PENDING_APPROVAL)
# Posts that must never have a queued job: nothing publishes them until someone schedules
# (a draft) or approves (a pending post) them.
HELD_POST_STATUSES = (PostStatus.DRAFT, PostStatus.PENDING_APPROVAL)


class Role(StrEnum):
    """``workspace_members.role``, strongest first (``scheduler.roles`` says who may do what)."""

    OWNER = "owner"
    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"


# How a status reads in a sentence shown to a person ("This post is published; ...").
STATUS_WORDS: dict[str, str] = {
    PostStatus.DRAFT: N_("a draft"),
    PostStatus.PENDING_APPROVAL: N_("waiting for approval"),
    PostStatus.SCHEDULED: N_("scheduled"),
    PostStatus.PUBLISHING: N_("being published"),
    PostStatus.PUBLISHED: N_("published"),
    PostStatus.PARTIALLY_PUBLISHED: N_("partly published"),
    PostStatus.FAILED: N_("failed"),
    PostStatus.CANCELLED: N_("cancelled"),
}


def status_word(status: str) -> str:
    """``status`` as words, translated where a chat shows it (``core.i18n.translate``)."""
    return Msg(STATUS_WORDS.get(status, status), {})
