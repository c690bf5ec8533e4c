"""What clients that act on their own need beyond the chats' commands: a dry run that shows a
post per destination and stores nothing, edits of a post's text, time, accounts and files at
once against the revision they were based on, publishing now, and a stable page cursor.

Every adapter (the REST API, the MCP server) calls these; the chats keep their own commands.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from core.errors import RequestProblem
from core.i18n import msg
from core.states import HELD_POST_STATUSES, CallbackEvent
from scheduler.drafts import Draft, all_problems
from scheduler.hooks.callbacks import emit
from scheduler.preview import DestinationPreview, destination_previews
from scheduler.publishing.horizon import queue_jobs
from scheduler.reader import ParsedRequest
from scheduler.service import PAST_GRACE, Scheduler
from scheduler.slots import queued_after_move
from scheduler.versions import clean_variants
from scheduler.views import MediaView, PostView
from storage.views import Revision


@dataclass(frozen=True)
class Preview:
    """A draft as it would be scheduled; ``ok`` when nothing stands in the way."""

    text: str
    when: datetime | None
    timezone: str
    recurrence: str | None
    destinations: tuple[DestinationPreview, ...]
    media: tuple[MediaView, ...]
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def preview_of(scheduler: Scheduler, draft: Draft, thread: bool = False) -> Preview:
    """What ``draft`` would send where, and every problem with it."""
    parsed = draft.parsed
    rows = destination_previews(scheduler, draft, thread)
    return Preview(
        parsed.text,
        parsed.when,
        parsed.timezone,
        parsed.recurrence,
        tuple(rows),
        draft.media,
        tuple(all_problems(draft)),
    )


@dataclass(frozen=True)
class Change:
    """An edit as a client asks it; None leaves that part as it is."""

    text: str | None = None
    when: datetime | None = None
    destinations: Sequence[str] | None = None
    media: Sequence[MediaView] | None = None
    revision: int | None = None
    # Per-network versions replacing the post's ({} removes them all).
    variants: dict[str, str] | None = None
    # A thread's parts as written (``[]``: one text again) and the first comment ("": none).
    parts: Sequence[str] | None = None
    first_comment: str | None = None

    @property
    def empty(self) -> bool:
        return all(
            v is None
            for v in (self.text, self.when, self.destinations, self.media, self.variants,
                      self.parts, self.first_comment)
        )  # fmt: skip

    def new_parts(self) -> tuple[str, ...] | None:
        """The parts as stored (one part is no thread); None when they do not change."""
        if self.parts is None:
            return None
        parts = tuple(p.strip() for p in self.parts)
        return parts if len(parts) > 1 else ()

    def new_text(self) -> str | None:
        """The text as stored: as given, else the new parts joined."""
        if self.text is None and self.parts:
            return "\n\n".join(p.strip() for p in self.parts)
        return self.text


async def draft_change(scheduler: Scheduler, post: PostView, change: Change) -> Draft:
    """The post as it would be after ``change``, checked like a new one."""
    now = scheduler.rt.clock.now()
    problems: list[str] = []
    if change.when is not None and change.when < now - PAST_GRACE:
        problems.append(msg("{when} is in the past.", when=change.when.isoformat()))
    accounts = {a.id: a for a in await scheduler.rt.workspaces.accounts(post.workspace_id)}
    # The post's own accounts by id, so a handle that now reads two ways cannot move them.
    named = (
        tuple(change.destinations)
        if change.destinations is not None
        else tuple(
            f"{d.platform}:{d.handle}" for d in post.destinations if d.account_id in accounts
        )
    )
    parsed = ParsedRequest(
        when=change.when or post.scheduled_at,
        timezone=post.timezone,
        recurrence=post.recurrence,
        destinations=tuple(d.strip().lower() for d in named),
        text=post.content if change.new_text() is None else str(change.new_text()),
        problems=tuple(problems),
        fit_media=False,
        variants=(
            dict(post.variants) if change.variants is None else clean_variants(change.variants)
        ),
        parts=post.parts if change.new_parts() is None else tuple(change.new_parts() or ()),
        first_comment=(post.first_comment if change.first_comment is None
                       else change.first_comment.strip() or None),
    )  # fmt: skip
    if any(not p for p in parsed.parts):
        problems.append(msg("A part of the thread is empty: give each part some text."))
        parsed = replace(parsed, problems=tuple(problems))
    media = tuple(post.media if change.media is None else change.media)
    return await scheduler.check_parsed(post.workspace_id, parsed, media, post.thread)


async def preview_change(
    scheduler: Scheduler, workspace_id: uuid.UUID, post_id: uuid.UUID, change: Change
) -> Preview:
    """What ``change`` would make of the post; stores nothing."""
    post = await scheduler.get(workspace_id, post_id)
    return preview_of(scheduler, await draft_change(scheduler, post, change), post.thread)


async def revise(
    scheduler: Scheduler, workspace_id: uuid.UUID, post_id: uuid.UUID, change: Change
) -> PostView:
    """Apply ``change`` at once (text, time, accounts, files), checked first; StaleRevision
    when ``change.revision`` is not the post's, Conflict once a destination has started."""
    if change.empty:
        raise RequestProblem(
            ["Nothing to change: give the text, the time, the destinations, the media, the parts "
             "or the first comment."]
        )
    rt = scheduler.rt
    post = await scheduler.get(workspace_id, post_id)
    draft = await draft_change(scheduler, post, change)
    problems = all_problems(draft)
    if problems:
        raise RequestProblem(problems, "Fix these and send the change again.")
    when = None if change.when is None else max(change.when, rt.clock.now())
    queued = None
    if when is not None:
        queued = await queued_after_move(rt, post, [a.id for a in draft.accounts], when)
    revision = Revision(
        content=change.new_text(),
        parts=change.new_parts(),
        first_comment=None if change.first_comment is None else change.first_comment.strip(),
        scheduled_at=when,
        account_ids=None if change.destinations is None else tuple(a.id for a in draft.accounts),
        media=None if change.media is None else tuple((m.id, m.alt) for m in draft.media),
        expected=change.revision,
        variants=None if change.variants is None else draft.parsed.variants,
        queued=queued,
    )
    updated, jobs = await rt.posts.revise(workspace_id, post_id, revision)
    if updated.status not in HELD_POST_STATUSES:  # a draft or a waiting post has no jobs
        await queue_jobs(rt, jobs)
    only_moved = change.when is not None and change.text is None and change.destinations is None
    event = CallbackEvent.POST_RESCHEDULED if only_moved else CallbackEvent.POST_EDITED
    await emit(rt, updated, event)
    return updated


