"""The one error handler: our exceptions become a helpful answer, the rest a short apology."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.error import RetryAfter, TelegramError
from telegram.ext import CallbackContext

from bot import render
from bot.render import Reply
from bot.telegram.context import Services, chat_only
from bot.telegram.sending import send_reply
from core.errors import OutpostError, RequestProblem
from core.i18n import N_, translate
from core.i18n import gettext as t

log = logging.getLogger("outpost.telegram")
SORRY = N_(
    "Something went wrong on my side and nothing was changed. Please try again in a minute."
)


def explain(error: BaseException | None, lang: str | None = None) -> Reply:
    """What to tell the person about ``error``, in ``lang``."""
    if isinstance(error, RequestProblem):
        return render.problem(error.problems, error.hint, lang)
    if isinstance(error, OutpostError):
        hint = f" {translate(error.hint, lang)}" if error.hint else ""
        return Reply(translate(error.message, lang) + hint, private=True)
    return Reply(t(lang, SORRY), private=True)


def make_handler(svc: Services, secret: str) -> Any:
    """The error callback for the Application; ``secret`` (the token) is scrubbed from logs."""

    async def on_error(update: object, context: CallbackContext[Any, Any, Any, Any]) -> None:
        error = context.error
        if not isinstance(error, OutpostError):
            log.error(
                "telegram update failed",
                extra={"error": repr(error).replace(secret, "<token>") if secret else repr(error)},
            )
        if not isinstance(update, Update) or isinstance(error, RetryAfter):
            return
        message, chat = update.effective_message, update.effective_chat
        said = (message.text or message.caption or "") if message else ""
        lang = None
        if chat is not None:
            # The chat's (or its workspace's) language setting, else the message's language.
            lang = await svc.talk.reply_language(chat_only(chat.id), said)
        reply = explain(error, lang)
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(reply.text[:200], show_alert=True)
            elif update.effective_chat is not None:
                await send_reply(
                    svc, context.bot, update.effective_chat.id, reply,
                    message.message_id if message else None,
                )  # fmt: skip
        except TelegramError as exc:
            log.warning("could not report an error to the chat", extra={"error": exc.message})

    return on_error
