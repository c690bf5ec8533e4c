"""A thread written in a chat, one message per part: ``thread tomorrow 9am to x, bluesky``
opens it (the text after a colon, if any, is part 1), each reply is the next part, ``done``
schedules it as one post and ``cancel`` drops it.

The open thread lives in Postgres (``storage.chat_threads``) until then: nothing is queued and
a redelivered message adds nothing. Each part is checked against every destination's limit as
it arrives, so a part too long for X is refused then, not at ``done``. The time is read again
at ``done`` ("tomorrow 9am" is the same; "in 2 hours" counts from ``done``). Files go with the
first message only (they are the post's, sent with part 1). A thread left without ``done`` for
``CHAT_THREAD_IDLE_HOURS`` is saved as its author's draft by the worker (``save_idle``), and
they are told in the thread: nothing written is lost, and nothing stays open for ever.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from core.errors import RequestProblem
from core.i18n import gettext as t
from core.i18n import msg, translate
from core.i18n import ngettext as nt
from core.states import PostStatus
from scheduler.drafts import Draft, all_problems
from scheduler.health.notices import tell_chat
from scheduler.roles import check_can_schedule
from scheduler.runtime import Runtime
from scheduler.service import Scheduler
from storage.chat_threads import ChatThread
from storage.views import MediaView, PostView

# (platform, team, chat, root message): where a thread lives.
Where = tuple[str, str, str, str]
UNSAVED_TOLD = timedelta(days=8)  # a thread that cannot be saved is said so once in this time
# Stands in for the parts not written yet when the opening message is checked.
_PENDING = "…"
HINT = msg('e.g. "thread tomorrow 9am to x, bluesky: The first part", then one reply per part '
           'and "done".')  # fmt: skip


@dataclass(frozen=True)
class Asked:
    """Who asks and how their requests are read (a chat's zone and default destinations)."""

    workspace_id: uuid.UUID
    user_id: uuid.UUID | None
    role: str
    tz: str
    defaults: Sequence[uuid.UUID] = ()


async def open_thread(
    scheduler: Scheduler,
    asked: Asked,
    where: Where,
    request: str,
    origin: dict[str, object],
    media: Sequence[MediaView] = (),
) -> Draft:
    """Check the opening request (time, destinations that take threads) and open the thread."""
    check_can_schedule(asked.role)
    draft = await scheduler.understand(
        asked.workspace_id, request, tz=asked.tz, media=media, user_id=asked.user_id,
        defaults=asked.defaults, thread_parts=[_PENDING],
    )  # fmt: skip
    problems = all_problems(draft)
    if problems:
        raise RequestProblem(problems, HINT)
    made = await scheduler.rt.chat_threads.open(
        asked.workspace_id,
        where,
        request,
        dict(origin),
        [m.id for m in draft.media],
        (asked.user_id, asked.tz, asked.defaults),
    )
    if made is None:
        raise RequestProblem([msg("A thread is already being collected here.")])
    return draft


async def found(scheduler: Scheduler, where: Where, by_reply: bool = False) -> ChatThread | None:
    """The thread rooted at ``where`` (Slack), or continued by a reply to ``where[3]``
    (Telegram's reply chain: a reply to the opening message or to any part)."""
    threads = scheduler.rt.chat_threads
    return await (threads.replied(where) if by_reply else threads.at_root(where))


async def add_part(
    scheduler: Scheduler, asked: Asked, thread: ChatThread, message_key: str, text: str
) -> int | None:
    """Check ``text`` as the next part against every destination, then add it; the number of
    parts now (the opening text included), or None when this message was already added (a
    redelivery)."""
    check_can_schedule(asked.role)
    draft = await scheduler.understand(
        thread.workspace_id, thread.request, tz=asked.tz, defaults=asked.defaults,
        thread_parts=[text],
    )  # fmt: skip
    problems = all_problems(draft)
    if problems:
        raise RequestProblem(
            problems, msg("This part was not added: send it again, shorter (or split in two).")
        )
    added = await scheduler.rt.chat_threads.add_part(thread.id, message_key, text)
    # The opening message's text, when it had one, is part 1.
    return None if added is None else added + len(draft.parsed.parts) - 1


async def finish(scheduler: Scheduler, asked: Asked, thread: ChatThread) -> PostView:
    """Schedule the thread as one post with its parts in order; once, however many ``done``."""
    check_can_schedule(asked.role)
    rt = scheduler.rt
    claimed = await rt.chat_threads.claim(thread.id)
    if claimed is None:
        raise RequestProblem([msg("This thread is already scheduled.")])
    try:
        post = await _post_once(
            scheduler, claimed, tz=asked.tz, user_id=asked.user_id, defaults=asked.defaults,
            role=asked.role,
        )  # fmt: skip
    except BaseException:
        await rt.chat_threads.move(claimed.id, "closing", "open")
        raise
    await rt.chat_threads.move(claimed.id, "closing", "done", post.id)
    return post


async def save_idle(scheduler: Scheduler) -> int:
    """Save each thread nobody finished, nothing added for ``CHAT_THREAD_IDLE_HOURS``, as its
    author's draft and tell them where they wrote it. How many were closed."""
    rt = scheduler.rt
    hours = rt.settings.chat_thread_idle_hours
    closed = 0
    for thread_id in await rt.chat_threads.idle(rt.clock.now() - timedelta(hours=hours)):
        claimed = await rt.chat_threads.claim(thread_id)
        if claimed is not None:  # else finished or dropped meanwhile
            closed += await _close(scheduler, claimed, f"{hours:g}")
    return closed


async def _close(scheduler: Scheduler, thread: ChatThread, hours: str) -> bool:
    """A claimed idle thread: saved as a draft (or closed when it has nothing), and said."""
    rt = scheduler.rt
    lang = thread.origin.get("lang")
    try:
        post = await _post_once(
            scheduler, thread, tz=thread.tz or "UTC", user_id=thread.user_id,
            defaults=thread.defaults, as_draft=True,
        )  # fmt: skip
    except RequestProblem as exc:
        if thread.parts:
            # Its parts cannot be a draft as they are (an account gone meanwhile): keep it
            # open, and say why once.
            await rt.chat_threads.move(thread.id, "closing", "open")
            await _unsaved(rt, thread, exc, hours)
            return False
        # Nothing to save (no part was ever written): close it and say so.
        await rt.chat_threads.move(thread.id, "closing", "cancelled")
        said = t(lang, "Nobody wrote in this thread for {hours} hours; it is closed and nothing "
                       "was saved.", hours=hours)  # fmt: skip
        await tell_chat(rt, thread.workspace_id, thread.origin, "🧵 " + said)
        return True
    except BaseException:
        await rt.chat_threads.move(thread.id, "closing", "open")
        raise
    await rt.chat_threads.move(thread.id, "closing", "done", post.id)
    if post.status != PostStatus.DRAFT:
        return True  # scheduled by a `done` whose process died before closing the thread
    parts = nt(lang, "{n} part", "{n} parts", max(1, len(post.parts)))
    said = t(lang, "Nobody wrote `done` in this thread for {hours} hours, so it is saved as a "
                   "draft ({parts}): `schedule {id} tomorrow 9am` schedules it, `drafts` lists "
                   "drafts.", hours=hours, parts=parts, id=str(post.id)[:8])  # fmt: skip
    await tell_chat(rt, thread.workspace_id, thread.origin, "🧵 " + said, post)
    return True


async def _unsaved(rt: Runtime, thread: ChatThread, exc: RequestProblem, hours: str) -> None:
    key = f"{rt.settings.queue_name}:thread-unsaved:{thread.id}"
    if not await rt.redis.set(key, "1", nx=True, ex=UNSAVED_TOLD):
        return
    lang = thread.origin.get("lang")
    why = " ".join(translate(p, lang) for p in exc.problems)
    said = t(lang, "Nobody wrote `done` in this thread for {hours} hours, and it cannot be saved "
                   "as a draft: {why} Fix that and reply `done`, or reply `cancel`.",
             hours=hours, why=why)  # fmt: skip
    await tell_chat(rt, thread.workspace_id, thread.origin, "🧵 " + said)


async def _post_once(scheduler: Scheduler, thread: ChatThread, **how: Any) -> PostView:
    """The thread as one post: made now, or found when the claim before this one made it and
    died before closing the thread (the post's origin names the thread)."""
    rt = scheduler.rt
    made = await rt.chat_threads.made(thread)
    if made is not None:
        return await rt.posts.get(made, thread.workspace_id)
    media: list[MediaView] = []
    if thread.media_ids:
        media = await rt.library.get_many(thread.workspace_id, list(thread.media_ids))
    return await scheduler.schedule(
        thread.workspace_id, thread.request, media=media,
        origin={**thread.origin, "chat_thread": str(thread.id)}, thread_parts=thread.parts,
        **how,
    )  # fmt: skip


async def cancel(scheduler: Scheduler, thread: ChatThread) -> bool:
    """Drop an open thread; False when it was already scheduled or dropped."""
    return await scheduler.rt.chat_threads.move(thread.id, "open", "cancelled")


async def said(scheduler: Scheduler, where: Where, answer_key: str) -> None:
    """The bot answered message ``where[3]`` of a thread with ``answer_key``: a reply to that
    answer continues the thread too (people reply to the bot's message as often as to theirs)."""
    thread = await found(scheduler, where, by_reply=True)
    if thread is not None:
        await scheduler.rt.chat_threads.said(thread.id, answer_key)
