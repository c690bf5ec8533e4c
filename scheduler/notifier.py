"""How the worker tells people what happened: a protocol the chat adapters implement."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from core.i18n import N_, Msg, msg, recognise
from publishers.errors import ADVICE
from publishers.http import WORDING
from storage.views import MemberView, PostView

log = logging.getLogger("outpost.notify")
_GAVE_UP = re.compile(r"Gave up after (\d+) attempts: (.*)", re.DOTALL)


def worded(error: str | None) -> str | None:
    """A stored failure as a message a chat can show in the asker's language: Outpost's own
    wording (giving up, the advice at the end) is translated, the network's words stay."""
    if not error:
        return error
    gave_up = _GAVE_UP.fullmatch(error)
    reason = gave_up.group(2) if gave_up else error
    said: str = recognise(reason, WORDING)
    for advice in ADVICE:
        if reason.endswith(advice):
            own = recognise(reason[: -len(advice)].rstrip(), WORDING)
            said = msg("{reason} {advice}", reason=own, advice=Msg(advice, {})) if own else Msg(
                advice, {}
            )
            break
    if gave_up:
        return msg("Gave up after {n} attempts: {reason}", n=int(gave_up.group(1)), reason=said)
    return said


# What a thread part or first comment says when it did not go out; stored in English (the
# worker knows no reader's language) and recognised here so a chat can translate it.
NO_COMMENTS = N_("{network} has no comments; the first comment was not posted.")
PART_BROKEN = N_("Not sent: part {n} of the thread failed.")
COMMENT_UNSURE = N_(
    "{network} did not confirm the first comment and it may have been posted. Check {handle} "
    "before posting it yourself."
)
PART_UNSURE = N_(
    "{network} did not confirm part {n} of the thread and it may have been posted. Check "
    "{handle} before posting it yourself."
)
STEP_WORDING = (NO_COMMENTS, PART_BROKEN, COMMENT_UNSURE, PART_UNSURE)


def step_worded(error: str | None) -> str | None:
    """A step's stored failure, translatable where it is Outpost's own wording."""
    if not error:
        return error
    said = recognise(error, STEP_WORDING)
    return said if said is not error else worded(error)


@dataclass(frozen=True)
class StepResult:
    """A thread part or first comment after the post: ``kind`` post, part or comment;
    ``status`` sent, failed, skipped (or pending when the post never went out)."""

    seq: int
    kind: str
    status: str
    url: str | None
    error: str | None


@dataclass(frozen=True)
class DestinationResult:
    """The outcome of one destination, ready to render."""

    platform: str
    handle: str
    status: str
    url: str | None
    error: str | None
    steps: tuple[StepResult, ...] = ()


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
    # Retry has something to send: a failed destination, thread part or first comment.
    retryable: bool = False

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
                    error=worded(d.error_message),
                    steps=tuple(
                        StepResult(s.seq, s.kind, s.status, s.url, step_worded(s.error))
                        for s in d.steps
                    ),
                )
                for d in post.destinations
            ),
            retryable=post.retryable,
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
