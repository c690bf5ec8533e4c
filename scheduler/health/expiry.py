"""Tokens that expire: renewed ahead of time where the network allows, warned about where not.

Renewal: the daily check runs ``ensure_fresh`` for every account (``checks.check_account``),
so a Threads long-lived token is renewed in its last week even when nothing is posted with
it. Facebook Page tokens got from a long-lived user token do not expire (``expires_at`` is
empty) and need nothing. Where a token expires and Outpost holds nothing to renew it with, the
workspace is warned 7 days and 1 day before, with a connect link, once for each threshold and
each expiry (a Redis key remembers the warning).

Where a workspace hears it: the chat thread of its latest post made from a chat. Workspaces
have no chat of record; the last place people scheduled from is where they will read it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from scheduler.accounts.access import connect_link, oauth_providers
from scheduler.health.notices import chat_origin, tell
from scheduler.runtime import Runtime
from storage.accounts import TokenRow
from storage.views import AccountView, PostView

log = logging.getLogger("outpost.health")
THRESHOLDS = ((timedelta(days=1), "1 day"), (timedelta(days=7), "7 days"))
LOOKBACK = timedelta(days=60)


def renewable(rt: Runtime, row: TokenRow) -> bool:
    """Whether Outpost can renew this token without the person."""
    provider = oauth_providers(rt).get(row.platform)
    if provider is None or provider.refresh == "none":
        return False
    return bool(row.access_token_enc if provider.refresh == "threads" else row.refresh_token_enc)


async def workspace_post(rt: Runtime, account: AccountView) -> PostView | None:
    """The workspace's latest post made from a chat, to reply under."""
    now = rt.clock.now()
    posts = await rt.posts.search(account.workspace_id, start=now - LOOKBACK, limit=500)
    chat = [p for p in posts if chat_origin(p.origin) is not None]
    return max(chat, key=lambda p: p.created_at) if chat else None


async def warn_expiry(rt: Runtime, account: AccountView) -> str | None:
    """Warn once per threshold before a token Outpost cannot renew expires; the label sent."""
    row = await rt.accounts.tokens(account.id)
    if row is None or row.expires_at is None or row.status != "active" or renewable(rt, row):
        return None
    left = row.expires_at - rt.clock.now()
    due = [label for limit, label in THRESHOLDS if left <= limit]
    if not due or left <= timedelta(0):
        return None  # far off, or already expired: the check reports that as reconnect
    label = due[0]
    key = (
        f"{rt.settings.queue_name}:expiry-warned:{account.id}:{row.expires_at.isoformat()}:{label}"
    )
    if not await rt.redis.set(key, "1", nx=True, px=int(timedelta(days=8).total_seconds() * 1000)):
        return None
    post = await workspace_post(rt, account)
    link = connect_link(rt, account.workspace_id, None, account.platform)
    when = row.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    what = (
        f"its access ends in less than {label} ({when}), and {account.platform} does not let "
        f"Outpost renew it. Reconnect it before then: {link}"
    )
    if post is None:
        log.warning("token expires soon; no chat to tell", extra={"account": str(account.id)})
        return label
    await tell(rt, post, "⏳ An account needs reconnecting soon",
               [(account.platform, account.handle, what)])  # fmt: skip
    return label
