"""Threads written in a chat, and ``preview``: the conversation's side, for both platforms.

``thread tomorrow 9am to x, bluesky[: part 1]`` opens a thread where the message is (Slack:
the message's thread; Telegram: the message, continued by a chain of replies); each reply is
the next part, ``done`` schedules it and ``cancel`` drops it (``scheduler.chat_threads``).
``preview …`` shows what a request would send where and stores nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot import render
from bot.render import Reply
from core.errors import RequestProblem
from core.i18n import gettext as t
from scheduler import chat_threads
from scheduler.chat_threads import Asked
from scheduler.drafts import all_problems
from scheduler.preview import destination_previews, post_draft
from scheduler.views import MediaView, PostView

if TYPE_CHECKING:
    from bot.conversation import ChatContext, Conversation
    from scheduler.members import Identity

# A reply of only one of these words ends or drops a thread, in each language the bot reads.
DONE = frozenset({"done", "listo", "terminado", "fin", "fini", "terminé", "fertig", "pronto",
                  "feito", "fatto", "finito", "готово"})  # fmt: skip
CANCEL = frozenset({"cancel", "cancelar", "annuler", "abbrechen", "annulla", "отмена",
                    "отменить"})  # fmt: skip


def root_of(ctx: ChatContext) -> str:
    """The message a thread opened here hangs from: Slack's thread, Telegram's message."""
    return str(ctx.origin.get("thread_ts") or ctx.origin.get("message_id") or "")


async def asked(talk: Conversation, ctx: ChatContext, me: Identity) -> Asked:
    tz, defaults = await talk.setup(ctx, me)
    return Asked(me.workspace_id, me.user_id, me.role, tz, defaults)


async def start(
    talk: Conversation, ctx: ChatContext, me: Identity, arg: str, media: Sequence[MediaView],
    lang: str,
) -> Reply:  # fmt: skip
    """``thread …``: check the request, open the thread, say how to go on."""
    root = root_of(ctx)
    if not root:
        return Reply(t(lang, "Start a thread in a message: DM me or mention me with `thread "
                             "tomorrow 9am to x, bluesky`, then reply in its thread."),
                     private=True)  # fmt: skip
    who = await asked(talk, ctx, me)
    origin = _origin(ctx, lang)
    where = (ctx.platform, ctx.team_id, ctx.chat_id, root)
    draft = await chat_threads.open_thread(talk.scheduler, who, where, arg, origin, media)
    targets = ", ".join(f"{a.platform}:{a.handle}" for a in draft.accounts)
    how = (t(lang, "Reply with the next part to your message (or to mine), then to each part "
                   "with the one after it; reply `done` to schedule it or `cancel` to drop it.")
           if ctx.platform == "telegram" else
           t(lang, "Reply in this thread with each part, in order; `done` schedules it, "
                   "`cancel` drops it. Files go with the first message only."))  # fmt: skip
    first = draft.parsed.parts[:-1]  # the text after the colon, if any, is part 1
    have = t(lang, "Part 1 is the text after the colon.") + " " if first else ""
    return Reply("🧵 " + t(lang, "Collecting a thread to {targets}.", targets=targets) + " "
                 + have + how)  # fmt: skip


def _origin(ctx: ChatContext, lang: str) -> dict[str, object]:
    return ctx.origin | {
        "platform": ctx.platform, "team_id": ctx.team_id, "lang": lang, "chat": ctx.chat_id,
        "user_name": ctx.user_name,
    }  # fmt: skip


async def follow(
    talk: Conversation, ctx: ChatContext, root: str, key: str, text: str, by_reply: bool = False
) -> Reply | None:
    """A message in a collecting thread: the next part, ``done`` or ``cancel``; None when
    ``root`` is no thread of ours (the message is then read as usual)."""
    where = (ctx.platform, ctx.team_id, ctx.chat_id, root)
    thread = await chat_threads.found(talk.scheduler, where, by_reply)
    if thread is None:
        return None
    me = await talk.identify(ctx)
    lang = str(thread.origin.get("lang") or await talk.language(ctx, me, text))
    word = text.strip().lower().rstrip(".!")
    if thread.status == "done" and thread.post_id is not None:
        post = await talk.scheduler.get(thread.workspace_id, thread.post_id)
        if post.status == "draft":  # saved by the worker when nobody wrote `done`
            return Reply(t(lang, "This thread was saved as a draft: `schedule {id} tomorrow 9am` "
                                 "schedules it.", id=str(post.id)[:8]), private=True)  # fmt: skip
        return Reply(t(lang, "This thread is already scheduled ({id}).", id=str(thread.post_id)),
                     private=True)  # fmt: skip
    if thread.status == "cancelled":
        return Reply(t(lang, "This thread was cancelled; start a new one with `thread …`."),
                     private=True)  # fmt: skip
    try:
        who = await asked(talk, ctx, me)
        if word in CANCEL:
            if await chat_threads.cancel(talk.scheduler, thread):
                return Reply(t(lang, "Thread dropped; nothing was scheduled."))
            return Reply(t(lang, "This thread is already scheduled."), private=True)
        if word in DONE:
            post = await chat_threads.finish(talk.scheduler, who, thread)
            return await summary(talk, post, who.tz, lang)
        count = await chat_threads.add_part(talk.scheduler, who, thread, key, text)
    except RequestProblem as exc:
        return render.problem(exc.problems, exc.hint, lang)
    if count is None:
        return Reply("", private=True)  # a redelivery: said already
    return Reply(t(lang, "Part {n} added. `done` schedules the thread.", n=count), private=True)


async def summary(talk: Conversation, post: PostView, tz: str, lang: str) -> Reply:
    """The scheduled summary with what each destination will get."""
    draft = await post_draft(talk.scheduler, post)
    rows = destination_previews(talk.scheduler, draft, post.thread)
    return render.scheduled(post, tz, lang, rows)


async def preview(
    talk: Conversation, ctx: ChatContext, me: Identity, arg: str, media: Sequence[MediaView],
    lang: str,
) -> Reply:  # fmt: skip
    """``preview …``: what the request would send where; nothing is stored or queued."""
    draft = await talk.understand(ctx, me, arg, media)
    rows = destination_previews(talk.scheduler, draft, bool(draft.parsed.parts))
    return render.preview(draft.parsed.when, rows, all_problems(draft), draft.parsed.timezone, lang)
