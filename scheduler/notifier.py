"""How the worker tells people what happened: a protocol the chat adapters implement."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from storage.views import MemberView, PostView

log = logging.getLogger("outpost.notify")


@dataclass(frozen=True)
class DestinationResult:
    """The outcome of one destination, ready to render."""

    platform: str
    handle: str
    status: str
    url: str | None
    error: str | None


@dataclass(frozen=True)
class PostResult:
    """A finished post: where it was asked for, and each destination's outcome."""

    post_id: str
    workspace_id: str
    status: str
    text: str
    origin: Mapping[str, Any]
    callback_url: str | None
    destinations: tuple[DestinationResult, ...]

    @classmethod
    def from_view(cls, post: PostView) -> PostResult:
        return cls(
            post_id=str(post.id),
            workspace_id=str(post.workspace_id),
            status=post.status,
            text=post.content,
            origin=post.origin,
            callback_url=post.callback_url,
            destinations=tuple(
                DestinationResult(
                    platform=d.platform,
                    handle=d.handle,
                    status=d.status,
                    url=d.platform_url,
                    error=d.error_message,
                )
                for d in post.destinations
            ),
        )


class Notifier(Protocol):
    """Delivers a finished post's result to where it was requested."""

    async def notify(self, result: PostResult) -> None: ...


class DestinationListener(Protocol):
    """Hears about each destination as it finishes (before the post as a whole does)."""

    async def destination_done(self, post: PostView, destination_id: str, status: str) -> None:
        """``post`` is as claimed (other destinations' statuses may be older)."""


@dataclass(frozen=True)
class ApprovalNotice:
    """Something to say in a chat about a post's approval.

    ``kind``: ``requested`` (ask ``approvers``, whose chat ids are on each ``MemberView``),
    ``approved``, ``rejected`` (with ``reason``) or ``expired`` (its time passed while it
    waited: a draft again), told to the author where they asked.
    """

    kind: str
    post: PostView
    approvers: tuple[MemberView, ...] = ()
    actor: str = ""
    reason: str = ""


class ApprovalMessenger(Protocol):
    """Delivers approval notices to the chat a post came from."""

    async def approval(self, notice: ApprovalNotice) -> None: ...


class LoggingApprovals:
    """Writes approval notices to the log: for posts from the API, the shell, the calendar."""

    async def approval(self, notice: ApprovalNotice) -> None:
        log.info(
            "approval notice",
            extra={"post_id": str(notice.post.id), "kind": notice.kind,
                   "approvers": len(notice.approvers)},
        )  # fmt: skip


class RoutingApprovals:
    """Sends each notice to the messenger for its post's chat platform (else the log)."""

    def __init__(self, routes: Mapping[str, ApprovalMessenger]) -> None:
        self.routes = dict(routes)
        self.fallback: ApprovalMessenger = LoggingApprovals()

    async def approval(self, notice: ApprovalNotice) -> None:
        target = self.routes.get(str(notice.post.origin.get("platform", "")))
        if target is not None:
            await target.approval(notice)
            return
        # A post from the API, the shell or the calendar: ask the approvers in the chats they
        # use (outcomes have no thread to go to, so they are logged).
        chats = {c[0] for m in notice.approvers for c in m.chats}
        if notice.kind != "requested":
            chats = set()
        asked = [self.routes[p] for p in sorted(chats) if p in self.routes]
        for messenger in asked or [self.fallback]:
            await messenger.approval(notice)


class LoggingNotifier:
    """Writes results to the log; the fallback when no chat adapter claims the origin."""

    async def notify(self, result: PostResult) -> None:
        log.info(
            "post finished",
            extra={
                "post_id": result.post_id,
                "status": result.status,
                "destinations": [
                    {"platform": d.platform, "status": d.status, "url": d.url, "error": d.error}
                    for d in result.destinations
                ],
            },
        )


class RoutingNotifier:
    """Sends each result to the notifier registered for its origin's platform."""

    def __init__(self, routes: Mapping[str, Notifier], fallback: Notifier | None = None) -> None:
        self.routes = dict(routes)
        self.fallback = fallback or LoggingNotifier()
        self.extra: list[Notifier] = []

    async def notify(self, result: PostResult) -> None:
        target = self.routes.get(str(result.origin.get("platform", "")), self.fallback)
        await target.notify(result)
        for also in self.extra:
            await also.notify(result)
