"""Composition: which adapters are on and which jobs run, for a process ``open_process`` made.

Who hears about finished posts is wired in ``app.process``, when the runtime is opened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import webhooks
from app.process import Process
from app.web import Setup
from bot.slack.routes import setup as slack_setup
from bot.telegram.routes import setup_for as telegram_setup
from bot.telegram.tasks import tasks as telegram_tasks
from scheduler.hooks.callbacks import CALLBACK_CRON, CALLBACK_FUNCTIONS
from scheduler.media.cleanup import MEDIA_CRON
from scheduler.media.ingest import upload_limit
from web import calendar, connect


def adapters(process: Process) -> list[Setup]:
    """The route setups for the adapters this configuration turns on."""
    # The MCP SDK costs a second to import: only a process that serves HTTP loads it.
    from mcpserver import http as mcp_http

    runtime = process.runtime
    # The API takes files as large as MEDIA_MAX_UPLOAD_MB, like the calendar and the chats.
    api = webhooks.make_setup(webhooks.ApiConfig(media_limit=upload_limit(runtime)))
    setups: list[Setup] = [api, mcp_http.setup, connect.setup, calendar.setup]
    if runtime.settings.slack_enabled:
        setups.append(slack_setup)
    if process.telegram is not None:
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
        jobs.functions.extend(telegram_tasks(process.telegram))
    return jobs
