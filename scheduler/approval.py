"""Approval and drafts: ask the approvers, approve, reject, schedule a draft, expire waits.

A post scheduled where approval is required by someone who is not an approver is stored as
``pending_approval`` with no job; ``approvers_for`` (``scheduler.roles``) names who is asked,
through ``Runtime.approval_chat`` (the chat the post came from). Approving moves it to
``scheduled`` with one conditional UPDATE and queues it, so two approvers tapping at once
approve it once. Rejecting, or its time passing while it waits, makes it a draft again and
tells its author. Every decision is stored (``post_approvals``) and shown on the post's page.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from core.errors import Conflict, RequestProblem
from core.i18n import msg
from core.states import CallbackEvent, PostStatus
from scheduler.hooks.callbacks import emit
from scheduler.notifier import ApprovalNotice
from scheduler.publishing.horizon import queue_jobs
from scheduler.roles import approvers_for, check_can_schedule, may_decide, needs_approval
from scheduler.runtime import Runtime
from storage.views import PostView

log = logging.getLogger("outpost.approval")
PAST_GRACE = timedelta(seconds=60)


async def _tell(rt: Runtime, notice: ApprovalNotice) -> None:
    """Say it in the chat; a chat that cannot be reached never undoes the decision."""
    try:
        await rt.approval_chat.approval(notice)
    except Exception:  # the post's state is already committed; the log says what was lost
        log.exception("approval notice not delivered",
                      extra={"post_id": str(notice.post.id), "kind": notice.kind})  # fmt: skip


async def ask_approvers(rt: Runtime, post: PostView) -> None:
    """Ask the post's approvers (in its chat) to approve, edit or reject it."""
    approvers = await approvers_for(rt, post)
    await _tell(rt, ApprovalNotice("requested", post, tuple(approvers)))


async def held(rt: Runtime, post: PostView, user_id: uuid.UUID | None) -> None:
    """A post that now waits for approval: record, announce, ask."""
    author = str(post.origin.get("user_name") or "")
    await rt.approvals.record(post.id, "requested", user_id, author)
    await emit(rt, post, CallbackEvent.POST_APPROVAL_REQUESTED)
    await ask_approvers(rt, post)


async def submit_draft(
    rt: Runtime,
    post: PostView,
    when: datetime,
    role: str,
    user_id: uuid.UUID | None,
    account_ids: Sequence[uuid.UUID] | None = None,
) -> PostView:
    """Give a draft its time (and destinations): scheduled, or waiting for an approver."""
    check_can_schedule(role)
    accounts = (
        list(account_ids) if account_ids is not None else [d.account_id for d in post.destinations]
    )
    if not accounts:
        raise RequestProblem(
            [msg("This draft has no destination yet.")],
            msg("Say where: `schedule {id} tomorrow 9am to mastodon`.", id=str(post.id)[:8]),
        )
    status = PostStatus.SCHEDULED
    if await needs_approval(rt, post.workspace_id, role, accounts):
        status = PostStatus.PENDING_APPROVAL
    moved = await rt.approvals.move(
        post.workspace_id,
        post.id,
        PostStatus.DRAFT,
        status,
        when=when,
        account_ids=account_ids,
    )
    if moved is None:
        raise Conflict(msg("This post is no longer a draft."))
    view, jobs = moved
    if status == PostStatus.SCHEDULED:
        await queue_jobs(rt, jobs)
        await emit(rt, view, CallbackEvent.POST_SCHEDULED)
    else:
        await held(rt, view, user_id)
    return view


async def _decided(rt: Runtime, post_id: uuid.UUID) -> Conflict:
    """Why a post is no longer waiting: who decided, or its status."""
    last = await rt.approvals.last_decision(post_id)
    if last is not None and last.decision == "approved":
        return Conflict(msg("Already approved by {who}.", who=last.actor or "?"))
    if last is not None and last.decision == "rejected":
        return Conflict(msg("Already rejected by {who}.", who=last.actor or "?"))
    if last is not None and last.decision == "expired":
        return Conflict(msg("Nobody approved it before its time: it is a draft again."),
                        msg("Give it a new time: `schedule {id} tomorrow 9am`.",
                            id=str(post_id)[:8]))  # fmt: skip
    return Conflict(msg("This post is not waiting for approval."))


