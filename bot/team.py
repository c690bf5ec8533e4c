"""Chat commands of a team: drafts, approval, roles.

``draft: text`` saves a draft (with or without a time or destinations), ``drafts`` lists them,
``schedule ID tomorrow 9am [to x]`` gives one its time; ``approve ID [time]`` and
``reject ID reason`` (and their buttons) decide a waiting post; ``role`` lists members and
``role @someone admin`` changes one; ``approval on|off`` asks for approval in the workspace.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot import render
from bot.render import Reply
from core.errors import RequestProblem
from core.i18n import gettext as t
from core.i18n import msg
from core.states import PostStatus
from scheduler import approval
from scheduler.destinations import resolve
from scheduler.logins import create_login_link
from scheduler.members import Identity
from scheduler.plans import check_approval_allowed
from scheduler.reader import parse_time, read_request
from scheduler.roles import (
    can_manage_members,
    check_can_schedule,
    find_member,
    may_decide,
    parse_role,
    set_role,
)
from scheduler.views import MediaView

if TYPE_CHECKING:
    from bot.conversation import ChatContext, Conversation

KINDS = ("draft", "drafts", "submit", "approve", "reject", "role", "approval")
BUTTONS = ("approve", "reject", "edit")


async def actor_name(talk: Conversation, ctx: ChatContext, me: Identity) -> str:
    """How a decision is signed: the person's chat name, else their stored name."""
    if ctx.user_name:
        return ctx.user_name
    for m in await talk.rt.approvals.members(me.workspace_id):
        if m.user_id == me.user_id and m.display_name:
            return m.display_name
    return ctx.user_id


async def run(
    talk: Conversation, ctx: ChatContext, me: Identity, kind: str, arg: str,
    media: Sequence[MediaView], lang: str,
) -> Reply:  # fmt: skip
    if kind == "drafts":
        drafts = await talk.scheduler.list(me.workspace_id, statuses=("draft",), limit=20)
        return render.draft_list(drafts, me.tz, lang)
    if kind == "role":
        return await _role(talk, me, arg, lang)
    if kind == "approval":
        return await _approval(talk, me, arg, lang)
    if kind in ("approve", "reject"):
        head, _, rest = arg.strip().partition(" ")
        pid = await talk._post_id(me, head, ("pending_approval",))
        return await _decide(talk, ctx, me, kind, pid, rest, lang)
    check_can_schedule(me.role)
    origin = ctx.origin | {
        "platform": ctx.platform,
        "team_id": ctx.team_id,
        "lang": lang,
        "user_name": ctx.user_name,
    }
    if kind == "draft":
        post = await talk.scheduler.schedule(
            me.workspace_id, arg, tz=me.tz, user_id=me.user_id, media=media, origin=origin,
            role=me.role, as_draft=True,
        )  # fmt: skip
        return render.draft_saved(post, me.tz, lang)
    return await _submit(talk, me, arg, lang)


async def _submit(talk: Conversation, me: Identity, arg: str, lang: str) -> Reply:
    """``schedule ID tomorrow 9am [to x, y]``: a draft gets its time (and destinations)."""
    head, _, rest = arg.strip().partition(" ")
    pid = await talk._post_id(me, head, ("draft",))
    # The reader reads the time and destinations as in any request; the text is the draft's.
    parsed = read_request(f"{rest.strip().rstrip(':')}: -", now=talk.rt.clock.now(), tz=me.tz)
    problems = [p for p in parsed.problems if "destination" not in p or parsed.destinations]
    if parsed.when is None or problems:
        raise RequestProblem(problems or [msg("I couldn't find a time.")],
                             msg("Try: `schedule {id} tomorrow 9am`", id=head))  # fmt: skip
    account_ids = None
    if parsed.destinations:
        chosen, unknown = resolve(parsed.destinations, await talk.rt.workspaces.accounts(
            me.workspace_id))  # fmt: skip
        if unknown:
            raise RequestProblem(unknown)
        account_ids = [a.id for a in chosen]
    post = await talk.rt.posts.get(pid, me.workspace_id)
    if post.status != PostStatus.DRAFT:
        raise RequestProblem([msg("This post is no longer a draft.")])
    when = max(parsed.when, talk.rt.clock.now())
    done = await approval.submit_draft(talk.rt, post, when, me.role, me.user_id, account_ids)
    return render.scheduled(done, me.tz, lang)


