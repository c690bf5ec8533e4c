"""Who may do what in a workspace: one place for every adapter (chats, API, calendar, CLI).

Roles, strongest first: owner, admin, editor, viewer. Viewers list and open the calendar;
editors also schedule, edit and cancel; admins and owners also approve, change roles and turn
approval on or off. Only an owner makes or unmakes owners, and the last owner stays one.

Where the chat platform has its own say, it gives a floor: a Telegram group's own admins are
at least editors whatever is stored (``effective``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from core.errors import Conflict, RequestProblem
from core.i18n import msg
from core.states import Role
from scheduler.runtime import Runtime
from storage.views import MemberView, PostView

RANK = {Role.OWNER: 0, Role.ADMIN: 1, Role.EDITOR: 2, Role.VIEWER: 3}


def parse_role(value: str) -> Role:
    """A role from what someone typed; a clear problem otherwise."""
    try:
        return Role(value.strip().lower())
    except ValueError:
        raise RequestProblem(
            [msg("“{role}” is not a role. Roles: owner, admin, editor, viewer.", role=value)]
        ) from None


def effective(stored: str | None, floor: str | None = None) -> Role:
    """The stronger of the stored role and what the platform grants (``floor``)."""
    role = Role(stored) if stored in set(Role) else Role.VIEWER
    if floor in set(Role) and RANK[Role(floor)] < RANK[role]:
        return Role(floor)
    return role


def can_schedule(role: str) -> bool:
    """Schedule, edit, reschedule or cancel posts (viewers cannot)."""
    return role in (Role.OWNER, Role.ADMIN, Role.EDITOR)


VIEWER = msg("You can look at this workspace's posts but not schedule them (you are a viewer).")
VIEWER_HINT = msg("Ask an owner or admin to make you an editor: `role @you editor`.")


def check_can_schedule(role: str) -> None:
    """Raise the viewers' answer unless ``role`` may schedule."""
    if not can_schedule(role):
        raise Conflict(VIEWER, VIEWER_HINT)


def can_approve(role: str) -> bool:
    """Approve or reject posts waiting for approval; schedule without approval."""
    return role in (Role.OWNER, Role.ADMIN)


def can_manage_members(role: str) -> bool:
    """Change members' roles, invite people, turn approval on or off."""
    return role in (Role.OWNER, Role.ADMIN)


def check_grant(actor: str, current: str, new: Role, owners: int) -> None:
    """Raise unless ``actor`` may move someone from ``current`` to ``new``."""
    if not can_manage_members(actor):
        raise Conflict(msg("Only the workspace's owners and admins can change roles."))
    if Role.OWNER in (current, new) and actor != Role.OWNER:
        raise Conflict(msg("Only an owner can make or unmake owners."))
    if current == Role.OWNER and new != Role.OWNER and owners <= 1:
        raise Conflict(msg("A workspace keeps at least one owner: make someone else owner first."))


async def role_of(rt: Runtime, workspace_id: uuid.UUID, user_id: uuid.UUID | None) -> Role:
    """A member's stored role (viewer for anyone who is not a member)."""
    if user_id is None:
        return Role.VIEWER
    return effective(await rt.approvals.role(workspace_id, user_id))


async def set_role(
    rt: Runtime, workspace_id: uuid.UUID, actor_role: str, target: MemberView, new: Role
) -> None:
    """Change ``target``'s role, if ``actor_role`` may."""
    owners = sum(1 for m in await rt.approvals.members(workspace_id) if m.role == Role.OWNER)
    check_grant(actor_role, target.role, new, owners)
    await rt.approvals.set_role(workspace_id, target.user_id, new)


def find_member(members: Sequence[MemberView], key: str) -> MemberView | None:
    """A member by user id, e-mail, chat id (``U123``, ``<@U123>``, ``12345``) or name."""
    wanted = key.strip().strip("<>").lstrip("@").split("|", 1)[0].lower()
    if not wanted:
        return None
    for m in members:
        ids = {str(m.user_id), (m.email or "").lower(), *(c[2].lower() for c in m.chats)}
        if wanted in ids:
            return m
    named = [m for m in members if (m.display_name or "").lower() == wanted]
    return named[0] if len(named) == 1 else None


async def approvers_for(rt: Runtime, post: PostView) -> list[MemberView]:
    """Who is asked to approve ``post``: the approver its chat's defaults name (first, whatever
    their role), then the workspace's owners and admins, so every adapter asks the same people.
    """
    members = await rt.approvals.members(post.workspace_id)
    first = await _channel_approver(rt, post)
    asked = [m for m in members if can_approve(m.role) or m.user_id == first]
    return sorted(asked, key=lambda m: m.user_id != first)


async def may_decide(rt: Runtime, post: PostView, role: str, user_id: uuid.UUID | None) -> bool:
    """Whether someone may approve or reject ``post``: an owner or admin, or the approver the
    defaults of the chat it was asked in name."""
    if can_approve(role):
        return True
    return user_id is not None and user_id == await _channel_approver(rt, post)


async def _channel_approver(rt: Runtime, post: PostView) -> uuid.UUID | None:
    # Imported here: channels -> members -> roles would otherwise be a cycle.
    from scheduler.channels import post_channel_approver

    return await post_channel_approver(rt, post)


async def needs_approval(
    rt: Runtime, workspace_id: uuid.UUID, role: str, account_ids: Sequence[uuid.UUID]
) -> bool:
    """Whether a post by someone with ``role`` to these accounts waits for an approver."""
    if can_approve(role):
        return False
    return await rt.approvals.requires_approval(workspace_id, account_ids)
