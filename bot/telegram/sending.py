"""Our own messages to Telegram, with its flood control honoured.

A 429 carries ``retry_after``: a reply that hits it is queued as a deferred task for exactly
then, instead of sleeping in the webhook; the task raises ``RetryLater`` if Telegram is still
not ready. Refusals (the person blocked the bot, the chat is gone) are logged and dropped.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from telegram import Bot, ForceReply, InlineKeyboardMarkup, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter

from bot.render import Reply
from bot.telegram.app import retry_seconds
from bot.telegram.context import Services
from bot.telegram.keyboards import html, markup
from scheduler.publishing.queue import enqueue_task
from scheduler.publishing.runner import RetryLater

log = logging.getLogger("outpost.telegram")

SEND_TASK = "telegram_send"
MARGIN = 0.25  # our clock and Telegram's differ; never come back before its window ends


async def deliver(
    bot: Bot,
    chat_id: int,
    text: str,
    keyboard: InlineKeyboardMarkup | ForceReply | None = None,
    reply_to: int | None = None,
) -> Message:
    """Send one HTML message, as a reply when ``reply_to`` is given (even if it was deleted)."""
    params = (
        ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
        if reply_to
        else None
    )
    return await bot.send_message(
        chat_id,
        text,
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard,
        reply_parameters=params,
    )


async def send_reply(
    svc: Services, bot: Bot, chat_id: int, reply: Reply, reply_to: int | None = None
) -> Message | None:
    """Send ``reply`` now, or queue it for when Telegram's flood control allows."""
    text, keyboard = html(reply.text), markup(reply)
    # After a 429 every send waits out the window, not just the one that was refused.
    wait = svc.flood.wait()
    try:
        if wait <= 0:
            return await deliver(bot, chat_id, text, keyboard, reply_to)
    except RetryAfter as exc:
        wait = retry_seconds(exc) + MARGIN
        svc.flood.close_for(wait)
    log.info("telegram asked us to wait; reply queued", extra={"seconds": round(wait, 2)})
    await enqueue_task(
        svc.runtime.redis,
        SEND_TASK,
        chat_id,
        text,
        keyboard.to_dict() if keyboard else None,
        reply_to,
        job_id=f"tg-send:{uuid.uuid4()}",
        defer_by=wait,
    )
    return None


async def send_later(
    svc: Services,
    chat_id: int,
    text: str,
    keyboard: dict[str, Any] | None,
    reply_to: int | None,
) -> str:
    """Task body: a reply that met a 429, sent once the window is over."""
    bot = await svc.ready_bot()
    markup_obj = InlineKeyboardMarkup.de_json(keyboard, bot) if keyboard else None
    try:
        await deliver(bot, chat_id, text, markup_obj, reply_to)
    except RetryAfter as exc:
        raise RetryLater(retry_seconds(exc) + MARGIN) from None
    except (Forbidden, BadRequest) as exc:
        log.warning("telegram refused a reply; dropped", extra={"error": exc.message})
        return "dropped"
    return "sent"
