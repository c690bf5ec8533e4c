"""Results in Slack: a thread reply per finished post, and the summary message kept current."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import render
from bot.slack import blocks
from bot.slack.service import SlackBot
from scheduler.notifier import ApprovalNotice, PostResult
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

    async def approval(self, notice: ApprovalNotice) -> None:
        """Ask each approver in a direct message, or tell the author in the request's thread.

        A message to a member's user id lands in their DM with the app (``chat.postMessage``
        accepts a user id as ``channel``), so each approver is asked once, privately, with
        Approve / Edit / Reject; the first to decide wins (``scheduler.approval``).
        """
        post = notice.post
        origin = await self.bot.store.origin(post.id) or dict(post.origin)
        lang = origin.get("lang")
        if notice.kind == "requested":
            ask = render.approval_request(post, post.timezone, lang)
            # Each approver in the Slack team they are known in (a post from the API or the
            # calendar has no team of its own).
            people = {(c[1], c[2]) for m in notice.approvers for c in m.chats if c[0] == "slack"}
            for team_id, user in sorted(people):
                if origin.get("team_id") not in (None, team_id):
                    continue
                token = await self.bot.bot_token(team_id)
                if token is not None:
                    await self._send(self.bot.client(token), user, None, ask.text,
                                     blocks.reply_blocks(ask))  # fmt: skip
            return
        token = await self.bot.bot_token(str(origin.get("team_id", "")))
        if token is None:
            log.warning("no Slack token for an approval notice", extra={"post": str(post.id)})
            return
        client = self.bot.client(token)
        text = render.approval_outcome(
            notice.kind, post, post.timezone, notice.actor, notice.reason, lang
        )
        channel = origin.get("channel")
        if channel:
            await self._send(client, str(channel), origin.get("thread_ts"), text,
                             blocks.blocks_for(text))  # fmt: skip
        await self.bot.refresh_summary(client, post, post.timezone)

    @staticmethod
    async def _send(
        client: AsyncWebClient, channel: str, thread_ts: str | None, text: str,
        body: list[dict[str, Any]],
    ) -> None:  # fmt: skip
        try:
            await client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, text=blocks.fallback(text), blocks=body
            )
        except SlackApiError as exc:
            log.warning("approval message not delivered",
                        extra={"error": exc.response.get("error")})  # fmt: skip
