"""What every Slack listener shares: the runtime, the conversation, tokens, clients, contexts."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import replace
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.conversation import ChatContext, Conversation
from bot.render import Reply
from bot.slack import blocks
from bot.slack.installations import PgInstallationStore
from scheduler.edge import SlackStore
from scheduler.runtime import Runtime
from scheduler.slack_installs import SlackInstalls
from scheduler.views import PostView

log = logging.getLogger("outpost.slack")
PLATFORM = "slack"
# Work after an ack runs at most this many at a time, so a burst of requests cannot delay
# the acks of the next ones (each needs a few turns of the event loop).
CONCURRENT_WORK = 8


class OutpostWebClient(AsyncWebClient):
    """slack_sdk's client, sending OAuth credentials in the form Slack also accepts."""

    async def oauth_v2_access(
        self,
        *,
        client_id: str,
        client_secret: str,
        code: str | None = None,
        redirect_uri: str | None = None,
        grant_type: str | None = None,
        refresh_token: str | None = None,
        **kwargs: Any,
    ) -> AsyncSlackResponse:
        """``oauth.v2.access`` without aiohttp's deprecated ``BasicAuth`` (slack_sdk's path)."""
        form = {
            "client_id": client_id, "client_secret": client_secret, "code": code,
            "redirect_uri": redirect_uri, "grant_type": grant_type,
            "refresh_token": refresh_token, **kwargs,
        }
        return await self.api_call(
            "oauth.v2.access", data={k: v for k, v in form.items() if v is not None}
        )


def presser_team(body: dict[str, Any]) -> str:
    """The acting user's own workspace: a Slack Connect guest acts for their team, not ours."""
    user = body.get("user") or {}
    return str(user.get("team_id") or (body.get("team") or {}).get("id") or "")


class SlackBot:
    """Slack plumbing around ``Conversation``; one per process, built from the runtime."""

    def __init__(self, runtime: Runtime) -> None:
        settings = runtime.settings
        self.rt = runtime
        self.api_url = settings.slack_api_url.rstrip("/") + "/"
        self.store = SlackStore(runtime.posts.sessions)
        self.talk = Conversation(runtime)
        self.client_id = settings.slack_client_id or ""
        self.installations = (
            PgInstallationStore(SlackInstalls(runtime, self.store, self.client_id))
            if self.client_id
            else None
        )
        token = settings.slack_bot_token
        self.single_token = token.get_secret_value() if token and not self.client_id else None
        self.work = asyncio.Semaphore(CONCURRENT_WORK)

    def client(self, token: str | None = None) -> AsyncWebClient:
        """A Web API client on the process's HTTP session, pointed at ``SLACK_API_URL``."""
        return OutpostWebClient(
            token=token, base_url=self.api_url, session=self.rt.operator_http, timeout=10
        )

    async def bot_token(self, team_id: str, enterprise_id: str = "") -> str | None:
        """The bot token for a team: the configured one, or its installation's."""
        if self.single_token is not None:
            return self.single_token
        if self.installations is None:
            return None
        bot = await self.installations.async_find_bot(
            enterprise_id=enterprise_id or None, team_id=team_id
        )
        return None if bot is None else bot.bot_token

    async def claim(self, key: str) -> bool:
        """First delivery of ``key``: go ahead. A retry or replay of it: do nothing."""
        return await self.store.claim_delivery(key, self.rt.clock.now())

    async def chat_context(
        self,
        client: AsyncWebClient,
        team_id: str,
        user_id: str,
        origin: dict[str, Any],
        user_name: str | None = None,
    ) -> ChatContext:
        """Who is asking; on first contact their name and time zone come from users.info."""
        ctx = ChatContext(
            platform=PLATFORM, team_id=team_id, user_id=user_id, user_name=user_name,
            origin=origin,
        )
        member = await self.talk.member(ctx)
        if member is not None:
            return replace(ctx, member=member)  # ``identify`` will not ask again
        try:
            info = await client.users_info(user=user_id)
        except SlackApiError as exc:
            log.warning("users.info failed", extra={"error": exc.response.get("error")})
            return ctx
        user = info.get("user") or {}
        name = user.get("real_name") or user.get("name") or user_name
        return replace(ctx, user_tz=user.get("tz"), user_name=name)

    async def post_summary(
        self, client: AsyncWebClient, reply: Reply, channel: str, thread_ts: str | None = None
    ) -> str | None:
        """Post the visible summary of a new post and remember its ts on the post."""
        post = reply.post
        assert post is not None
        try:
            sent = await client.chat_postMessage(
                channel=channel, text=blocks.fallback(reply.text),
                blocks=blocks.reply_blocks(reply), thread_ts=thread_ts,
            )
        except SlackApiError as exc:
            await self.store.merge_origin(post.id, {"summary": "none"})
            log.warning("summary not posted", extra={"error": exc.response.get("error")})
            return None
        ts = str(sent["ts"])
        await self.store.merge_origin(
            post.id, {"summary": "posted", "summary_ts": ts, "thread_ts": thread_ts or ts}
        )
        return ts

    async def refresh_summary(
        self, client: AsyncWebClient, post: PostView, tz: str, actor: str = ""
    ) -> None:
        """Edit the summary message so it shows the post's current state."""
        origin = await self.store.origin(post.id) or {}
        channel, ts = origin.get("channel"), origin.get("summary_ts")
        if not channel or not ts:
            return
        text = blocks.post_summary(post, tz, actor)
        try:
            await client.chat_update(
                channel=channel, ts=ts, text=blocks.fallback(text),
                blocks=blocks.summary_blocks(post, tz, actor),
            )
        except SlackApiError as exc:
            log.warning("summary not updated", extra={"error": exc.response.get("error")})

    async def tz_of(self, ctx: ChatContext) -> str:
        """The zone a person's times are shown in."""
        return (await self.talk.identify(ctx)).tz

    async def post_view(self, post_id: uuid.UUID) -> PostView:
        """A post as it is now."""
        return await self.rt.posts.get(post_id)
