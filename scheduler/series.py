"""A recurring series, one occurrence or all of them: skip, edit alone, edit all, cancel all.

The series lives in its live row (``scheduler.occurrences``). Skipping an occurrence adds it to
the row's exdates; skipping the row's own occurrence also moves the row to the next one, through
the same re-arm and ``queue_jobs`` as a reschedule, so the queued job follows. Editing one
occurrence detaches it: a one-off post of the series (``series_id`` set, no rule) with the
edited text and time, written with the exdate in one transaction. Cancelling all cancels the
live row, which ends the series; cancelling one is skipping it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from core.errors import RequestProblem
from core.i18n import msg
from core.states import HELD_POST_STATUSES, CallbackEvent, PostStatus, Role
from scheduler.drafts import all_problems
from scheduler.edits import Change, draft_change
from scheduler.hooks.callbacks import emit
from scheduler.occurrences import following, is_occurrence
from scheduler.publishing.horizon import queue_jobs
from scheduler.reader import read_request
from scheduler.roles import check_can_schedule, needs_approval
from scheduler.runtime import Runtime
from scheduler.service import Scheduler
from storage.views import Job, NewPost, PostView


def _following(rule: str, tz: str, at: datetime, exdates: tuple[datetime, ...]) -> datetime | None:
    return following(rule, tz=tz, after=at, exdates=exdates)


async def live(rt: Runtime, workspace_id: uuid.UUID, post_id: uuid.UUID) -> PostView:
    """The post, which must be a series' live row (it holds the rule)."""
    post = await rt.posts.get(post_id, workspace_id)
    if not post.recurrence:
        raise RequestProblem(
            [msg("This post does not repeat.")], msg("Cancel it or edit it as a single post.")
        )
    return post


def _check_occurrence(post: PostView, at: datetime) -> None:
    assert post.recurrence is not None
    if not is_occurrence(post.recurrence, tz=post.timezone, dtstart=post.scheduled_at, at=at):
        raise RequestProblem(
            [msg("{when} is not an upcoming occurrence of this post.", when=at.isoformat())],
            msg("Open the occurrence from the calendar and try again."),
        )


async def _queue(rt: Runtime, post: PostView, jobs: list[Job]) -> None:
    if post.status not in HELD_POST_STATUSES:
        await queue_jobs(rt, jobs)


async def skip(
    rt: Runtime,
    workspace_id: uuid.UUID,
    post_id: uuid.UUID,
    at: datetime | None = None,
    *,
    role: str = Role.EDITOR,
) -> PostView:
    """Skip one occurrence (the next one when ``at`` is None); the series goes on."""
    check_can_schedule(role)
    post = await live(rt, workspace_id, post_id)
    at = post.scheduled_at if at is None else at
    _check_occurrence(post, at)
    updated, jobs, _ = await rt.posts.skip(workspace_id, post.id, at, _following)
    await _queue(rt, updated, jobs)
    if updated.scheduled_at != post.scheduled_at:
        await emit(rt, updated, CallbackEvent.POST_RESCHEDULED)
    return updated


async def edit_one(
    rt: Runtime,
    workspace_id: uuid.UUID,
    post_id: uuid.UUID,
    at: datetime,
    text: str,
    when: datetime,
    *,
    role: str = Role.EDITOR,
) -> tuple[PostView, PostView]:
    """Detach occurrence ``at`` as a one-off post with ``text`` at ``when``; returns the
    series' live row and the new post."""
    check_can_schedule(role)
    post = await live(rt, workspace_id, post_id)
    _check_occurrence(post, at)
    draft = await draft_change(Scheduler(rt), post, Change(text=text, when=when))
    problems = all_problems(draft)
    if problems:
        raise RequestProblem(problems, msg("Fix these and save the occurrence again."))
    accounts = tuple(d.account_id for d in post.destinations)
    held = await needs_approval(rt, workspace_id, role, accounts)
    one = NewPost(
        workspace_id=post.workspace_id,
        user_id=post.user_id,
        content=text,
        scheduled_at=max(when, rt.clock.now()),
        timezone=post.timezone,
        account_ids=accounts,
        media_ids=tuple(m.id for m in post.media),
        media_alts=tuple(m.alt for m in post.media),
        series_id=post.series_id or post.id,
        thread=post.thread,
        origin=post.origin,
        callback_url=post.callback_url,
        status=PostStatus.PENDING_APPROVAL if held else PostStatus.SCHEDULED,
        # A network's own version was written for the old text: the new text goes everywhere.
        variants={} if text != post.content else post.variants,
        first_comment=post.first_comment,
    )
    updated, jobs, detached = await rt.posts.skip(workspace_id, post.id, at, _following, one)
    assert detached is not None
    await _queue(rt, updated, jobs)
    await _queue(rt, detached, [Job(d.id, d.revision, d.due_at) for d in detached.destinations])
    await emit(rt, detached, CallbackEvent.POST_SCHEDULED)
    return updated, detached


async def edit_all(
    rt: Runtime,
    workspace_id: uuid.UUID,
    post_id: uuid.UUID,
    *,
    text: str | None = None,
    repeat: str | None = None,
    role: str = Role.EDITOR,
    user_id: uuid.UUID | None = None,
) -> PostView:
    """Change every occurrence still to come: the text, and/or the rule as a phrase
    ("every friday at 17:00"), read in the post's zone."""
    check_can_schedule(role)
    post = await live(rt, workspace_id, post_id)
    if repeat is not None and repeat.strip():
        # Only the repeat is asked for: the post keeps its destinations and text.
        parsed = read_request(
            f"{repeat.strip()}: x", now=rt.clock.now(), tz=post.timezone, defaults=True
        )
        if parsed.problems or parsed.recurrence is None or parsed.when is None:
            raise RequestProblem(
                [*parsed.problems] or [msg("“{phrase}” is not a repeat.", phrase=repeat)],
                msg('Write it like "every monday at 9:00" or "every other friday at 17:00".'),
            )
        post, jobs = await rt.posts.rerule(workspace_id, post.id, parsed.recurrence, parsed.when)
        await _queue(rt, post, jobs)
        await emit(rt, post, CallbackEvent.POST_RESCHEDULED)
    if text is not None and text != post.content:
        post = await Scheduler(rt).edit(workspace_id, post.id, text, role=role, user_id=user_id)
    return post
