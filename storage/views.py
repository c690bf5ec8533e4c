"""Plain values handed out of storage, so callers never hold ORM objects or sessions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.states import DestinationStatus, PostStatus, StepKind, StepStatus


@dataclass(frozen=True)
class WorkspaceView:
    """A workspace."""

    id: uuid.UUID
    name: str
    timezone: str
    # The plan's name; None: the operator's DEFAULT_PLAN (``scheduler.plans``).
    plan: str | None = None


@dataclass(frozen=True)
class AccountView:
    """A connected account, tokens still encrypted."""

    id: uuid.UUID
    workspace_id: uuid.UUID
    platform: str
    handle: str
    display_name: str | None
    base_url: str
    access_token_enc: str = field(repr=False)
    settings: dict[str, Any]
    status: str
    # When the access token read with this view expires (None: it does not). Lets a publish
    # skip re-reading the token row when the view was just read (a worker's claim).
    expires_at: datetime | None = None


@dataclass(frozen=True)
class MediaView:
    """A stored file."""

    id: uuid.UUID
    workspace_id: uuid.UUID
    url: str
    storage_key: str
    content_type: str
    sha256: str
    size_bytes: int
    width: int | None
    height: int | None
    duration_seconds: float | None
    filename: str
    # The description given where the file was attached to a post (alt text); "" when none,
    # and always "" for a file read from the library rather than from a post.
    alt: str = ""


@dataclass(frozen=True)
class StepView:
    """A step of a multi-step destination: its root post (seq 1), a later thread part (seq 2
    to n) or its first comment (last)."""

    seq: int
    kind: StepKind
    status: StepStatus
    key: str
    remote_id: str | None = None
    url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True)
class DestinationView:
    """One destination of a post."""

    id: uuid.UUID
    post_id: uuid.UUID
    account_id: uuid.UUID
    platform: str
    handle: str
    status: DestinationStatus
    revision: int
    due_at: datetime
    attempts: int
    idempotency_key: str
    platform_post_id: str | None
    platform_url: str | None
    error_code: str | None
    error_message: str | None
    published_at: datetime | None
    # Root post, thread parts and first comment, for a destination that has more than a post.
    steps: tuple[StepView, ...] = ()

    def steps_to_retry(self) -> list[int]:
        """The steps Retry sends again once the post is out: the thread's first failed part and
        every part after it, and a failed first comment. Never one the network may have taken
        (``unsure``: the report asks the person to check) nor one after it in the thread."""
        if self.status != DestinationStatus.SUCCESS:
            return []
        parts = [s for s in self.steps if s.kind == StepKind.PART
                 and s.status in (StepStatus.FAILED, StepStatus.SKIPPED)]  # fmt: skip
        seqs = [s.seq for s in parts] if parts and _retryable(parts[0]) else []
        return seqs + [s.seq for s in self.steps if s.kind == StepKind.COMMENT and _retryable(s)]


UNSURE = "unsure"  # in a failed step's ``extra``: it may have been posted


def _retryable(step: StepView) -> bool:
    return step.status == StepStatus.FAILED and not step.extra.get(UNSURE)


@dataclass(frozen=True)
class PostView:
    """A post with its destinations and media."""

    id: uuid.UUID
    workspace_id: uuid.UUID
    user_id: uuid.UUID | None
    content: str
    scheduled_at: datetime
    timezone: str
    recurrence: str | None
    series_id: uuid.UUID | None
    thread: bool
    status: PostStatus
    origin: dict[str, Any]
    callback_url: str | None
    revision: int
    notified_revision: int | None
    created_at: datetime
    # A draft saved without a time (``scheduled_at`` is then when it was saved).
    untimed: bool = False
    destinations: tuple[DestinationView, ...] = ()
    media: tuple[MediaView, ...] = ()
    # Per-network versions ({"x": text}); a network not named gets ``content``.
    variants: dict[str, str] = field(default_factory=dict)
    first_comment: str | None = None
    # A thread's parts as written; () for one text.
    parts: tuple[str, ...] = ()
    # Skipped occurrences of a recurring series.
    exdates: tuple[datetime, ...] = ()
    evergreen_days: int | None = None
    queued: bool = False

    def text_for(self, platform: str) -> str:
        """The text this network gets: its version, else the post's."""
        return self.variants.get(platform) or self.content

    @property
    def retryable(self) -> bool:
        """A destination failed, or a thread part or first comment after a post that is out."""
        if self.status in (PostStatus.FAILED, PostStatus.PARTIALLY_PUBLISHED):
            return True
        return self.status == PostStatus.PUBLISHED and any(
            d.steps and d.steps_to_retry() for d in self.destinations
        )


@dataclass(frozen=True)
class Job:
    """A destination revision that should have a queued job."""

    destination_id: uuid.UUID
    revision: int
    due_at: datetime
    # Non-zero when re-queuing after a lost worker: a fresh job id, since the dead worker's
    # job may still sit in Redis until its in-progress key expires.
    attempt: int = 0


@dataclass(frozen=True)
class Revision:
    """What one edit changes of a scheduled post; None leaves that part as it is.

    ``expected`` is the post revision the edit was based on (None: whatever it is now)."""

    content: str | None = None
    scheduled_at: datetime | None = None
    account_ids: tuple[uuid.UUID, ...] | None = None
    # (media id, alt text) in order; None keeps the post's files.
    media: tuple[tuple[uuid.UUID, str], ...] | None = None
    expected: int | None = None
    # Per-network versions ({network: text}); None keeps the post's.
    variants: dict[str, str] | None = None
    # A thread's parts (() for one text) and the first comment ("" for none).
    parts: tuple[str, ...] | None = None
    first_comment: str | None = None
    # Whether the post stays in its queue; None leaves it as it is.
    queued: bool | None = None


@dataclass(frozen=True)
class NewPost:
    """What ``create_post`` writes in one transaction."""

    workspace_id: uuid.UUID
    user_id: uuid.UUID | None
    content: str
    scheduled_at: datetime
    timezone: str
    account_ids: tuple[uuid.UUID, ...]
    media_ids: tuple[uuid.UUID, ...] = ()
    # One description per ``media_ids`` entry ("" for none); missing entries count as "".
    media_alts: tuple[str, ...] = ()
    recurrence: str | None = None
    series_id: uuid.UUID | None = None
    thread: bool = False
    origin: dict[str, Any] = field(default_factory=dict)
    callback_url: str | None = None
    status: PostStatus = PostStatus.SCHEDULED
    untimed: bool = False
    variants: dict[str, str] = field(default_factory=dict)
    first_comment: str | None = None
    parts: tuple[str, ...] = ()
    exdates: tuple[datetime, ...] = ()
    evergreen_days: int | None = None
    queued: bool = False


@dataclass(frozen=True)
class MemberView:
    """A workspace member, their role, and how chats name them."""

    user_id: uuid.UUID
    role: str
    display_name: str | None
    email: str | None
    # (platform, team id, external id) of each chat identity.
    chats: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class ApprovalView:
    """One line of a post's approval history."""

    decision: str
    actor: str
    reason: str
    at: datetime
