"""Channel defaults: a Slack channel or Telegram chat's default destinations, zone and approver.

A request typed in a chat with default destinations may leave them out (``tomorrow 9am: hi``),
and is read in the chat's zone when it has one (over the workspace's and the person's: the
channel is where the team agreed on it). Only the workspace's owners and admins change them.
The approver is kept here; ``channel_approver`` is what approval asks for a post.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from core.errors import RequestProblem
from core.i18n import msg
from scheduler.destinations import resolve
from scheduler.members import valid_zone
from scheduler.runtime import Runtime
from storage.channels import ChannelView
from storage.views import AccountView, PostView

ADMIN_ROLES = ("owner", "admin")
NAME_THEM = msg("Name the accounts, e.g. `defaults to x, linkedin`.")
# Slack writes a mention as <@U123> or <@U123|name>; Telegram and people write @name.
_SLACK_MENTION = re.compile(r"^<@(?P<id>[A-Z0-9]+)(?:\|[^>]*)?>$")


@dataclass(frozen=True)
class Chat:
    """Where a request was typed: the platform, its team and the channel or chat id."""

    workspace_id: uuid.UUID
    platform: str
    team_id: str
    chat_id: str


@dataclass(frozen=True)
class Shown:
    """A chat's defaults as people read them: account names, zone, approver's name."""

    destinations: tuple[AccountView, ...]
    timezone: str | None
    approver: str | None

    @property
    def empty(self) -> bool:
        return not self.destinations and not self.timezone and not self.approver


async def chat_defaults(rt: Runtime, chat: Chat) -> ChannelView | None:
    """The chat's stored defaults, or None (one statement: read for every request)."""
    if not chat.chat_id:
        return None
    return await rt.channels.get(chat.workspace_id, chat.platform, chat.chat_id)


async def channel_approver(
    rt: Runtime, workspace_id: uuid.UUID, platform: str, chat_id: str
) -> uuid.UUID | None:
    """The user who approves posts requested in this chat, if one was set."""
    found = await rt.channels.get(workspace_id, platform, chat_id)
    return None if found is None else found.approver_user_id


async def post_channel_approver(rt: Runtime, post: PostView) -> uuid.UUID | None:
    """The approver of the chat a post was requested in (its ``origin``), if any."""
    platform, chat_id = post.origin.get("platform"), post.origin.get("chat")
    if not platform or not chat_id:
        return None
    return await channel_approver(rt, post.workspace_id, str(platform), str(chat_id))


async def is_admin(rt: Runtime, workspace_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """Whether the member is the workspace's owner or an admin."""
    return await rt.channels.role(workspace_id, user_id) in ADMIN_ROLES


async def shown(rt: Runtime, chat: Chat) -> Shown:
    """The chat's defaults with names instead of ids."""
    found = await chat_defaults(rt, chat)
    if found is None:
        return Shown((), None, None)
    accounts = await rt.workspaces.accounts(chat.workspace_id)
    chosen = tuple(a for a in accounts if a.id in found.destinations)
    approver = found.approver_name or (str(found.approver_user_id)[:8]
                                       if found.approver_user_id else None)  # fmt: skip
    return Shown(chosen, found.timezone, approver)


async def set_destinations(rt: Runtime, chat: Chat, typed: str) -> list[AccountView]:
    """Default destinations as typed (``x, linkedin``), each a connected account."""
    names = [n for n in re.split(r"[,&\s]+", typed.strip()) if n and n.lower() != "and"]
    chosen, problems = resolve(names, await rt.workspaces.accounts(chat.workspace_id))
    if problems or not chosen:
        raise RequestProblem(problems or [NAME_THEM])
    await rt.channels.set(
        chat.workspace_id, chat.platform, chat.chat_id, destinations=[a.id for a in chosen]
    )
    return chosen


async def set_zone(rt: Runtime, chat: Chat, typed: str) -> str:
    """The chat's time zone (an IANA name)."""
    zone = valid_zone(typed.strip())
    if zone is None:
        raise RequestProblem(
            [msg("“{zone}” is not a time zone I know.", zone=typed.strip())],
            msg('Use a name like "Europe/Berlin".'),
        )
    await rt.channels.set(chat.workspace_id, chat.platform, chat.chat_id, timezone=zone)
    return zone


async def set_approver(rt: Runtime, chat: Chat, typed: str) -> uuid.UUID:
    """The chat's approver: a member named by mention, platform id or display name."""
    ref = typed.strip()
    mention = _SLACK_MENTION.match(ref)
    ref = mention.group("id") if mention else ref.removeprefix("@")
    user_id = await rt.channels.member_by_chat(chat.workspace_id, chat.platform, chat.team_id, ref)
    if user_id is None:
        raise RequestProblem(
            [msg("I don't know “{who}” in this workspace yet.", who=typed.strip())],
            msg("They need to write to me once first; then `defaults approver @name`."),
        )
    await rt.channels.set(chat.workspace_id, chat.platform, chat.chat_id, approver_user_id=user_id)
    return user_id


async def clear(rt: Runtime, chat: Chat) -> bool:
    """Forget the chat's defaults; whether it had any."""
    return await rt.channels.clear(chat.workspace_id, chat.platform, chat.chat_id)
