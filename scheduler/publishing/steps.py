"""A destination in steps: its root post, then thread parts, then the first comment.

Each step is one network call, recorded in ``destination_steps`` before (``sending``) and
after (``sent``, ``failed``), so a killed worker's successor starts at the first step not sent:

    post (seq 1) ──▶ part 2 ──▶ … ──▶ part n ──▶ comment (seq n+1)
         │             └── each part replies to the part before it
         └── its receipt is stored the moment it exists: a resumed job never posts it again

The first comment goes where people look for it. On networks where it is a reply (X, Bluesky,
Mastodon, Threads) it answers the last part that went out, so it reads as the end of the thread
(for a single post, the post itself); where it is a comment (LinkedIn, Facebook, Instagram) it
is on the post. A step left ``sending`` is ambiguous: resent where the network dedupes on the
step's key (Mastodon's Idempotency-Key, Bluesky's record key), else looked up
(``find_step``), else reported as "may have been posted" and never sent blind.

The root post decides the destination: once it is out, the destination succeeds whatever its
steps do. A part that fails leaves the parts after it unsent (a reply chain cannot skip a link);
a failed comment is reported next to the post's link. Retry sends those again (the destination
goes back to ``pending`` with its sent steps kept), except a step marked ``unsure``. Transient
errors send the whole destination back to ``pending`` (the queue retries); the next run resumes
where this one ended.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from core.states import StepKind, StepStatus
from publishers.base import Publisher, PublishRequest, Receipt
from publishers.errors import (
    Ambiguous,
    PermanentError,
    PublishError,
    RateLimited,
    TransientError,
    with_advice,
)
from scheduler.accounts.access import call_fresh
from scheduler.notifier import COMMENT_UNSURE, NO_COMMENTS, PART_BROKEN, PART_UNSURE
from scheduler.publishing.internal import storable
from scheduler.publishing.retry import backoff
from storage.publishing import Claim
from storage.steps import Fence, PlannedStep
from storage.views import UNSURE, AccountView, StepView

if TYPE_CHECKING:
    from scheduler.publishing.runner import Runner

log = logging.getLogger("outpost.publish")

Build = Callable[[AccountView], PublishRequest]
SUPERSEDED = "superseded"


def plan(publisher: Publisher, request: PublishRequest) -> tuple[list[PlannedStep], list[str]]:
    """The steps of ``request``'s destination and the text of each (one entry: a plain post)."""
    parts = publisher.thread_parts(request)
    key = request.idempotency_key
    steps = [PlannedStep(1, StepKind.POST, key)]
    steps += [PlannedStep(n, StepKind.PART, f"{key}:{n}") for n in range(2, len(parts) + 1)]
    texts = list(parts)
    if request.first_comment.strip():
        seq = len(parts) + 1
        if publisher.comment_kind:
            steps.append(PlannedStep(seq, StepKind.COMMENT, f"{key}:c"))
        else:
            why = NO_COMMENTS.format(network=publisher.label)
            steps.append(PlannedStep(seq, StepKind.COMMENT, f"{key}:c", StepStatus.SKIPPED, why))
        texts.append(request.first_comment)
    return steps, texts


def receipt_of(step: StepView) -> Receipt:
    """A sent step as the receipt a reply needs (Bluesky's record CID lives in ``extra``)."""
    return Receipt(remote_id=step.remote_id or "", url=step.url, extra=step.extra)


