"""Albums: Telegram sends each photo of an album as its own update, in any order, with the
caption on any one of them. Parts are collected in Postgres; a deferred task flushes the album
once no part has arrived for ``QUIET`` seconds, into one post with every file.

The flush task's job id is the album's, so a burst of parts queues it once; it defers itself
while parts keep coming, and the album row's lock decides whether a straggler made it in.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from telegram import Bot, Message

from bot import render
from bot.commands import parse_command
from bot.conversation import ChatContext
from bot.render import Reply
from bot.telegram.context import Services, addressed, context_from_dict, context_to_dict
from bot.telegram.errors import explain
from bot.telegram.media import Attachment, schedule_with_media
from bot.telegram.sending import send_reply
from core.errors import OutpostError
from core.i18n import Msg, msg, translate
from scheduler.publishing.queue import enqueue_task
from scheduler.publishing.runner import RetryLater
from scheduler.views import Album

log = logging.getLogger("outpost.telegram")

ALBUM_TASK = "telegram_album"
QUIET = 1.5
NO_CAPTION = msg(
    "Add a caption to one of the photos saying when and where, e.g. “{example}”, and send "
    "the album again.",
    example=Msg(render.EXAMPLE, {}),
)


def job_id(chat_id: int, media_group_id: str) -> str:
    return f"tg-album:{chat_id}:{media_group_id}"


async def add_part(
    svc: Services, ctx: ChatContext, message: Message, attachment: Attachment
) -> None:
    """Store one part and make sure a flush is queued."""
    group = str(message.media_group_id)
    added = await svc.store.add_album_part(
        message.chat.id, group, message.message_id, attachment.to_dict(),
        message.caption or "", context_to_dict(ctx), svc.runtime.clock.now(),
    )  # fmt: skip
    if not added:
        log.info("album part arrived after its album was flushed", extra={"album": group})
        return
    await enqueue_task(
        svc.runtime.redis, ALBUM_TASK, message.chat.id, group,
        job_id=job_id(message.chat.id, group), defer_by=QUIET,
    )  # fmt: skip


async def flush_album(svc: Services, chat_id: int, media_group_id: str) -> str:
    """Task body: once the album is quiet, schedule it as one post and answer once."""
    runtime = svc.runtime
    claimed = await svc.store.claim_album(chat_id, media_group_id, runtime.clock.now(), QUIET)
    if claimed is None:
        return "nothing to do"
    if isinstance(claimed, float):
        raise RetryLater(claimed + 0.05)
    bot = await svc.ready_bot()
    ctx, caption, reply_to = _context(claimed)
    try:
        reply = await _reply(svc, ctx, caption, claimed, bot)
    except Exception as exc:  # the album is answered and closed whatever went wrong
        if not isinstance(exc, OutpostError):
            log.exception("album flush failed", extra={"album": media_group_id})
        reply = explain(exc, await svc.talk.reply_language(ctx, caption))
    if reply is not None:
        await send_reply(svc, bot, chat_id, reply, reply_to)
    await svc.store.finish_album(chat_id, media_group_id, runtime.clock.now())
    return "flushed"


def _context(album: Album) -> tuple[ChatContext, str, int]:
    """The sender's context, the caption, and the message replies go to (the captioned one)."""
    ctx = context_from_dict(album.context)
    captioned = [p for p in album.parts if p.caption.strip()]
    lead = captioned[0] if captioned else album.parts[0]
    return replace(ctx, origin={**ctx.origin, "message_id": lead.message_id}), lead.caption, (
        lead.message_id
    )


async def _reply(
    svc: Services, ctx: ChatContext, caption: str, album: Album, bot: Bot
) -> Reply | None:
    group = bool(ctx.origin.get("group"))
    request = addressed(caption, bot.username, group=group)
    if request is None:
        return None  # in a group, an album nobody addressed to us is just chatter
    if not request.strip():
        me = await svc.talk.identify(ctx)
        lang = await svc.talk.language(ctx, me, request)
        return Reply(translate(NO_CAPTION, lang), private=True)
    command = parse_command(request)
    if command.kind != "schedule" or not ctx.can_schedule:
        return await svc.talk.handle(ctx, request)
    items = [Attachment.from_dict(p.attachment) for p in album.parts]
    lang = await svc.talk.language(ctx, await svc.talk.identify(ctx), request)
    return await schedule_with_media(svc, bot, ctx, request, items, lang)
