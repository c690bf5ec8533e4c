"""Who is talking and where: a Telegram message to a ``ChatContext``.

A private chat is the person's own workspace (``telegram:<user id>``); a group or supergroup is
a workspace shared by its members (``telegram:<chat id>``). Telegram's own admin list gives
roles in a group (``scheduler.roles``): its creator and administrators are editors at least (the
first of them to write becomes the workspace's owner); everyone else is a viewer, who may list
posts and accounts but not schedule, change or connect, until an owner or admin gives them a
role with ``/role``. An anonymous admin writes as the group itself and counts
as an admin. Admin checks call getChatMember and are cached for ``ADMIN_TTL`` seconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from telegram import Bot, Chat, Message, User
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError

from bot.conversation import ChatContext, Conversation
from bot.telegram.app import FloodWindow, build_bot, initialize
from scheduler.edge import TelegramStore
from scheduler.runtime import Runtime

PLATFORM = "telegram"
ADMIN_TTL = 60.0
ADMIN_STATUSES = frozenset({ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR})


@dataclass
class AdminCache:
    """getChatMember answers, kept briefly so a busy group costs one call a minute per person."""

    ttl: float = ADMIN_TTL
    seen: dict[tuple[int, int], tuple[float, bool]] = field(default_factory=dict)

    async def is_admin(self, bot: Bot, chat_id: int, user_id: int) -> bool:
        """Whether ``user_id`` is the creator or an administrator of ``chat_id``."""
        key = (chat_id, user_id)
        hit = self.seen.get(key)
        now = time.monotonic()
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        try:
            member = await bot.get_chat_member(chat_id, user_id)
        except TelegramError:
            return False  # fail closed: no answer, no rights
        admin = member.status in ADMIN_STATUSES
        self.seen[key] = (now, admin)
        return admin


@dataclass(frozen=True)
class Services:
    """The process's Telegram parts, built once by ``app/``: what the handlers share (runtime,
    conversation, our rows, admin cache), the Bot for sends outside an update (results, album
    flushes, deferred replies), and the flood window every send honours."""

    runtime: Runtime
    talk: Conversation
    store: TelegramStore
    admins: AdminCache
    bot: Bot
    flood: FloodWindow

    @classmethod
    def build(cls, runtime: Runtime) -> Services:
        """The parts for ``runtime``; the Bot talks to Telegram only when first used."""
        return cls(
            runtime,
            Conversation(runtime),
            TelegramStore(runtime.workspaces.sessions),
            AdminCache(),
            build_bot(runtime.settings),
            FloodWindow(),
        )

    async def ready_bot(self) -> Bot:
        """``bot``, initialized (getMe) on its first use."""
        await initialize(self.bot)
        return self.bot

    async def aclose(self) -> None:
        """Close the Bot's HTTP client (nothing to do if it was never used)."""
        await self.bot.shutdown()


def is_group(chat: Chat) -> bool:
    return chat.type in (Chat.GROUP, Chat.SUPERGROUP)


def display_name(user: User | None) -> str | None:
    if user is None:
        return None
    return user.full_name or user.username


def chat_only(chat_id: int) -> ChatContext:
    """A context naming only the chat: enough to find its language setting, nobody synced.

    A private chat's id is its person's id, so its workspace name is the same either way."""
    return ChatContext(PLATFORM, str(chat_id), "", origin={"chat_id": chat_id},
                       workspace_name=f"{PLATFORM}:{chat_id}")  # fmt: skip


async def chat_context(
    svc: Services, bot: Bot, chat: Chat, user: User | None, message: Message | None
) -> ChatContext:
    """The context for a message (or a button press on one) in ``chat`` by ``user``."""
    anonymous_admin = message is not None and message.sender_chat is not None and (
        message.sender_chat.id == chat.id
    )
    user_id = chat.id if anonymous_admin or user is None else user.id
    if is_group(chat):
        allowed = anonymous_admin or (
            user is not None and await svc.admins.is_admin(bot, chat.id, user.id)
        )
        workspace = f"{PLATFORM}:{chat.id}"
    else:
        allowed = True
        workspace = f"{PLATFORM}:{user_id}"
    origin: dict[str, Any] = {"chat_id": chat.id}
    if is_group(chat):
        origin["group"] = True
    if message is not None:
        origin["message_id"] = message.message_id
        if message.message_thread_id:
            origin["thread_id"] = message.message_thread_id
    return ChatContext(
        platform=PLATFORM,
        team_id=str(chat.id),
        user_id=str(user_id),
        user_name=chat.title if anonymous_admin else display_name(user),
        origin=origin,
        can_schedule=allowed,
        workspace_name=workspace,
        # A group's own admins are editors at least; its other members viewers until an
        # owner or admin gives them a role (``/role``). A private chat is the person's own.
        platform_role=("editor" if allowed else "viewer") if is_group(chat) else None,
    )


def addressed(
    text: str, username: str | None, *, group: bool, reply_to_bot: bool = False
) -> str | None:
    """The request in ``text`` if it is meant for the bot, without the @mention; else None.

    In a private chat everything is. In a group only commands, @mentions and replies to the
    bot are, so a bot that sees all messages does not answer the group's small talk.
    """
    mention = f"@{username}" if username else ""
    found = bool(mention) and mention.lower() in text.lower()
    if found:
        at = text.lower().index(mention.lower())
        text = (text[:at] + text[at + len(mention):]).strip()
    if not group or found or reply_to_bot or text.lstrip().startswith("/"):
        return text.strip()
    return None


def context_to_dict(ctx: ChatContext) -> dict[str, Any]:
    """A ChatContext as JSON, for an album collected across updates and flushed by a worker."""
    return {
        "team_id": ctx.team_id,
        "user_id": ctx.user_id,
        "user_name": ctx.user_name,
        "origin": dict(ctx.origin),
        "can_schedule": ctx.can_schedule,
        "workspace_name": ctx.workspace_name,
        "platform_role": ctx.platform_role,
    }


def context_from_dict(data: dict[str, Any]) -> ChatContext:
    """The inverse of ``context_to_dict``."""
    return ChatContext(
        platform=PLATFORM,
        team_id=str(data["team_id"]),
        user_id=str(data["user_id"]),
        user_name=data.get("user_name"),
        origin=dict(data.get("origin") or {}),
        can_schedule=bool(data.get("can_schedule")),
        workspace_name=str(data.get("workspace_name") or ""),
        platform_role=data.get("platform_role"),
    )
