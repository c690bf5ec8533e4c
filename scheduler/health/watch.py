"""The worker's scheduled looks: every account once a day, and accounts with posts due soon.

``daily_checks`` checks every connected account (renewing expiring tokens on the way) and
warns about tokens that cannot be renewed (``expiry``). ``due_soon_checks`` checks each
account that has a post due in the next 24 hours; one that fails is reported at once in the
thread the post was scheduled from, with what to do, once per post, account and verdict.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import timedelta
from typing import Any, TypeVar

from scheduler import metrics
from scheduler.health.checks import AccountHealth, check_account
from scheduler.health.events import emit_account_event
from scheduler.health.expiry import warn_expiry
from scheduler.health.notices import tell
from scheduler.runtime import Runtime
from storage.views import AccountView, PostView

log = logging.getLogger("outpost.health")
WINDOW = timedelta(hours=24)
# Networks are asked a few at a time: a check is cheap, a burst of them is not.
PARALLEL = 8
T = TypeVar("T")
R = TypeVar("R")


async def _bounded(items: Iterable[T], work: Callable[[T], Awaitable[R]]) -> list[R]:
    gate = asyncio.Semaphore(PARALLEL)

    async def one(item: T) -> R:
        async with gate:
            return await work(item)

    return list(await asyncio.gather(*(one(i) for i in items)))


async def _report(rt: Runtime, result: AccountHealth) -> AccountHealth:
    """Count the verdict; a failed one is logged and sent to the workspace's endpoints."""
    metrics.ACCOUNT_CHECKS.labels(result.account.platform, result.health.status).inc()
    if not result.ok:
        log.warning(
            "account check failed",
            extra={"account": str(result.account.id), "platform": result.account.platform,
                   "status": result.health.status, "reason": result.health.reason},
        )  # fmt: skip
        await emit_account_event(rt, result)
    return result


async def daily_checks(rt: Runtime) -> dict[str, int]:
    """Check (and renew) every account, then warn about tokens that will lapse."""
    accounts = [a for a in await rt.workspaces.all_accounts() if a.status != "removed"]

    async def one(account: AccountView) -> AccountHealth:
        result = await _report(rt, await check_account(rt, account))
        await warn_expiry(rt, account)
        return result

    results = await _bounded(accounts, one)
    counts: dict[str, int] = {}
    for result in results:
        counts[result.health.status] = counts.get(result.health.status, 0) + 1
    return counts


async def due_soon_checks(rt: Runtime) -> int:
    """Check accounts with posts due within 24 hours; tell each failing post's thread."""
    now = rt.clock.now()
    posts: dict[uuid.UUID, dict[uuid.UUID, PostView]] = {}
    accounts: dict[uuid.UUID, AccountView] = {}
    for job in await rt.publishing.due(now + WINDOW):
        _, post, account = await rt.publishing.load(job.destination_id)
        accounts[account.id] = account
        posts.setdefault(account.id, {})[post.id] = post
    results = await _bounded(accounts.values(), lambda a: check_account(rt, a))
    told = 0
    for result in [await _report(rt, r) for r in results]:
        if result.ok:
            continue
        for post in posts[result.account.id].values():
            told += await _warn(rt, post, result)
    return told


async def _warn(rt: Runtime, post: PostView, result: AccountHealth) -> int:
    acc, health = result.account, result.health
    key = f"{rt.settings.queue_name}:due-warned:{post.id}:{acc.id}:{health.status}"
    if not await rt.redis.set(key, "1", nx=True, px=int(2 * WINDOW.total_seconds() * 1000)):
        return 0
    what = f"{health.status}: {health.reason}. {result.advice}"
    if result.link:
        what += f" {result.link}"
    headline = "⚠️ This post may not go out"
    return int(await tell(rt, post, headline, [(acc.platform, acc.handle, what)]))


async def daily_task(ctx: dict[str, Any]) -> dict[str, int]:
    """The daily cron task."""
    return await daily_checks(ctx["runtime"])


async def due_soon_task(ctx: dict[str, Any]) -> int:
    """The hourly cron task."""
    return await due_soon_checks(ctx["runtime"])
