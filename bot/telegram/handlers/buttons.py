"""Inline buttons: Cancel, Edit time, Post now, Retry, and Approve / Edit / Reject.

Answered at once, checked, then done."""

from __future__ import annotations

from typing import Any

from telegram import ForceReply, Message, Update
from telegram.constants import ParseMode
from telegram.ext import CallbackContext, CallbackQueryHandler

from bot.telegram.app import TgApp
from bot.telegram.context import Services, chat_context
from bot.telegram.handlers.messages import remember_edit
from bot.telegram.keyboards import html, parse_callback
from bot.telegram.sending import deliver

Context = CallbackContext[Any, Any, Any, Any]
STALE = "That button is no longer supported; send /posts for fresh ones."


def register(app: TgApp, svc: Services) -> None:
    """Callback queries; data other than ``p:<action>:<post id>`` gets a "stale" answer."""

    async def on_press(update: Update, context: Context) -> None:
        query = update.callback_query
        if query is None:
            return
        parsed = parse_callback(query.data)
        message = query.message
        if parsed is None or not isinstance(message, Message):
            await query.answer(STALE, show_alert=True)
            return
        ctx = await chat_context(svc, context.bot, message.chat, query.from_user, None)
        # Who may press what is the conversation's call (roles: a viewer cannot change posts,
        # only owners and admins approve).
        action, post_id = parsed
        reply = await svc.talk.press(ctx, action, post_id)
        await query.answer(reply.text[:200], show_alert=reply.private)
        if reply.post is None or reply.private:
            return
        if action == "edit_time":
            await remember_edit(svc, message.chat.id, query.from_user.id, reply.post.id)
            await deliver(
                context.bot, message.chat.id, html(reply.text),
                ForceReply(input_field_placeholder="tomorrow 10am"),
                message.message_id,
            )  # fmt: skip
            return
        # The confirmation keeps its text, loses its buttons and says what happened.
        shown = (message.text or "").strip()
        await query.edit_message_text(
            html(f"{shown}\n\n{reply.text}" if shown else reply.text), parse_mode=ParseMode.HTML
        )

    app.add_handler(CallbackQueryHandler(on_press))