async def approve(
    rt: Runtime,
    workspace_id: uuid.UUID,
    post_id: uuid.UUID,
    *,
    role: str,
    user_id: uuid.UUID | None,
    actor: str,
    when: datetime | None = None,
) -> PostView:
    """Approve a waiting post: it is scheduled (at ``when`` if given) and queued.

    If its time passed while it waited, nothing changes and the approver is asked for a new
    time (``approve ID tomorrow 9am``).
    """
    post = await rt.posts.get(post_id, workspace_id)
    if not await may_decide(rt, post, role, user_id):
        raise Conflict(msg("Only the workspace's owners and admins can approve posts."))
    if post.status != PostStatus.PENDING_APPROVAL:
        raise await _decided(rt, post_id)
    now = rt.clock.now()
    at = when if when is not None else post.scheduled_at
    if at < now - PAST_GRACE:
        raise RequestProblem(
            [
                msg(
                    "Its time ({when}) has passed while it waited.",
                    when=post.scheduled_at.isoformat(),
                )
            ],
            msg("Give it a new time: `approve {id} tomorrow 9am`.", id=str(post.id)[:8]),
        )
    moved = await rt.approvals.move(
        workspace_id, post_id, PostStatus.PENDING_APPROVAL, PostStatus.SCHEDULED,
        when=max(at, now) if when is not None else None,
        decision=("approved", user_id, actor, ""),
    )  # fmt: skip
    if moved is None:  # another approver was first
        raise await _decided(rt, post_id)
    view, jobs = moved
    await queue_jobs(rt, jobs)
    await emit(rt, view, CallbackEvent.POST_APPROVED)
    await _tell(rt, ApprovalNotice("approved", view, actor=actor))
    return view


async def reject(
    rt: Runtime,
    workspace_id: uuid.UUID,
    post_id: uuid.UUID,
    *,
    role: str,
    user_id: uuid.UUID | None,
    actor: str,
    reason: str,
) -> PostView:
    """Reject a waiting post: a draft again; its author is told why, in the request's thread."""
    if not await may_decide(rt, await rt.posts.get(post_id, workspace_id), role, user_id):
        raise Conflict(msg("Only the workspace's owners and admins can reject posts."))
    reason = reason.strip()[:1000]
    if not reason:
        raise RequestProblem(
            [msg("Say why, so the author can fix it.")],
            msg("e.g. `reject {id} the link is wrong`", id=str(post_id)[:8]),
        )
    moved = await rt.approvals.move(
        workspace_id, post_id, PostStatus.PENDING_APPROVAL, PostStatus.DRAFT,
        decision=("rejected", user_id, actor, reason),
    )  # fmt: skip
    if moved is None:
        await rt.posts.get(post_id, workspace_id)  # NotFound for another workspace's post
        raise await _decided(rt, post_id)
    view, _ = moved
    await emit(rt, view, CallbackEvent.POST_REJECTED)
    await _tell(rt, ApprovalNotice("rejected", view, actor=actor, reason=reason))
    return view


async def expire_overdue(rt: Runtime) -> int:
    """Waiting posts whose time came: drafts again, and their authors told. How many."""
    count = 0
    # The same grace an approver has: a post asked for "now" can still be approved at once.
    for post_id in await rt.approvals.overdue(rt.clock.now() - PAST_GRACE):
        moved = await rt.approvals.move(
            None, post_id, PostStatus.PENDING_APPROVAL, PostStatus.DRAFT,
            decision=("expired", None, "", ""),
        )  # fmt: skip
        if moved is None:
            continue  # approved or rejected meanwhile
        count += 1
        await _tell(rt, ApprovalNotice("expired", moved[0]))
    return count


async def expire_task(ctx: dict[str, Any]) -> int:
    """The cron task (its own entry beside the reconciler's)."""
    return await expire_overdue(ctx["runtime"])