class Steps:
    """Runs one claimed destination's steps for the runner."""

    def __init__(self, runner: Runner, claim: Claim, publisher: Publisher, build: Build) -> None:
        self.runner = runner
        self.rt = runner.rt
        self.claim = claim
        self.publisher = publisher
        self.build = build
        self.rows: list[StepView] = []  # as planned, then as each step moves

    def _fence(self) -> Fence:
        now = self.rt.clock.now()
        return Fence(self.claim.destination.id, self.claim.attempt_number, now + self.runner.lease)

    async def _mark(self, seq: int, status: StepStatus, **kw: Any) -> bool:
        store = self.rt.publishing.steps
        return await store.mark(self._fence(), seq, status, self.rt.clock.now(), **kw)

    def _request(self, account: AccountView, text: str, key: str) -> PublishRequest:
        base = self.build(account)
        return replace(base, text=text, media=(), idempotency_key=key, parts=(),
                       first_comment="", thread=False)  # fmt: skip

    async def root(self, planned: list[PlannedStep], texts: list[str]) -> Receipt | None:
        """The root post's receipt: stored already, or published now. None: claim lost.

        Errors from the network are raised for the runner to handle like any publish's."""
        rows = await self.rt.publishing.steps.plan(self._fence(), planned, self.rt.clock.now())
        if rows is None:
            return None
        self.rows = rows
        first = rows[0]
        if first.status == StepStatus.SENT:
            return receipt_of(first)
        if not await self._mark(1, StepStatus.SENDING):
            return None
        try:
            receipt = await call_fresh(
                self.rt, self.claim.account,
                lambda account: replace(self.build(account), text=texts[0]),
                self.publisher.publish, just_read=True,
            )  # fmt: skip
            storable(receipt)
        except PermanentError as exc:
            await self._mark(1, StepStatus.FAILED, error=exc.message)
            raise
        except Ambiguous:
            raise  # stays "sending": the runner resends where the network dedupes, or looks
        except TransientError:
            await self._mark(1, StepStatus.PENDING)
            raise
        if not await self._mark(
            1, StepStatus.SENT, remote_id=receipt.remote_id, url=receipt.url,
            extra=dict(receipt.extra),
        ):  # fmt: skip
            return None
        self.rows[0] = replace(first, status=StepStatus.SENT, remote_id=receipt.remote_id,
                               url=receipt.url, extra=dict(receipt.extra))  # fmt: skip
        return receipt

    async def follow(self, root: Receipt, texts: list[str]) -> str:
        """Every step after the root, in order; then the destination succeeds."""
        parent = root
        broken: int | None = None
        for step in self.rows[1:]:
            text = texts[step.seq - 1] if step.seq - 1 < len(texts) else ""
            if step.status == StepStatus.SENT:
                if step.kind == StepKind.PART:
                    parent = receipt_of(step)
                continue
            if step.status in (StepStatus.FAILED, StepStatus.SKIPPED):
                if step.kind == StepKind.PART:
                    broken = broken or step.seq
                continue
            if step.kind == StepKind.PART and broken is not None:
                why = PART_BROKEN.format(n=broken)
                if not await self._mark(step.seq, StepStatus.SKIPPED, error=why):
                    return SUPERSEDED
                continue
            target = parent if step.kind == StepKind.PART or self._replies() else root
            outcome = await self._take(step, text, target, root)
            if isinstance(outcome, str):
                return outcome
            if outcome is None:
                if step.kind == StepKind.PART:
                    broken = step.seq
                continue
            if step.kind == StepKind.PART:
                parent = outcome
        return await self.runner._succeed(self.claim, root)

    def _replies(self) -> bool:
        return self.publisher.comment_kind == "reply"

    async def _take(
        self, step: StepView, text: str, parent: Receipt, root: Receipt
    ) -> Receipt | str | None:
        """One step: its receipt, None when it failed for good, or the runner's answer when
        the job ends here (retried later, claim lost)."""
        if step.status == StepStatus.SENDING:
            settled = await self._unsure(step, text, parent)
            if settled != "resend":
                return settled
        if not await self._mark(step.seq, StepStatus.SENDING):
            return SUPERSEDED
        publisher = self.publisher
        if step.kind == StepKind.PART or self._replies():

            async def call(request: PublishRequest) -> Receipt:
                return await publisher.reply(request, parent, root)
        else:

            async def call(request: PublishRequest) -> Receipt:
                return await publisher.comment(request, root)

        try:
            receipt = await call_fresh(
                self.rt, self.claim.account,
                lambda account: self._request(account, text, step.key), call,
            )  # fmt: skip
            storable(receipt)
        except Ambiguous:
            return await self._ambiguous(step, text, parent)
        except RateLimited as exc:
            return await self._later(step, exc, exc.retry_after + random.uniform(0.25, 1.0))
        except TransientError as exc:
            return await self._later(step, exc, None)
        except PermanentError as exc:
            return await self._failed(step, with_advice(exc))
        except Exception as exc:  # a bug of ours: the step may have gone out
            log.error("internal error in a step", exc_info=exc,
                      extra={"dest": str(self.claim.destination.id), "seq": step.seq})  # fmt: skip
            return await self._ambiguous(step, text, parent)
        if not await self._mark(
            step.seq, StepStatus.SENT, remote_id=receipt.remote_id, url=receipt.url,
            extra=dict(receipt.extra), error=None,
        ):  # fmt: skip
            return SUPERSEDED
        return receipt

    async def _failed(self, step: StepView, why: str, *, unsure: bool = False) -> str | None:
        extra = {UNSURE: True} if unsure else None  # Retry leaves it: it may be out
        if not await self._mark(step.seq, StepStatus.FAILED, error=why, extra=extra):
            return SUPERSEDED
        return None

    async def _ambiguous(self, step: StepView, text: str, parent: Receipt) -> Receipt | str | None:
        """The call may or may not have made the step: never send it blind."""
        if self.publisher.dedupes:
            # Sent again under the same key in the next run; the network drops the repeat.
            return await self._later(step, Ambiguous("the network did not confirm a step"),
                                     None, keep=True)  # fmt: skip
        settled = await self._unsure(step, text, parent)
        if settled == "resend":
            return await self._later(step, Ambiguous("the step was not found"), None)
        return settled

    async def _unsure(self, step: StepView, text: str, parent: Receipt) -> Receipt | str | None:
        """A step left ``sending``: "resend" when that is safe, else what was found."""
        if self.publisher.dedupes:
            return "resend"
        account = self.claim.account
        request = self._request(account, text, step.key)
        try:
            found = await self.publisher.find_step(request, parent)
        except PublishError as exc:
            return await self._later(step, exc, None, keep=True)
        except Exception as exc:  # a bug of ours while looking: it stays unknown
            log.error("internal error looking for a step", exc_info=exc)
            found = False
        if isinstance(found, Receipt):
            sent = await self._mark(step.seq, StepStatus.SENT, remote_id=found.remote_id,
                                    url=found.url, extra=dict(found.extra), error=None)  # fmt: skip
            if not sent:
                return SUPERSEDED
            return found
        if found is None:
            return "resend"
        unsure = COMMENT_UNSURE if step.kind == StepKind.COMMENT else PART_UNSURE
        why = unsure.format(network=self.publisher.label, n=step.seq, handle=account.handle)
        return await self._failed(step, why, unsure=True)

    @staticmethod
    def _what(step: StepView) -> str:
        return "the first comment" if step.kind == StepKind.COMMENT else f"part {step.seq}"

    async def _later(
        self, step: StepView, exc: PublishError, delay: float | None, *, keep: bool = False
    ) -> str | None:
        """Back to ``pending`` to resume later; past the attempt budget the step fails."""
        give_up, failures = await self.runner.budget(self.claim, exc)
        if give_up:
            reason = with_advice(exc)
            attempts = self.claim.attempt_number
            return await self._failed(step, f"Gave up after {attempts} attempts: {reason}")
        if not keep and not await self._mark(step.seq, StepStatus.PENDING, error=exc.message):
            return SUPERSEDED
        delay = backoff(failures + 1) if delay is None else delay
        what = f"{self._what(step)}: {exc.message}"
        return await self.runner.defer(self.claim, exc.code, what, delay)
