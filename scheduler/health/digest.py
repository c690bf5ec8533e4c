"""The weekly digest's content: the week ahead, what failed last week and why, and the
accounts that need attention (each checked with its network now).

Only the content is built here; see the report of issue #16 for what is not yet wired (the
per-chat opt-in, its storage and the weekly cron).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from core.states import DestinationStatus, PostStatus
from scheduler.health.checks import AccountHealth, check_workspace
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
