"""The Telegram bot's arq tasks, for ``make_worker(runtime, extra_functions=TASKS)``."""

from __future__ import annotations

from bot.telegram.albums import ALBUM_TASK, flush_album
from bot.telegram.sending import SEND_TASK, send_later
from scheduler.tasks import extra_task

TASKS = (
    extra_task(flush_album, ALBUM_TASK, max_tries=40, timeout=120),
    extra_task(send_later, SEND_TASK, max_tries=20),
)
