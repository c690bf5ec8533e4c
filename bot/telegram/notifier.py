"""Tells the chat a post was published or failed: a reply to the message that asked for it."""

from __future__ import annotations

import logging

from telegram.error import BadRequest, Forbidden, RetryAfter

from bot import render
from bot.render import Button, Reply
from bot.telegram.app import retry_seconds
from bot.telegram.context import Services
from bot.telegram.keyboards import html, markup
from bot.telegram.sending import MARGIN, deliver
from core.i18n import gettext as t
from scheduler.notifier import ApprovalNotice, PostResult
from scheduler.publishing.runner import RetryLater

log = logging.getLogger("outpost.telegram")


def result_reply(result: PostResult) -> Reply:
    """A link per destination, or the reason and a Retry button."""
    buttons: tuple[Button, ...] = ()
    if result.retryable:
        buttons = (Button(t(result.origin.get("lang"), "Retry"), "retry", result.post_id),)
    return Reply(render.result(result), buttons)


class TelegramNotifier:
    """The Notifier for posts whose origin is a Telegram chat.

    A 429 raises ``RetryLater`` with Telegram's ``retry_after``, so the notify task comes back
    then; a chat that is gone or blocked the bot is logged and skipped.
    """

    def __init__(self, svc: Services) -> None:
        self.svc = svc

    async def notify(self, result: PostResult) -> None:
        """Reply in the chat, to the original message."""
        chat_id = result.origin.get("chat_id")
        if chat_id is None:
            log.warning("telegram result without a chat", extra={"post_id": result.post_id})
            return
        reply_to = result.origin.get("message_id")
        reply = result_reply(result)
        bot = await self.svc.ready_bot()
        try:
            await deliver(
                bot, int(chat_id), html(reply.text), markup(reply),
                int(reply_to) if reply_to else None,
            )  # fmt: skip
        except RetryAfter as exc:
            raise RetryLater(retry_seconds(exc) + MARGIN) from None
        except (Forbidden, BadRequest) as exc:
            log.warning(
                "telegram refused the result message",
                extra={"post_id": result.post_id, "error": exc.message},
            )

    async def approval(self, notice: ApprovalNotice) -> None:
        """Ask for approval, or tell the author, in the chat the post was asked for in.

        The approvers are asked in that chat, not privately: a bot cannot start a private
        chat (the Bot API answers 403 to a user who never wrote to it), and a group's
        workspace is the group, where its owners and admins are. Its buttons answer only
        them (``scheduler.roles``).
        """
        post = notice.post
        chat_id = post.origin.get("chat_id")
        if chat_id is None:
            return
        lang = post.origin.get("lang")
        if notice.kind == "requested":
            reply = render.approval_request(post, post.timezone, lang)
        else:
            reply = Reply(render.approval_outcome(
                notice.kind, post, post.timezone, notice.actor, notice.reason, lang
            ))  # fmt: skip
        reply_to = post.origin.get("message_id")
        bot = await self.svc.ready_bot()
        try:
            await deliver(
                bot, int(chat_id), html(reply.text), markup(reply),
                int(reply_to) if reply_to else None,
            )  # fmt: skip
        except RetryAfter as exc:
            raise RetryLater(retry_seconds(exc) + MARGIN) from None
        except (Forbidden, BadRequest) as exc:
            log.warning("telegram refused an approval message",
                        extra={"post_id": str(post.id), "error": exc.message})  # fmt: skip
