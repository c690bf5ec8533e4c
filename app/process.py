"""One process's parts, built in one place: the runtime, then what only this process has.

The chat notifiers and the callback emitter report for a runtime and are built from it, while
the runtime is opened with its notifier and listeners already in place. ``Outcomes`` breaks
that cycle without touching the (frozen) runtime: the runtime is opened with it, and it is
bound exactly once, to what ``app/`` builds from that runtime, before the runtime is handed to
anyone, so no post can finish before it is bound.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.clock import Clock
from core.settings import Settings
from scheduler.hooks.callbacks import CallbackNotifier
from scheduler.notifier import (
    ApprovalMessenger,
    ApprovalNotice,
    DestinationListener,
    LoggingApprovals,
    LoggingNotifier,
    Notifier,
    PostResult,
    RoutingApprovals,
    RoutingNotifier,
)
from scheduler.runtime import Runtime, open_runtime
from storage.views import PostView

if TYPE_CHECKING:
    from bot.telegram.context import Services as TelegramServices


class Outcomes:
    """The process's Notifier and DestinationListener, forwarding to what ``bind`` is given."""

    def __init__(self) -> None:
        self._notifier: Notifier | None = None
        self._listeners: tuple[DestinationListener, ...] = ()
        self._approvals: ApprovalMessenger = LoggingApprovals()

    def bind(
        self,
        notifier: Notifier,
        listeners: Sequence[DestinationListener],
        approvals: ApprovalMessenger | None = None,
    ) -> None:
        """Plug in the notifier, listeners and approval messenger; once, before use."""
        if self._notifier is not None:
            raise RuntimeError("Outcomes are bound once, by open_process.")
        self._notifier, self._listeners = notifier, tuple(listeners)
        self._approvals = approvals or LoggingApprovals()

    async def approval(self, notice: ApprovalNotice) -> None:
        self._bound()
        await self._approvals.approval(notice)

    def _bound(self) -> Notifier:
        if self._notifier is None:
            raise RuntimeError("A post finished before open_process bound its notifier.")
        return self._notifier

    async def notify(self, result: PostResult) -> None:
        await self._bound().notify(result)

    async def destination_done(self, post: PostView, destination_id: str, status: str) -> None:
        self._bound()
        for listener in self._listeners:
            await listener.destination_done(post, destination_id, status)


@dataclass(frozen=True)
class Process:
    """The runtime and the chat parts this configuration turns on."""

    runtime: Runtime
    telegram: TelegramServices | None


def outcomes_for(
    runtime: Runtime, telegram: TelegramServices | None
) -> tuple[Notifier, list[DestinationListener], ApprovalMessenger]:
    """Results go to the chat each post came from (else the log) and to callbacks; callbacks
    also hear about each destination; approval notices go to the post's chat."""
    # Each chat's notifier is imported only when that chat is on: Bolt and PTB are most of
    # what a process would otherwise import at start-up.
    routes: dict[str, Notifier] = {}
    asks: dict[str, ApprovalMessenger] = {}
    if runtime.settings.slack_enabled:
        from bot.slack.notifier import SlackNotifier

        routes["slack"] = asks["slack"] = SlackNotifier(runtime)
    if telegram is not None:
        from bot.telegram.notifier import TelegramNotifier

        routes["telegram"] = asks["telegram"] = TelegramNotifier(telegram)
    routing = RoutingNotifier(routes, LoggingNotifier())
    callbacks = CallbackNotifier(runtime)
    routing.extra.append(callbacks)
    return routing, [callbacks], RoutingApprovals(asks)


def _telegram(runtime: Runtime) -> TelegramServices:
    from bot.telegram.context import Services

    return Services.build(runtime)


@asynccontextmanager
async def open_process(
    settings: Settings, clock: Clock | None = None, pool_size: int = 10
) -> AsyncIterator[Process]:
    """Open the runtime with this process's notifier and listeners, and its chat parts."""
    outcomes = Outcomes()
    async with open_runtime(
        settings, clock, pool_size, notifier=outcomes, listeners=(outcomes,),
        approval_chat=outcomes,
    ) as runtime:
        telegram = _telegram(runtime) if settings.telegram_enabled else None
        try:
            outcomes.bind(*outcomes_for(runtime, telegram))
            yield Process(runtime, telegram)
        finally:
            if telegram is not None:
                await telegram.aclose()
