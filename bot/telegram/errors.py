"""The one error handler: our exceptions become a helpful answer, the rest a short apology."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.error import RetryAfter, TelegramError
from telegram.ext import CallbackContext

from bot import render
from bot.render import Reply
from bot.telegram.context import Services
from bot.telegram.sending import send_reply
from core.errors import OutpostError, RequestProblem

log = logging.getLogger("outpost.telegram")
SORRY = "Something went wrong on my side and nothing was changed. Please try again in a minute."


def explain(error: BaseException | None) -> Reply:
    """What to tell the person about ``error``."""
    if isinstance(error, RequestProblem):
        return render.problem(error.problems, error.hint)
    if isinstance(error, OutpostError):
        return Reply(str(error) + (f" {error.hint}" if error.hint else ""), private=True)
    return Reply(SORRY, private=True)


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
        reply = explain(error)
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(reply.text[:200], show_alert=True)
            elif update.effective_chat is not None:
                message = update.effective_message
                await send_reply(
                    svc, context.bot, update.effective_chat.id, reply,
                    message.message_id if message else None,
                )  # fmt: skip
        except TelegramError as exc:
            log.warning("could not report an error to the chat", extra={"error": exc.message})

    return on_error
