"""``/connect telegram @channel``: check the bot is an admin who may post, then store it."""

from __future__ import annotations

from telegram import Bot, Chat
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError

from bot.conversation import ChatContext
from bot.render import Reply
from bot.telegram.app import token
from bot.telegram.context import Services
from core.i18n import N_
from core.i18n import gettext as t
from scheduler.accounts.usecases import connect_account

HOWTO = N_(
    "To post to a Telegram channel: add me to the channel as an admin with the right to post "
    "messages, then send `/connect telegram @yourchannel`."
)


def _target(arg: str) -> str:
    parts = arg.split()
    if len(parts) < 2:
        return ""
    target = parts[1]
    if target.lstrip("-").isdigit() or target.startswith("@"):
        return target
    return "@" + target.rsplit("/", 1)[-1]  # people paste t.me/name links


async def connect_channel(
    svc: Services, bot: Bot, ctx: ChatContext, arg: str, lang: str | None = None
) -> Reply:
    """Verify with getChat and getChatMember, then add the channel as an account."""
    target = _target(arg)
    if not target:
        return Reply(t(lang, HOWTO), private=True)
    try:
        chat = await bot.get_chat(target)
    except TelegramError:
        return Reply(t(lang, "I can't see {target}. Add me to the channel as an admin first, "
                            "then try again.", target=target), private=True)  # fmt: skip
    if chat.type != Chat.CHANNEL:
        kind = t(lang, "{target} is a {kind}, not a channel.", target=target, kind=chat.type)
        return Reply(f"{kind} {t(lang, HOWTO)}", private=True)
    try:
        member = await bot.get_chat_member(chat.id, bot.id)
    except TelegramError:
        member = None
    status = member.status if member is not None else ChatMemberStatus.LEFT
    rights = bool(getattr(member, "can_post_messages", False))
    may_post = status == ChatMemberStatus.OWNER or (
        status == ChatMemberStatus.ADMINISTRATOR and rights
    )
    if not may_post:
        return Reply(
            t(lang, "I'm not an admin of {target} with the right to post messages. Make me one, "
                    "then send `/connect telegram {target}` again.", target=target),
            private=True,
        )  # fmt: skip
    rt = svc.runtime
    me = await svc.talk.identify(ctx)
    handle = f"@{chat.username}" if chat.username else str(chat.id)
    await connect_account(
        rt,
        me.workspace_id,
        "telegram",
        handle,
        token(rt.settings),
        base_url=rt.settings.telegram_api_url,
        display_name=chat.title,
        settings={"chat_id": chat.id, "username": chat.username or ""},
        user_id=me.user_id,
    )
    return Reply(
        t(lang, "Connected telegram:{handle} ({title}). Try: `now to telegram: Hello, channel!`",
          handle=handle, title=chat.title),
        private=True,
    )  # fmt: skip