async def _decide(
    talk: Conversation, ctx: ChatContext, me: Identity, kind: str, pid: uuid.UUID, rest: str,
    lang: str | None,
) -> Reply:  # fmt: skip
    actor = await actor_name(talk, ctx, me)
    if kind == "reject":
        post = await approval.reject(
            talk.rt, me.workspace_id, pid, role=me.role, user_id=me.user_id, actor=actor,
            reason=rest,
        )  # fmt: skip
        return Reply(t(lang, "Rejected; {author} is told why. It is a draft again.",
                       author=render.author(post, lang)), post=post)  # fmt: skip
    when = None
    if rest.strip():
        found = parse_time(rest, now=talk.rt.clock.now(), tz=me.tz)
        if found is None or found.problems or found.when is None:
            raise RequestProblem(
                list(found.problems) if found else
                [msg("I couldn't find a time in “{phrase}”.", phrase=rest)],
            )  # fmt: skip
        when = found.when
    post = await approval.approve(
        talk.rt, me.workspace_id, pid, role=me.role, user_id=me.user_id, actor=actor, when=when
    )
    return Reply(t(lang, "Approved by {who}: scheduled for {when}.", who=actor,
                   when=render.when(post.scheduled_at, me.tz, lang)), post=post)  # fmt: skip


async def press(
    talk: Conversation,
    ctx: ChatContext,
    me: Identity,
    action: str,
    pid: uuid.UUID,
    lang: str | None,
) -> Reply:
    """Approve / Edit / Reject buttons on an approval request."""
    if action == "approve":
        return await _decide(talk, ctx, me, "approve", pid, "", lang)
    if action == "reject":
        post = await talk.rt.posts.get(pid, me.workspace_id)
        if not await may_decide(talk.rt, post, me.role, me.user_id):
            return Reply(t(lang, "Only the workspace's owners and admins can reject posts."),
                         private=True)  # fmt: skip
        # The reason is asked for (Slack opens a form for it): the author must learn why.
        return Reply(t(lang, "Why? Reply `reject {id} the reason` and the author is told.",
                       id=str(pid)[:8]), private=True, post=post)  # fmt: skip
    url = await create_login_link(talk.rt, me.workspace_id, me.user_id, next_path=f"/posts/{pid}")
    text = t(lang, "Edit it in the calendar, then approve it there: {url}\n"
                   "The link works once, for 15 minutes.", url=url)  # fmt: skip
    return Reply(text, private=True)


async def _role(talk: Conversation, me: Identity, arg: str, lang: str) -> Reply:
    members = await talk.rt.approvals.members(me.workspace_id)
    words = arg.split()
    if not words:
        return render.member_list(members, lang)
    if len(words) < 2:
        return Reply(t(lang, "Write `role @someone editor` (roles: owner, admin, editor, "
                             "viewer), or `role` to list members."), private=True)  # fmt: skip
    new = parse_role(words[-1])
    target = find_member(members, " ".join(words[:-1]))
    if target is None:
        return Reply(t(lang, "I don't know “{who}” here: they must have written to me once. "
                             "`role` lists members.", who=" ".join(words[:-1])),
                     private=True)  # fmt: skip
    await set_role(talk.rt, me.workspace_id, me.role, target, new)
    return Reply(t(lang, "{who} is now {role}.", who=render.member_name(target), role=new.value))


async def _approval(talk: Conversation, me: Identity, arg: str, lang: str) -> Reply:
    choice = arg.strip().lower()
    if choice not in ("on", "off"):
        on = await talk.rt.approvals.workspace_approval(me.workspace_id)
        state = t(lang, "on") if on else t(lang, "off")
        return Reply(t(lang, "Approval is {state}. `approval on`: posts by editors wait for an "
                             "owner or admin; `approval off`: they go out as scheduled.",
                       state=state), private=True)  # fmt: skip
    if not can_manage_members(me.role):
        return Reply(t(lang, "Only the workspace's owners and admins can turn approval on or "
                             "off."), private=True)  # fmt: skip
    if choice == "on":
        await check_approval_allowed(talk.rt, me.workspace_id)
    await talk.rt.approvals.set_workspace_approval(me.workspace_id, choice == "on")
    if choice == "on":
        return Reply(t(lang, "Approval is on: posts by editors wait until an owner or admin "
                             "approves them."))  # fmt: skip
    return Reply(t(lang, "Approval is off: posts go out as scheduled."))
