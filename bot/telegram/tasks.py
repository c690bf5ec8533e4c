"""The Telegram bot's arq tasks, bound to the process's Telegram parts, for
``make_worker(runtime, extra_functions=tasks(svc))``."""

from __future__ import annotations

from typing import Any

from bot.telegram.albums import ALBUM_TASK, flush_album
from bot.telegram.context import Services
from bot.telegram.sending import SEND_TASK, send_later
from scheduler.publishing.tasks import extra_task
from scheduler.runtime import Runtime


def tasks(svc: Services) -> list[Any]:
    """The album flush and the deferred reply, sending through ``svc``'s Bot and flood window."""

    # arq hands every task the worker's runtime; svc was built over that same runtime.
    async def album(_: Runtime, chat_id: int, media_group_id: str) -> str:
        return await flush_album(svc, chat_id, media_group_id)

    async def later(
        _: Runtime, chat_id: int, text: str, keyboard: dict[str, Any] | None, reply_to: int | None
    ) -> str:
        return await send_later(svc, chat_id, text, keyboard, reply_to)

    return [
        extra_task(album, ALBUM_TASK, max_tries=40, timeout=120),
        extra_task(later, SEND_TASK, max_tries=20),
    ]