async def publish_now(
    scheduler: Scheduler, workspace_id: uuid.UUID, post_id: uuid.UUID, revision: int | None
) -> PostView:
    """Move a scheduled post to now; its jobs run at once."""
    return await revise(scheduler, workspace_id, post_id,
                        Change(when=scheduler.rt.clock.now(), revision=revision))  # fmt: skip


def encode_cursor(post: PostView) -> str:
    """An opaque cursor after ``post`` in (scheduled_at, id) order."""
    raw = f"{post.scheduled_at.astimezone(UTC).isoformat()}|{post.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """The (scheduled_at, id) a cursor stands for; RequestProblem for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, _, post_id = raw.partition("|")
        when = datetime.fromisoformat(moment)
        if when.tzinfo is None:
            raise ValueError(moment)
        return when, uuid.UUID(post_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise RequestProblem(
            ["The cursor is not one this server gave."],
            "Pass `next_cursor` from the previous page as it was.",
        ) from None


async def page(
    scheduler: Scheduler,
    workspace_id: uuid.UUID,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    statuses: Sequence[str] = (),
    text: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[PostView], str | None]:
    """A page of posts in (scheduled_at, id) order and the cursor of the next, or None."""
    after = decode_cursor(cursor) if cursor else None
    posts = await scheduler.rt.posts.search(
        workspace_id, start, end, statuses, limit + 1, 0, text=text or None, after=after
    )
    more = len(posts) > limit
    posts = posts[:limit]
    return posts, encode_cursor(posts[-1]) if more and posts else None
