"""Messages: commands, requests (text or captioned media), album parts, replies to "Edit time",
and edited messages (which never change a post)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from telegram import Bot, Message, MessageEntity, Update
from telegram.ext import CallbackContext, MessageHandler, filters

from bot.commands import parse_command
from bot.conversation import ChatContext
from bot.render import Reply
from bot.telegram.albums import NO_CAPTION, add_part
from bot.telegram.app import TgApp
from bot.telegram.context import Services, addressed, chat_context, chat_only, is_group
from bot.telegram.handlers.connect import connect_channel
from bot.telegram.media import Attachment, attachment_of, schedule_with_media
from bot.telegram.sending import send_reply
from core.i18n import N_, translate
from core.i18n import gettext as t
from scheduler.edge import canonical_platform

Context = CallbackContext[Any, Any, Any, Any]
EDIT_WINDOW = timedelta(minutes=10)
CONTENT = (
    filters.TEXT | filters.CAPTION | filters.PHOTO | filters.VIDEO | filters.ANIMATION
    | filters.Document.ALL
)  # fmt: skip
EDITED = N_(
    "Editing a message doesn't change a post I already have. Use the buttons under my "
    "confirmation (Edit time, Cancel), or /cancel it and send the request again."
)
ADMINS_ONLY = N_("Only this chat's admins can do that.")


def welcome(tz: str, lang: str | None = None) -> Reply:
    return Reply(
        t(lang, "👋 Hi! I read times in {tz} until you tell me your zone: "
                "`/timezone Europe/Berlin` (any IANA name). /help shows what I can do.", tz=tz),
        private=True,
    )  # fmt: skip


def register(app: TgApp, svc: Services) -> None:
    """New and edited messages that carry text, a caption or a file."""

    async def on_message(update: Update, context: Context) -> None:
        message = update.message
        if message is not None:
            await handle_message(svc, context.bot, message)

    async def on_edit(update: Update, context: Context) -> None:
        message = update.edited_message
        if message is None:
            return
        raw = message.text or message.caption or ""
        bot: Bot = context.bot
        if addressed(raw, bot.username, group=is_group(message.chat)) is None:
            return
        lang = await svc.talk.reply_language(chat_only(message.chat.id), raw)
        edited = Reply(t(lang, EDITED), private=True)
        await send_reply(svc, bot, message.chat.id, edited, message.message_id)

    app.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE & CONTENT, on_edit))
    app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & CONTENT, on_message))


def _replies_to_bot(message: Message, bot: Bot) -> bool:
    original = message.reply_to_message
    return bool(original and original.from_user and original.from_user.id == bot.id)


async def handle_message(svc: Services, bot: Bot, message: Message) -> None:
    """Answer one message; album parts are collected and answered once, later."""
    chat = message.chat
    ctx = await chat_context(svc, bot, chat, message.from_user, message)
    attachment = attachment_of(message)
    if message.media_group_id and attachment is not None:
        await add_part(svc, ctx, message, attachment)
        return
    raw = message.text or message.caption or ""
    if await _follows_thread(svc, bot, ctx, message, raw):
        return
    text = addressed(
        raw, bot.username, group=is_group(chat), reply_to_bot=_replies_to_bot(message, bot)
    )
    if text is None:
        return
    text = _role_target(text, message)
    opens = parse_command(text).kind == "thread"
    for reply in await respond(svc, bot, ctx, text, attachment):
        if opens:
            await _answer_in_thread(svc, bot, ctx, message, reply)
        else:
            await send_reply(svc, bot, chat.id, reply, message.message_id)


async def _follows_thread(
    svc: Services, bot: Bot, ctx: ChatContext, message: Message, raw: str
) -> bool:
    """A reply to a thread being collected (to its first message or any part): the next
    part, ``done`` or ``cancel`` (``bot.threads``), in groups too without naming the bot."""
    replied = message.reply_to_message
    if replied is None or not raw.strip():
        return False
    text = addressed(raw, bot.username, group=is_group(message.chat), reply_to_bot=True) or raw
    reply = await svc.talk.follow_thread(
        ctx, str(replied.message_id), str(message.message_id), text, by_reply=True
    )
    if reply is None:
        return False
    if reply.text:
        await _answer_in_thread(svc, bot, ctx, message, reply)
    return True


async def _answer_in_thread(
    svc: Services, bot: Bot, ctx: ChatContext, message: Message, reply: Reply
) -> None:
    """Send ``reply`` to ``message``; a reply to the answer continues the thread it is in."""
    sent = await send_reply(svc, bot, message.chat.id, reply, message.message_id)
    if sent is not None:
        await svc.talk.thread_answered(ctx, str(message.message_id), str(sent.message_id))


def _role_target(text: str, message: Message) -> str:
    """``/role editor`` in reply to someone's message, or naming them by a text mention (a
    member without a username), names them by their Telegram id."""
    command = parse_command(text)
    if command.kind != "role" or not command.arg.strip():
        return text
    for entity in message.entities or ():
        if entity.type == MessageEntity.TEXT_MENTION and entity.user is not None:
            return f"/role {entity.user.id} {command.arg.split()[-1]}"
    replied = message.reply_to_message
    if len(command.arg.split()) == 1 and replied is not None and replied.from_user is not None:
        return f"/role {replied.from_user.id} {command.arg.strip()}"
    return text


async def respond(
    svc: Services, bot: Bot, ctx: ChatContext, text: str, attachment: Attachment | None
) -> list[Reply]:
    """The replies to ``text`` (and its file) from the person in ``ctx``."""
    me = await svc.talk.identify(ctx)
    lang = await svc.talk.language(ctx, me, text)
    replies: list[Reply] = []
    answer = await _answer(svc, bot, ctx, text, attachment, me.tz, lang)
    replies.append(answer)
    if me.new_user:
        # Asked again: the message may have been `/language es` itself.
        replies.append(welcome(me.tz, await svc.talk.language(ctx, me, text)))
    return replies


async def _answer(
    svc: Services, bot: Bot, ctx: ChatContext, text: str, attachment: Attachment | None, tz: str,
    lang: str,
) -> Reply:  # fmt: skip
    command = parse_command(text)
    if attachment is None and not text.startswith("/") and ctx.can_schedule:
        post_id = await svc.store.take_pending_edit(
            int(ctx.team_id), int(ctx.user_id), svc.runtime.clock.now()
        )
        if post_id is not None:
            return await svc.talk.edit_time(ctx, str(post_id), text)
    if command.kind == "timezone" and not command.arg.strip():
        return Reply(t(lang, "Your time zone is {tz}. Change it with `/timezone Europe/Berlin`.",
                       tz=tz), private=True)  # fmt: skip
    # Anyone may open the calendar (a viewer only looks); connecting stays with the admins.
    if command.kind == "connect" and not ctx.can_schedule:
        return Reply(t(lang, ADMINS_ONLY), private=True)
    if command.kind == "connect" and canonical_platform(command.arg.split(" ", 1)[0]) == "telegram":
        return await connect_channel(svc, bot, ctx, command.arg, lang)
    if attachment is not None and not text.strip():
        return Reply(translate(NO_CAPTION, lang), private=True)
    if attachment is not None and command.kind == "schedule" and ctx.can_schedule:
        return await schedule_with_media(svc, bot, ctx, command.arg, [attachment], lang)
    return await svc.talk.handle(ctx, text)


async def remember_edit(svc: Services, chat_id: int, user_id: int, post_id: Any) -> None:
    """The person's next message in this chat is the new time for ``post_id``."""
    expires = svc.runtime.clock.now() + EDIT_WINDOW
    await svc.store.set_pending_edit(chat_id, user_id, post_id, expires)
