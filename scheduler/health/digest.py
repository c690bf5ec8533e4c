"""The weekly digest's content: the week ahead, what failed last week and why, and the
accounts that need attention (each checked with its network now).

A chat opts in with ``digest on`` (``subscribe``; ``digest off`` opts out) and hears it on
Monday mornings (UTC) from a worker cron (``send_digests``), at most once a week per chat: the
row's ``last_sent_at`` is claimed with a conditional update, so two workers cannot both send.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.states import DestinationStatus, PostStatus
from scheduler.health.checks import AccountHealth, check_workspace
from scheduler.health.notices import chat_origin, where
from scheduler.notifier import PostResult
from scheduler.runtime import Runtime
from storage.views import PostView

WEEK = timedelta(days=7)
LIMIT = 200


@dataclass(frozen=True)
class Digest:
    """One workspace's week."""

    upcoming: tuple[PostView, ...]
    failed: tuple[PostView, ...]
    attention: tuple[AccountHealth, ...]

    def text(self, tz: str) -> str:
        """The digest as a chat message, times in ``tz``."""
        zone = ZoneInfo(tz)
        lines = [f"📅 The week ahead: {len(self.upcoming)} post(s) scheduled"]
        for post in self.upcoming:
            when = post.scheduled_at.astimezone(zone).strftime("%a %d %b %H:%M")
            where = ", ".join(f"{d.platform}:{d.handle}" for d in post.destinations)
            lines.append(f"• {when} → {where}: {post.content[:60]}")
        lines.append(f"❌ Last week: {len(self.failed)} post(s) did not fully go out")
        for post in self.failed:
            when = post.scheduled_at.astimezone(zone).strftime("%a %d %b %H:%M")
            for d in post.destinations:
                if d.status == DestinationStatus.FAILED:
                    why = d.error_message or "failed"
                    lines.append(f"• {when} {d.platform}:{d.handle}: {why}")
        if self.attention:
            lines.append("⚠️ Accounts needing attention:")
        for r in self.attention:
            acc, health = r.account, r.health
            line = f"• {acc.platform}:{acc.handle}: {health.status} ({health.reason}). {r.advice}"
            lines.append(line + (f" {r.link}" if r.link else ""))
        return "\n".join(lines)


async def weekly_digest(rt: Runtime, workspace_id: uuid.UUID) -> Digest:
    """What the workspace has coming this week, what failed last week, which accounts fail."""
    now = rt.clock.now()
    ahead = await rt.posts.search(
        workspace_id, start=now, end=now + WEEK, statuses=(PostStatus.SCHEDULED,), limit=LIMIT
    )
    failed = await rt.posts.search(
        workspace_id, start=now - WEEK, end=now, limit=LIMIT,
        statuses=(PostStatus.FAILED, PostStatus.PARTIALLY_PUBLISHED),
    )  # fmt: skip
    attention = [r for r in await check_workspace(rt, workspace_id) if not r.ok]
    return Digest(tuple(ahead), tuple(failed), tuple(attention))


async def subscribe(
    rt: Runtime, workspace_id: uuid.UUID, origin: dict[str, Any], tz: str, on: bool
) -> bool:
    """Opt the chat of ``origin`` in or out; False when it is not a chat the bot can write to."""
    place = chat_origin(origin)
    if place is None:
        return False
    # The chat, not the thread: the digest is a message of its own.
    place = {k: v for k, v in place.items() if k not in ("thread_ts", "message_id")}
    await rt.digests.set(workspace_id, "|".join(where(place)), place, tz, on)
    return True


async def send_digests(rt: Runtime) -> int:
    """Send this week's digest to each opted-in chat that has not had it; returns how many."""
    now = rt.clock.now()
    week_start = now - timedelta(days=6)
    sent = 0
    for chat in await rt.digests.due(week_start):
        if not await rt.digests.sent(chat.place, now, week_start):
            continue
        digest = await weekly_digest(rt, chat.workspace_id)
        result = PostResult(
            post_id="", workspace_id=str(chat.workspace_id), status=digest.text(chat.timezone),
            text="", origin=chat.origin, callback_url=None, destinations=(),
        )  # fmt: skip
        await rt.notifier.notify(result)
        sent += 1
    return sent


async def digest_task(ctx: dict[str, Any]) -> int:
    """The weekly cron task."""
    return await send_digests(ctx["runtime"])
