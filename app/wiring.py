"""Composition: which adapters are on, who hears about finished posts, which jobs run."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import webhooks
from app.web import Setup
from bot.slack.notifier import SlackNotifier
from bot.slack.routes import setup as slack_setup
from bot.telegram.app import close_bot
from bot.telegram.notifier import TelegramNotifier
from bot.telegram.routes import setup as telegram_setup
from bot.telegram.tasks import TASKS as TELEGRAM_TASKS
from scheduler.callbacks import CALLBACK_CRON, CALLBACK_FUNCTIONS, CallbackNotifier
from scheduler.media import upload_limit
from scheduler.media_cleanup import MEDIA_CRON
from scheduler.notifier import LoggingNotifier, Notifier, RoutingNotifier
from scheduler.runtime import Runtime
from web import calendar, connect


def notifier_for(runtime: Runtime) -> Notifier:
    """Route results to the chat each post came from, log the rest, and send callbacks."""
    settings = runtime.settings
    routes: dict[str, Notifier] = {}
    if settings.slack_enabled:
        routes["slack"] = SlackNotifier(runtime)
    if settings.telegram_enabled:
        routes["telegram"] = TelegramNotifier(runtime)
    routing = RoutingNotifier(routes, LoggingNotifier())
    callbacks = CallbackNotifier(runtime)
    routing.extra.append(callbacks)
    runtime.listeners.append(callbacks)
    return routing


def adapters(runtime: Runtime) -> list[Setup]:
    """The route setups for the adapters this configuration turns on."""
    # The API takes files as large as MEDIA_MAX_UPLOAD_MB, like the calendar and the chats.
    api = webhooks.make_setup(webhooks.ApiConfig(media_limit=upload_limit(runtime)))
    setups: list[Setup] = [api, connect.setup, calendar.setup]
    if runtime.settings.slack_enabled:
        setups.append(slack_setup)
    if runtime.settings.telegram_enabled:
        setups.append(telegram_setup)
    return setups


@dataclass(frozen=True)
class WorkerJobs:
    """Tasks and cron jobs beyond publishing, and what to close when the worker stops."""

    functions: list[Any] = field(default_factory=list)
    cron: list[Any] = field(default_factory=list)
    closers: list[Callable[[Runtime], Awaitable[None]]] = field(default_factory=list)


def worker_jobs(runtime: Runtime) -> WorkerJobs:
    jobs = WorkerJobs(functions=[*CALLBACK_FUNCTIONS], cron=[*CALLBACK_CRON, *MEDIA_CRON])
    if runtime.settings.telegram_enabled:
        jobs.functions.extend(TELEGRAM_TASKS)
        jobs.closers.append(close_bot)
    return jobs
