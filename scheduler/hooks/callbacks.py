"""Signed callbacks: a post's status changes POSTed to its ``callback_url`` and the workspace's
endpoints (Standard Webhooks), retried with backoff for a day, every attempt logged.

Rows are written first, then one arq job per delivery; a sweep re-queues pending deliveries
whose job was lost, so a flushed Redis delays callbacks but never drops them.
"""

from __future__ import annotations

import json
import logging
import random
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from arq import Retry
from arq.cron import cron
from arq.worker import func
from redis.exceptions import RedisError

from core.states import CallbackEvent, DestinationStatus, PostStatus
from publishers import guard, signing
from scheduler.api_tokens import api_store, callback_store
from scheduler.notifier import PostResult
from scheduler.runtime import Runtime
from storage.api_callbacks import EndpointView, NewCallback
from storage.views import AccountView, DestinationView, PostView

log = logging.getLogger("outpost.callbacks")

DELIVER = "deliver_callback"
GIVE_UP_AFTER = timedelta(days=1)
FIRST_DELAY = 2.0
MAX_DELAY = 3600.0
HTTP_TIMEOUT = 10.0
SWEEP_GRACE = timedelta(minutes=2)


def callback_backoff(attempt: int) -> float:
    """2, 4, 8 ... seconds with jitter, capped at an hour: about 35 attempts in a day."""
    delay: float = min(MAX_DELAY, FIRST_DELAY * 2 ** max(0, attempt - 1))
    return delay * random.uniform(0.8, 1.2)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def signing_secret(rt: Runtime, workspace_id: uuid.UUID) -> str:
    """The workspace's callback signing secret (``whsec_…``), made on first use."""
    enc = await callback_store(rt).secret(
        workspace_id, lambda: rt.cipher.encrypt(signing.generate_secret())
    )
    return rt.cipher.decrypt(enc)


def _destinations(post: PostView) -> list[dict[str, Any]]:
    return [
        {
            "platform": d.platform,
            "handle": d.handle,
            "status": d.status,
            "url": d.platform_url,
            "error": d.error_message,
            **_steps(d),
        }
        for d in post.destinations
    ]


def _steps(dest: DestinationView) -> dict[str, Any]:
    """A thread's parts and the first comment, each with its own outcome (only when there
    are some: a plain post's payload stays as it was)."""
    if not dest.steps:
        return {}
    return {"steps": [
        {"seq": s.seq, "kind": s.kind, "status": s.status, "url": s.url, "error": s.error}
        for s in dest.steps
    ]}  # fmt: skip


async def emit(
    rt: Runtime,
    post: PostView,
    event: CallbackEvent,
    destination_id: str | None = None,
    *,
    listening: bool | None = None,
) -> int:
    """Record and queue ``event`` for every URL that listens to ``post``; returns how many.

    With ``destination_id`` the event is about that destination alone (``data.destination``).
    ``listening``: whether the workspace had a callback endpoint when the caller read it in
    this request (the API's create reads it with the workspace); asked here when None.
    """
    store = callback_store(rt)
    if listening is None and not post.callback_url:
        listening = await store.listening(post.workspace_id)  # one batched query
    if not post.callback_url and not listening:
        return 0  # the common case
    endpoints = await store.endpoints(post.workspace_id)
    urls = list(dict.fromkeys([*([post.callback_url] if post.callback_url else []),
                               *(e.url for e in endpoints)]))  # fmt: skip
    if not urls:
        return 0
    data: dict[str, Any] = {
        "post_id": str(post.id),
        "status": post.status,
        "text": post.content,
        "scheduled_at": _iso(post.scheduled_at),
        "destinations": _destinations(post),
    }
    key = f"{post.id}:{post.revision}:{event}"
    if destination_id is not None:
        index = [str(d.id) for d in post.destinations].index(destination_id)
        data["destination"] = _destinations(post)[index]
        key = f"{post.id}:{destination_id}:{event}"
    return await _queue(rt, post.workspace_id, post.id, event, urls, key, data, rt.clock.now())


async def emit_account(
    rt: Runtime,
    account: AccountView,
    event: CallbackEvent,
    reason: str,
    post_ids: Sequence[uuid.UUID],
) -> int:
    """Record and queue an event about ``account`` for the workspace's endpoints."""
    store = callback_store(rt)
    if not await store.listening(account.workspace_id):
        return 0
    now = rt.clock.now()
    data: dict[str, Any] = {
        "account_id": str(account.id),
        "platform": account.platform,
        "handle": account.handle,
        "reason": reason,
        "failed_post_ids": [str(p) for p in post_ids],
    }
    urls = [e.url for e in await store.endpoints(account.workspace_id)]
    key = f"{account.id}:{_iso(now)}:{event}"
    return await _queue(rt, account.workspace_id, None, event, urls, key, data, now)


async def _queue(
    rt: Runtime,
    workspace_id: uuid.UUID,
    post_id: uuid.UUID | None,
    event: CallbackEvent,
    urls: Sequence[str],
    key: str,
    data: dict[str, Any],
    now: datetime,
) -> int:
    """Record the event once per URL (``key`` plus the URL dedupes it) and queue deliveries."""
    payload: dict[str, Any] = {"type": event, "timestamp": _iso(now), "data": data}
    items = [
        NewCallback(workspace_id, post_id, event, url, f"{key}:{url}"[:400], payload)
        for url in urls
    ]
    ids = await callback_store(rt).add(items, now)
    await enqueue_callbacks(rt, ids)
    return len(ids)


