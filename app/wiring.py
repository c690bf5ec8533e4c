"""Composition: which adapters are on and which jobs run, for a process ``open_process`` made.

Who hears about finished posts is wired in ``app.process``, when the runtime is opened. Each
adapter is imported only when this configuration turns it on, and the routes only by a process
that serves HTTP: a worker has no use for Bolt, PTB or the calendar, and importing them is most
of what its start-up would cost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.process import Process
from scheduler.hooks.callbacks import CALLBACK_CRON, CALLBACK_FUNCTIONS
from scheduler.media.cleanup import MEDIA_CRON

if TYPE_CHECKING:
    from app.web import Setup


def adapters(process: Process) -> list[Setup]:
    """The route setups for the adapters this configuration turns on."""
    import webhooks
    from scheduler.media.ingest import upload_limit
    from web import calendar, connect

    runtime = process.runtime
    # The API takes files as large as MEDIA_MAX_UPLOAD_MB, like the calendar and the chats.
    api = webhooks.make_setup(webhooks.ApiConfig(media_limit=upload_limit(runtime)))
    setups: list[Setup] = [api, connect.setup, calendar.setup]
    if runtime.settings.slack_enabled:
        from bot.slack.routes import setup as slack_setup

        setups.append(slack_setup)
    if process.telegram is not None:
        from bot.telegram.routes import setup_for as telegram_setup

        setups.append(telegram_setup(process.telegram))
    return setups


@dataclass(frozen=True)
class WorkerJobs:
    """Tasks and cron jobs beyond publishing."""

    functions: list[Any] = field(default_factory=list)
    cron: list[Any] = field(default_factory=list)


def worker_jobs(process: Process) -> WorkerJobs:
    jobs = WorkerJobs(functions=[*CALLBACK_FUNCTIONS], cron=[*CALLBACK_CRON, *MEDIA_CRON])
    if process.telegram is not None:
        from bot.telegram.tasks import tasks as telegram_tasks

        jobs.functions.extend(telegram_tasks(process.telegram))
    return jobs
