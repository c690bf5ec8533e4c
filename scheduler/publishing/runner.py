"""Publishing one destination, and recovering one whose outcome is unknown.

pending ──claim──▶ publishing ──▶ success | failed
   ▲                   │  └──(transient: back to pending, retried at the platform's reset)
   │                   └──(worker vanished / ambiguous answer)──▶ unknown
   └──────────── resolve: resend where the network dedupes, look it up, or report honestly
"""

from __future__ import annotations

import logging
import random
import uuid
from dataclasses import replace
from datetime import datetime, timedelta

from core.errors import OutpostError
from core.states import DestinationStatus, StepStatus
from publishers.base import PublishRequest, Receipt
from publishers.errors import (
    Ambiguous,
    IntegrationOutdated,
    PermanentError,
    PublishError,
    RateLimited,
    TransientError,
    Unavailable,
    with_advice,
)
from scheduler import metrics
from scheduler.accounts.access import publish_fresh
from scheduler.notifier import PostResult
from scheduler.occurrences import following
from scheduler.publishing.horizon import queue_jobs
from scheduler.publishing.internal import (
    INTERNAL,
    InternalError,
    internal_gave_up,
    storable,
    unresolved,
)
from scheduler.publishing.queue import enqueue_notify
from scheduler.publishing.retry import RATE_LIMIT_PATIENCE, RetryLater, backoff
from scheduler.publishing.steps import Steps, plan
from scheduler.requests import publish_request
from scheduler.runtime import Runtime
from storage.media import MediaStoreError
from storage.publishing import Claim, Finished, Outcome
from storage.steps import PlannedStep
from storage.views import AccountView, DestinationView, Job, PostView

log = logging.getLogger("outpost.publish")

__all__ = ["RetryLater", "Runner", "backoff"]

RESET_MARGIN = 0.25  # the platform's clock and ours differ; never arrive before its reset


def next_time(post: PostView) -> datetime | None:
    if not post.recurrence:
        return None
    # Skipped occurrences (exdates) are passed over; finalize carries them to the next row.
    return following(post.recurrence, tz=post.timezone, after=post.scheduled_at,
                     exdates=post.exdates)  # fmt: skip