async def add_endpoint(rt: Runtime, workspace_id: uuid.UUID, url: str) -> EndpointView:
    """Make ``url`` hear every event of the workspace (checked for privacy by the caller)."""
    return await callback_store(rt).add_endpoint(workspace_id, url)


async def remove_endpoint(rt: Runtime, workspace_id: uuid.UUID, endpoint_id: uuid.UUID) -> None:
    """Stop sending events to an endpoint; NotFound when it is not the workspace's."""
    await callback_store(rt).remove_endpoint(workspace_id, endpoint_id)


async def enqueue_callbacks(rt: Runtime, ids: Sequence[uuid.UUID], defer: float = 0) -> None:
    """Queue delivery jobs; a Redis failure is left to the sweep."""
    try:
        for delivery_id in ids:
            await rt.redis.enqueue_job(
                DELIVER, str(delivery_id), _job_id=f"callback:{delivery_id}", _defer_by=defer
            )
    except (RedisError, OSError) as exc:
        log.warning("callback enqueue failed; the sweep will retry", extra={"error": str(exc)})


class CallbackNotifier:
    """Turns a finished post into ``post.published`` / ``partially_published`` / ``failed``."""

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime

    async def notify(self, result: PostResult) -> None:
        """Record and queue the final status event of ``result``."""
        workspace = uuid.UUID(result.workspace_id)
        if not await self._listening(workspace, result.callback_url):
            return
        post = await self.rt.posts.get(uuid.UUID(result.post_id))
        await emit(self.rt, post, CallbackEvent.for_post(PostStatus(result.status)))

    async def destination_done(self, post: PostView, destination_id: str, status: str) -> None:
        """``destination.published`` or ``destination.failed`` as each one finishes."""
        if not await self._listening(post.workspace_id, post.callback_url):
            return
        fresh = await self.rt.posts.get(post.id)
        event = CallbackEvent.for_destination(DestinationStatus(status))
        await emit(self.rt, fresh, event, destination_id)

    async def _listening(self, workspace_id: uuid.UUID, callback_url: str | None) -> bool:
        # Most posts have no callback: one cheap query instead of loading the post.
        return bool(callback_url) or await callback_store(self.rt).listening(
            workspace_id, batched=True
        )


async def _send(rt: Runtime, url: str, headers: dict[str, str], body: bytes) -> tuple[int, str]:
    timeout = aiohttp.ClientTimeout(total=min(HTTP_TIMEOUT, rt.settings.job_timeout_seconds * 0.8))
    try:
        async with rt.http.post(
            url, data=body, headers=headers, timeout=timeout, allow_redirects=False
        ) as resp:
            return resp.status, "" if resp.status < 300 else f"answered HTTP {resp.status}"
    except (aiohttp.ClientError, TimeoutError) as exc:
        # The same words for every failure: the delivery log is readable by whoever set the
        # URL, and must not tell a refused address from a closed, open or filtered port.
        if guard.refused(exc):
            log.info("callback to a private address refused")
        return 0, f"could not deliver: {guard.GENERIC}"


async def deliver_callback(ctx: dict[str, Any], delivery_id: str) -> str:
    """Send one callback; a failure retries with backoff until a day has passed."""
    rt: Runtime = ctx["runtime"]
    store = callback_store(rt)
    item = await store.get(uuid.UUID(delivery_id))
    if item is None or item.status != "pending":
        return "done"
    now = rt.clock.now()
    body = json.dumps(item.payload, separators=(",", ":"), ensure_ascii=False).encode()
    secret = await signing_secret(rt, item.workspace_id)
    headers = {
        **signing.sign_headers(secret, f"msg_{item.id.hex}", int(now.timestamp()), body),
        "Content-Type": "application/json",
    }
    code, error = await _send(rt, item.url, headers, body)
    if 200 <= code < 300:
        await store.record(item.id, status="delivered", response_code=code, error=None,
                           next_attempt_at=None, now=now)  # fmt: skip
        return "delivered"
    delay = callback_backoff(item.attempts + 1)
    if now + timedelta(seconds=delay) - item.created_at > GIVE_UP_AFTER:
        await store.record(item.id, status="failed", response_code=code or None,
                           error=error + "; gave up after a day", next_attempt_at=None,
                           now=now)  # fmt: skip
        log.warning("callback gave up", extra={"delivery_id": delivery_id})
        return "failed"
    await store.record(item.id, status="pending", response_code=code or None, error=error,
                       next_attempt_at=now + timedelta(seconds=delay), now=now)  # fmt: skip
    raise Retry(defer=delay)


async def sweep_callbacks(ctx: dict[str, Any]) -> int:
    """Re-queue pending deliveries whose job Redis lost; purge day-old idempotency keys and
    connect attempts (a used connect link stays used for a day, well past its 15 minutes)."""
    rt: Runtime = ctx["runtime"]
    now = rt.clock.now()
    await api_store(rt).purge_keys(now)
    await rt.accounts.purge_states(now)
    lost = await callback_store(rt).overdue(now - SWEEP_GRACE)
    await enqueue_callbacks(rt, lost)
    return len(lost)


CALLBACK_FUNCTIONS = [func(deliver_callback, name=DELIVER, max_tries=10_000)]
CALLBACK_CRON = [cron(sweep_callbacks, second={17}, run_at_startup=True)]
