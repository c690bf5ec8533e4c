"""Reordering a queue: ``move ID up|down``, pulling it forward when a post is cancelled, and
stopping an evergreen post.

A post's queue is the live queued posts to exactly its accounts. A swap exchanges two posts'
times in one transaction (``PostStore.swap``: both move or neither); a pull-forward goes through
the one reschedule use case (``Scheduler.reschedule``, handed in as ``move``). Either way each
post's jobs are re-queued, its revision bumped and its rescheduled event sent.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

from core.errors import Conflict, NotFound, RequestProblem
from core.i18n import msg
from core.states import HELD_POST_STATUSES, CallbackEvent, PostStatus
from scheduler.hooks.callbacks import emit
from scheduler.publishing.horizon import queue_jobs
from scheduler.runtime import Runtime
from storage.views import PostView

log = logging.getLogger(__name__)
Move = Callable[[uuid.UUID | None, uuid.UUID, datetime], Awaitable[PostView]]
UP, DOWN = "up", "down"


async def swap(
    rt: Runtime, workspace_id: uuid.UUID, post_id: uuid.UUID, direction: str
) -> tuple[PostView, PostView]:
    """Swap a queued post's time with the previous (``up``) or next (``down``) one in its
    queue; both as rescheduled."""
    queue = await _queue(rt, workspace_id, post_id)
    at = [pid for pid, _ in queue].index(post_id)
    other = at - 1 if direction == UP else at + 1
    if not 0 <= other < len(queue):
        first = direction == UP
        raise RequestProblem([
            msg("This post is already first in its queue.") if first
            else msg("This post is already last in its queue.")
        ])  # fmt: skip
    return await _exchange(rt, workspace_id, queue[at], queue[other])


async def swap_with(
    rt: Runtime, workspace_id: uuid.UUID, post_id: uuid.UUID, other_id: uuid.UUID
) -> tuple[PostView, PostView]:
    """Swap the times of two posts of the same queue (the week view's drag and drop)."""
    queue = dict(await _queue(rt, workspace_id, post_id))
    if other_id not in queue or other_id == post_id:
        raise RequestProblem(
            [msg("Drop a queued post on another post of the same queue to swap them.")]
        )
    return await _exchange(rt, workspace_id, (post_id, queue[post_id]), (other_id, queue[other_id]))


async def _queue(
    rt: Runtime, workspace_id: uuid.UUID, post_id: uuid.UUID
) -> list[tuple[uuid.UUID, datetime]]:
    now = rt.clock.now()
    # Only what is still ahead moves: a post due now is about to publish.
    queue = [(pid, at) for pid, at in await rt.slots.queue_of(workspace_id, post_id) if at > now]
    if post_id not in [pid for pid, _ in queue]:
        raise RequestProblem(
            [msg("Only a scheduled post placed by the queue can move up or down.")],
            msg("Queue one with `queue to linkedin: …`, or give it a time with Edit time."),
        )
    return queue


async def _exchange(
    rt: Runtime, workspace_id: uuid.UUID, mine: tuple[uuid.UUID, datetime],
    theirs: tuple[uuid.UUID, datetime],
) -> tuple[PostView, PostView]:  # fmt: skip
    async with rt.slots.holding(workspace_id):
        swapped = await rt.posts.swap(workspace_id, mine, theirs)
    for post, jobs in swapped:
        if post.status not in HELD_POST_STATUSES:
            await queue_jobs(rt, jobs)
        await emit(rt, post, CallbackEvent.POST_RESCHEDULED)
    return swapped[0][0], swapped[1][0]


async def pull_forward(rt: Runtime, cancelled: PostView, move: Move) -> list[PostView]:
    """After ``cancelled`` left its queue: when the workspace asks for it, each later post of
    that queue takes the time of the one before it. The posts moved, in order."""
    if not cancelled.queued or cancelled.status != PostStatus.CANCELLED:
        return []
    _, _, on = await rt.slots.slots(cancelled.workspace_id)
    if not on:
        return []
    moved: list[PostView] = []
    # Under the queue lock: a ``queue`` request meanwhile waits, then sees the moved queue.
    async with rt.slots.holding(cancelled.workspace_id):
        queue = await rt.slots.queue_of(cancelled.workspace_id, cancelled.id)
        free = cancelled.scheduled_at
        for pid, at in queue:
            if at <= cancelled.scheduled_at:
                continue
            # The earliest first: each one's old time is free once it has moved.
            try:
                moved.append(await move(cancelled.workspace_id, pid, free))
            except (Conflict, NotFound):
                # It changed meanwhile (published, cancelled): the cancel stands, the rest waits.
                log.info("queue pull-forward stopped", extra={"post_id": str(pid)})
                break
            free = at
    return moved


async def stop_evergreen(rt: Runtime, workspace_id: uuid.UUID, post_id: uuid.UUID) -> PostView:
    """Stop a post (and the copies it made) coming back into the queue."""
    post = await rt.posts.get(post_id, workspace_id)
    if not await rt.slots.stop_evergreen(workspace_id, post_id):
        raise RequestProblem([msg("This post is not evergreen.")])
    return await rt.posts.get(post.id, workspace_id)
