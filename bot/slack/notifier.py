"""Results in Slack: a thread reply per finished post, and the summary message kept current."""

from __future__ import annotations

import logging
import uuid

from slack_sdk.errors import SlackApiError

from bot import render
from bot.slack import blocks
from bot.slack.service import SlackBot
from scheduler.notifier import PostResult
from scheduler.runtime import Runtime

log = logging.getLogger("outpost.slack")
# Errors no retry can fix: the report is dropped (and logged) rather than retried for hours.
HOPELESS = frozenset(
    {"channel_not_found", "not_in_channel", "is_archived", "invalid_auth", "token_revoked",
     "account_inactive", "missing_scope", "team_access_not_granted"}
)


class SummaryPending(Exception):
    """The summary message is still being posted; the notify job retries shortly."""


class SlackNotifier:
    """Implements ``scheduler.notifier.Notifier`` for posts that came from Slack."""

    def __init__(self, runtime: Runtime, bot: SlackBot | None = None) -> None:
        self.bot = bot or SlackBot(runtime)

    async def notify(self, result: PostResult) -> None:
        """Reply in the request's thread, then show the outcome on the summary message."""
        origin = dict(result.origin)
        if origin.get("summary") == "pending":
            # A post due "now" can finish before the summary's ts is stored: wait for it.
            origin = await self.bot.store.origin(uuid.UUID(result.post_id)) or origin
            if origin.get("summary") == "pending":
                raise SummaryPending(result.post_id)
        channel = origin.get("channel")
        token = await self.bot.bot_token(str(origin.get("team_id", "")))
        if not channel or token is None:
            log.warning("no Slack channel or token for a result", extra={"post": result.post_id})
            return
        client = self.bot.client(token)
        text = render.result(result)
        try:
            await client.chat_postMessage(
                channel=channel, thread_ts=origin.get("thread_ts"), text=blocks.fallback(text),
                blocks=blocks.blocks_for(text, blocks.result_buttons(result)),
            )
        except SlackApiError as exc:
            code = str(exc.response.get("error", ""))
            if code in HOPELESS:
                log.warning("result not delivered", extra={"error": code})
                return
            raise
        summary_ts = origin.get("summary_ts")
        if not summary_ts:
            return
        summary = blocks.result_summary(result)
        try:
            await client.chat_update(
                channel=channel, ts=summary_ts, text=blocks.fallback(summary),
                blocks=blocks.blocks_for(summary),
            )
        except SlackApiError as exc:
            log.warning("summary not updated", extra={"error": exc.response.get("error")})
