"""Chat members: who is talking (synced into a workspace on first contact), their time zone,
and the workspace a chat team maps to.

Adding a member is held to the plan's members (``scheduler.plans``): someone new writing to a
full workspace is told so, and nothing of theirs is stored.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import LimitReached
from core.states import Role
from scheduler.plans import quota, refusal
from scheduler.roles import effective
from scheduler.runtime import Runtime
from storage.views import WorkspaceView

# A synced sender: their workspace, user id, own time zone (if set) and stored role.
Member = tuple[WorkspaceView, uuid.UUID, str | None, str]


@dataclass(frozen=True)
class Identity:
    """The Outpost workspace and user behind a chat member, and the time zone to read in."""

    workspace_id: uuid.UUID
    user_id: uuid.UUID
    tz: str
    new_user: bool
    # What they may do here (``scheduler.roles``), the platform's floor applied.
    role: str = "editor"


@dataclass(frozen=True)
class Speaker:
    """A chat member as the platform names them: team, user, display name and zone."""

    workspace: str
    platform: str
    team_id: str
    user_id: str
    user_name: str | None = None
    user_tz: str | None = None
    # What the chat platform itself grants (a Telegram group's admins: editor; its other
    # members: viewer), or None where the platform has no say (Slack, a private chat).
    platform_role: str | None = None


def valid_zone(name: str | None) -> str | None:
    """``name`` if it is a time zone this machine knows, else None."""
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


async def known_member(rt: Runtime, who: Speaker) -> Member | None:
    """The speaker as synced into their workspace, or ``None`` before first contact."""
    return await rt.workspaces.known_member(who.workspace, who.platform, who.team_id, who.user_id)


async def identify(rt: Runtime, who: Speaker, known: Member | None = None) -> Identity:
    """Sync the speaker on first contact (workspace, user, membership), then find their zone.

    ``known`` is what ``known_member`` already answered, so it is not asked twice.
    """
    known = known or await known_member(rt, who)
    if known is not None:
        ws, user_id, stored, role = known
        created = False
    else:
        ws = await rt.workspaces.ensure(who.workspace, valid_zone(who.user_tz) or "UTC")
        plan = rt.plans.get(ws.plan)
        try:
            user_id, created = await rt.workspaces.sync_chat_user(
                ws.id, who.platform, who.team_id, who.user_id, who.user_name,
                valid_zone(who.user_tz), quota=quota(rt, plan, "members"),
                role=who.platform_role or Role.EDITOR, may_own=who.platform_role != Role.VIEWER,
            )  # fmt: skip
        except LimitReached as exc:
            raise refusal(rt, plan, "members", exc.used, ws.name) from None
        stored = await rt.workspaces.user_timezone(user_id)
        role = await rt.approvals.role(ws.id, user_id) or Role.VIEWER
    tz = valid_zone(stored) or valid_zone(who.user_tz) or ws.timezone
    return Identity(ws.id, user_id, tz, created, effective(role, who.platform_role))


async def set_timezone(rt: Runtime, user_id: uuid.UUID, zone: str) -> None:
    """Remember a member's own time zone (already checked with ``valid_zone``)."""
    await rt.workspaces.set_user_timezone(user_id, zone)


async def team_workspace(rt: Runtime, name: str) -> WorkspaceView:
    """The workspace a chat team maps to, made on first use."""
    return await rt.workspaces.ensure(name)
