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

from core.i18n import gettext as t
from core.i18n import moment, translate
from core.i18n import ngettext as nt
from core.states import DestinationStatus, PostStatus
from scheduler.health.checks import AccountHealth, check_workspace
from scheduler.health.notices import chat_origin, where
from scheduler.language import chat_key
from scheduler.notifier import PostResult, worded
from scheduler.runtime import Runtime
from storage.views import PostView

WEEK = timedelta(days=7)
SHORT = "EEE dd MMM HH:mm"  # a day this week or last: no year
LIMIT = 200


@dataclass(frozen=True)
class Digest:
    """One workspace's week."""

    upcoming: tuple[PostView, ...]
    failed: tuple[PostView, ...]
    attention: tuple[AccountHealth, ...]

    def text(self, tz: str, lang: str | None = None) -> str:
        """The digest as a chat message, times in ``tz``, words in ``lang``."""
        zone = ZoneInfo(tz)
        ahead = nt(lang, "{n} post scheduled", "{n} posts scheduled", len(self.upcoming))
        lines = ["📅 " + t(lang, "The week ahead: {count}", count=ahead)]
        for post in self.upcoming:
            when = moment(post.scheduled_at.astimezone(zone), lang, SHORT)
            where = ", ".join(f"{d.platform}:{d.handle}" for d in post.destinations)
            lines.append(f"• {when} → {where}: {post.content[:60]}")
        gone = nt(lang, "{n} post did not fully go out", "{n} posts did not fully go out",
                  len(self.failed))  # fmt: skip
        lines.append("❌ " + t(lang, "Last week: {count}", count=gone))
        for post in self.failed:
            when = moment(post.scheduled_at.astimezone(zone), lang, SHORT)
            for d in post.destinations:
                if d.status == DestinationStatus.FAILED:
                    why = translate(worded(d.error_message), lang) or t(lang, "failed")
                    lines.append(f"• {when} {d.platform}:{d.handle}: {why}")
        if self.attention:
            lines.append("⚠️ " + t(lang, "Accounts needing attention:"))
        for r in self.attention:
            acc, health = r.account, r.health
            verdict, advice = translate(r.verdict, lang), translate(r.advice, lang)
            line = f"• {acc.platform}:{acc.handle}: {verdict} ({health.reason}). {advice}"
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
        # In the chat's language setting (or its workspace's); English without one.
        key = chat_key(str(chat.origin.get("platform", "")), str(chat.origin.get("team_id", "")),
                       chat.origin)  # fmt: skip
        lang = await rt.workspaces.language(chat.workspace_id, key)
        result = PostResult(
            post_id="", workspace_id=str(chat.workspace_id),
            status=digest.text(chat.timezone, lang),
            text="", origin=chat.origin, callback_url=None, destinations=(),
        )  # fmt: skip
        await rt.notifier.notify(result)
        sent += 1
    return sent


async def digest_task(ctx: dict[str, Any]) -> int:
    """The weekly cron task."""
    return await send_digests(ctx["runtime"])