class Runner:
    """Moves destinations through their states; every step is safe to run twice."""

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.rt.settings.job_timeout_seconds + 5)

    async def publish(self, dest_id: uuid.UUID, revision: int) -> str:
        """The arq task body: claim, send, record. Raises RetryLater for transient errors."""
        now = self.rt.clock.now()
        claim = await self.rt.publishing.claim(
            dest_id, revision, now, now + self.lease, self.rt.worker_name
        )
        if claim is None:
            return await self._not_claimed(dest_id, revision, now)
        metrics.LATENESS.observe(max(0.0, (now - claim.destination.due_at).total_seconds()))
        return await self._send(claim)

    async def _not_claimed(self, dest_id: uuid.UUID, revision: int, now: datetime) -> str:
        state = await self.rt.publishing.destination(dest_id)
        if state is None:
            return "gone"
        status, current, lease_until = state
        if current != revision:
            return "stale"
        if status == "pending":
            # Queued early (a clock step, a reconciler race): come back when due.
            dest, _, _ = await self.rt.publishing.load(dest_id)
            raise RetryLater(max(0.05, (dest.due_at - now).total_seconds()))
        if status == "publishing" and lease_until is not None and lease_until < now:
            await self.rt.publishing.expire_leases(now)
            status = "unknown"
        if status == "unknown":
            return await self.resolve(dest_id)
        return status

    async def _send(self, claim: Claim) -> str:
        dest, post = claim.destination, claim.post
        publisher = self.rt.publishers.get(dest.platform)
        now = self.rt.clock.now
        if publisher is None:
            return await self._fail(claim, "not_supported", f"{dest.platform} is not supported.")

        def build(account: AccountView) -> PublishRequest:
            return publish_request(
                post, dest, account, post.media, store=self.rt.media, cipher=self.rt.cipher
            )

        stepped: Steps | None = None
        texts: list[str] = []
        try:
            # A thread or a first comment: the root post here, the rest in steps. (Most posts
            # are one post: they skip building a request only to plan it.)
            planned: list[PlannedStep] = []
            if post.parts or post.first_comment or post.thread:
                planned, texts = plan(publisher, publish_request(post, dest, claim.account, ()))
            if len(planned) > 1:
                stepped = Steps(self, claim, publisher, build)
                root = await stepped.root(planned, texts)
                if root is None:
                    return "superseded"
                receipt = root
            else:
                # Refreshes an expiring token first, and once more after a 401.
                receipt = await publish_fresh(
                    self.rt,
                    publisher,
                    claim.account,
                    build,
                    just_read=True,  # the claim read the account a moment ago
                )
                storable(receipt)
        except RateLimited as exc:
            # Honour the network's reset; a little jitter keeps a crowd of posts that hit the
            # same window from all arriving in its first millisecond.
            spread = random.uniform(0.0, min(5.0, float(claim.attempt_number)))
            delay = exc.retry_after + RESET_MARGIN + spread
            return await self._retry(claim, exc, delay)
        except Ambiguous as exc:
            if publisher.dedupes:
                return await self._retry(claim, exc)
            await self.rt.publishing.finish(
                Outcome(claim, DestinationStatus.UNKNOWN, now(), code=exc.code, message=exc.message)
            )
            return await self.resolve(dest.id)
        except TransientError as exc:
            return await self._retry(claim, exc)
        except PermanentError as exc:
            if isinstance(exc, IntegrationOutdated):
                # Only the operator can fix this (a newer Outpost or a version setting).
                log.error(
                    "%s refused the API version or call Outpost uses; Outpost needs an update",
                    dest.platform,
                    extra={"network": dest.platform, "refused": exc.message,
                           "destination_id": str(dest.id)},
                )  # fmt: skip
                metrics.INTEGRATION_OUTDATED.labels(dest.platform).inc()
            return await self._fail(claim, exc.code, with_advice(exc))
        except MediaStoreError as exc:
            if exc.retry:
                return await self._retry(claim, Unavailable(exc.message))
            return await self._fail(claim, "media_missing", exc.message)
        except OutpostError as exc:
            return await self._fail(claim, exc.code, str(exc))
        except Exception as exc:  # a bug of ours (an answer we cannot read): fail this attempt
            return await self._internal_error(claim, publisher.dedupes, exc)
        if stepped is not None:
            return await stepped.follow(receipt, texts)
        return await self._succeed(claim, receipt)

    async def _internal_error(self, claim: Claim, dedupes: bool, exc: Exception) -> str:
        """Count the attempt as failed, visibly; retried within the attempt budget."""
        dest = claim.destination
        self._log_internal(dest, exc)
        if dedupes:
            return await self._retry(claim, InternalError(INTERNAL))
        # The post may have gone out before our code failed: look for it before resending.
        await self.rt.publishing.finish(
            Outcome(
                claim,
                DestinationStatus.UNKNOWN,
                self.rt.clock.now(),
                code=InternalError.code,
                message=f"{INTERNAL}; checking whether it was published.",
            )
        )
        return await self.resolve(dest.id)

    @staticmethod
    def _log_internal(dest: DestinationView, exc: Exception) -> None:
        log.error(
            "internal error publishing",
            exc_info=exc,
            extra={"dest": str(dest.id), "platform": dest.platform, "try": dest.attempts},
        )
        metrics.ERRORS.labels(dest.platform).inc()

    async def _succeed(self, claim: Claim, receipt: Receipt) -> str:
        done = await self.rt.publishing.finish(
            Outcome(
                claim,
                DestinationStatus.SUCCESS,
                self.rt.clock.now(),
                remote_id=receipt.remote_id,
                url=receipt.url,
            )
        )
        metrics.OUTCOMES.labels(claim.destination.platform, "success").inc()
        await self.finished(claim.post, claim.destination.id, "success", done)
        return "success"

    async def _fail(self, claim: Claim, code: str, message: str) -> str:
        done = await self.rt.publishing.finish(
            Outcome(
                claim, DestinationStatus.FAILED, self.rt.clock.now(), code=code, message=message
            )
        )
        metrics.OUTCOMES.labels(claim.destination.platform, "failed").inc()
        await self.finished(claim.post, claim.destination.id, "failed", done)
        return "failed"

    async def _retry(self, claim: Claim, exc: PublishError, delay: float | None = None) -> str:
        """Back to ``pending`` for another try after ``delay``, or by default after a backoff
        on the failures so far."""
        give_up, failures = await self.budget(claim, exc)
        if delay is None:
            delay = backoff(failures + 1)
        if give_up:
            message = f"Gave up after {claim.attempt_number} attempts: {with_advice(exc)}"
            if isinstance(exc, InternalError):
                message = internal_gave_up(claim.attempt_number)
            return await self._fail(claim, exc.code, message)
        metrics.OUTCOMES.labels(claim.destination.platform, exc.code).inc()
        said = exc.message
        if isinstance(exc, InternalError):
            budget = self.rt.settings.max_publish_attempts
            said = f"{INTERNAL}; it will retry ({failures + 1} of {budget})."
        return await self.defer(claim, exc.code, said, delay)

    async def budget(self, claim: Claim, exc: PublishError) -> tuple[bool, int]:
        """(give up now, failed attempts so far) for another try after ``exc``."""
        # A rate limit is the network saying "later", not "broken": it does not use up the
        # attempt budget, only the day a post may wait; nor does it lengthen the backoff
        # after a real failure (attempts counted them, and a post behind a few 429s waited
        # minutes after one 500).
        if isinstance(exc, RateLimited):
            return self.rt.clock.now() - claim.post.scheduled_at > RATE_LIMIT_PATIENCE, 0
        failures = await self.rt.publishing.failed_attempts(claim.destination.id)
        return failures + 1 >= self.rt.settings.max_publish_attempts, failures

    async def defer(self, claim: Claim, code: str, message: str, delay: float) -> str:
        """The claim back to ``pending``, due in ``delay`` seconds: the queue runs it again."""
        now = self.rt.clock.now()
        done = await self.rt.publishing.finish(
            Outcome(
                claim,
                DestinationStatus.PENDING,
                now,
                code=code,
                message=message,
                due_at=now + timedelta(seconds=delay),
            )
        )
        if not done.won:
            return "superseded"
        raise RetryLater(delay)

    async def resolve(self, dest_id: uuid.UUID) -> str:
        """Settle an ``unknown`` destination without ever posting twice."""
        dest, post, account = await self.rt.publishing.load(dest_id)
        if dest.status != "unknown":
            return dest.status
        now = self.rt.clock.now()
        publisher = self.rt.publishers.get(dest.platform)
        root_sent = any(s.seq == 1 and s.status == StepStatus.SENT for s in dest.steps)
        if root_sent or (publisher is not None and publisher.dedupes):
            # The root post is out (its steps resume where they stopped, each ambiguous one
            # settled by the steps themselves), or the network drops a repeat of our key.
            if await self.rt.publishing.settle(
                dest_id, DestinationStatus.UNKNOWN, DestinationStatus.PENDING, now
            ):
                job = Job(dest_id, dest.revision, now, attempt=dest.attempts)
                await queue_jobs(self.rt, [job])
            return "requeued"
        found: Receipt | bool | None = False
        internal = dest.error_code == InternalError.code
        if publisher is not None:
            request = publish_request(post, dest, account, post.media, cipher=self.rt.cipher)
            try:
                # The root post: a thread's first part.
                request = replace(request, text=publisher.thread_parts(request)[0])
                found = await publisher.find_existing(request)
            except PublishError:
                return "unknown"  # look again on the reconciler's next pass
            except Exception as exc:  # a bug of ours: we cannot tell, so never resend blind
                self._log_internal(dest, exc)
                internal = True
        if isinstance(found, Receipt) and len(dest.steps) > 1:
            # The root post is there, its thread parts or comment are not all: resume them.
            await self.rt.publishing.steps.found_root(
                dest_id, dest.idempotency_key, found.remote_id, found.url, dict(found.extra), now
            )
            if await self.rt.publishing.settle(
                dest_id, DestinationStatus.UNKNOWN, DestinationStatus.PENDING, now
            ):
                await queue_jobs(self.rt, [Job(dest_id, dest.revision, now, attempt=dest.attempts)])
            return "requeued"
        if isinstance(found, Receipt):
            settled = await self.rt.publishing.settle(
                dest_id,
                DestinationStatus.UNKNOWN,
                DestinationStatus.SUCCESS,
                now,
                remote_id=found.remote_id,
                url=found.url,
            )
        elif found is None and (
            await self.rt.publishing.failed_attempts(dest_id)
            < self.rt.settings.max_publish_attempts
        ):
            # Not there: send it again, while failed attempts have not used up the budget.
            settled = await self.rt.publishing.settle(
                dest_id, DestinationStatus.UNKNOWN, DestinationStatus.PENDING, now
            )
            if settled:
                job = Job(dest_id, dest.revision, now, attempt=dest.attempts)
                await queue_jobs(self.rt, [job])
                return "requeued"
        else:
            code, message = unresolved(found is None, internal, dest.attempts, account.handle)
            settled = await self.rt.publishing.settle(
                dest_id,
                DestinationStatus.UNKNOWN,
                DestinationStatus.FAILED,
                now,
                code=code,
                message=message,
            )
        if settled:
            outcome = "success" if isinstance(found, Receipt) else "failed"
            await self.finished(post, dest_id, outcome)
        return "resolved"

    async def finished(
        self, post: PostView, dest_id: uuid.UUID, status: str, done: Finished | None = None
    ) -> None:
        """A destination reached its outcome: tell the listeners, then finalize the post.

        ``done`` is what the worker's batched finish already did: when it closed the post,
        only the report is left to queue.
        """
        if done is not None and not done.won:
            return
        for listener in self.rt.listeners:
            try:
                await listener.destination_done(post, str(dest_id), status)
            except Exception:  # a callback problem must never undo or stall a publish
                log.exception("destination listener failed", extra={"post_id": str(post.id)})
        if done is not None and done.post_status is not None and done.post_revision is not None:
            if done.post_status != "cancelled":
                await self._report(post.id, done.post_revision, done.post)
            return
        if done is None or done.recurring:
            await self.after(post.id)

    async def after(self, post_id: uuid.UUID) -> None:
        """Finalize the post once its last destination is done, then queue the report."""
        done = await self.rt.publishing.finalize(post_id, self.rt.clock.now(), next_time)
        if done is None:
            return
        view, following = done
        if following is not None:
            await queue_jobs(
                self.rt, [Job(d.id, d.revision, d.due_at) for d in following.destinations]
            )
        if view.status != "cancelled":
            await enqueue_notify(self.rt.redis, view.id, view.revision)

    async def _report(self, post_id: uuid.UUID, revision: int, view: PostView | None) -> None:
        """Tell the chat now, in this job; a queued notify job retries if that fails.

        Most reports go out here, saving a job per post. If this worker dies first, the
        reconciler finds the post unnotified and queues the job.
        """
        try:
            await self.notify(post_id, revision, view)
        except Exception as exc:  # incl. RetryLater: the job honours the chat's wait
            log.info(
                "report deferred to a job", extra={"post_id": str(post_id), "error": repr(exc)}
            )
            await enqueue_notify(self.rt.redis, post_id, revision)

    async def notify(self, post_id: uuid.UUID, revision: int, view: PostView | None = None) -> str:
        """Tell the chat (and callbacks) about a finished post, once per revision."""
        post = view if view is not None else await self.rt.publishing.post(post_id)
        if post is None:
            return "gone"
        if post.revision != revision or post.notified_revision == revision:
            return "skipped"
        await self.rt.notifier.notify(PostResult.from_view(post))
        await self.rt.publishing.mark_notified(post_id, revision)
        return "sent"
