"""A DM to the bot, or a mention in a channel: the request as text, files attached.

Replies go to the message's thread: the summary, and later the results.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import render
from bot.render import Reply
from bot.slack import blocks, files
from bot.slack.service import SlackBot
from core.errors import RequestProblem

log = logging.getLogger("outpost.slack")
MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
# Message subtypes that are a person writing; edits, joins and bot posts are not requests.
PERSON_SUBTYPES = (None, "file_share")


def register(app: AsyncApp, bot: SlackBot) -> None:
    """Add the event listeners (Events API is acknowledged by Bolt before they run)."""

    async def mention(body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient) -> None:
        await on_message(bot, body, event, client)

    async def message(body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient) -> None:
        # Mentions in channels arrive as app_mention; here direct messages count, and in
        # channels only replies in a thread (which may be a thread being collected).
        if event.get("subtype") not in PERSON_SUBTYPES or event.get("bot_id"):
            return
        if event.get("channel_type") != "im" and (
            not _reply(event) or MENTION.search(str(event.get("text", "")))
        ):
            return  # a mention comes as its own app_mention event
        await on_message(bot, body, event, client)

    app.event("app_mention")(mention)
    app.event("message")(message)


async def on_message(
    bot: SlackBot, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient
) -> None:
    """Schedule from a message; answer in its thread (one at a time per ``bot.work`` slot)."""
    async with bot.work:
        await _on_message(bot, body, event, client)


async def _on_message(
    bot: SlackBot, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient
) -> None:
    if not await bot.claim(f"event:{body.get('event_id') or event.get('client_msg_id')}"):
        return
    channel, user = str(event["channel"]), str(event.get("user", ""))
    thread = str(event.get("thread_ts") or event["ts"])
    team = str(event.get("team") or body.get("team_id") or "")
    text = MENTION.sub("", str(event.get("text", ""))).strip()
    origin = {"channel": channel, "user": user, "thread_ts": thread, "summary": "pending"}
    ctx = await bot.chat_context(client, team, user, origin)
    if _reply(event):
        # A redelivered part is added once (keyed by its ``ts``) and not answered again.
        followed = await bot.talk.follow_thread(ctx, thread, str(event["ts"]), text)
        if followed is not None:
            if followed.post is not None and not followed.private:
                await bot.post_summary(client, followed, channel, thread_ts=thread)
            elif followed.text:
                await answer(client, event, followed, thread)
            return
        if event.get("channel_type") != "im" and event.get("type") != "app_mention":
            return  # a reply in a channel thread that is not ours to read
    shared = list(event.get("files") or [])
    try:
        media = []
        if shared:
            me = await bot.talk.identify(ctx)
            token = await bot.bot_token(team, str(body.get("enterprise_id") or "")) or ""
            media = await files.fetch(bot.rt, me.workspace_id, me.user_id, shared, token)
        reply = await bot.talk.handle(ctx, text, media)
    except RequestProblem as exc:
        reply = render.problem(exc.problems, exc.hint, await bot.talk.reply_language(ctx, text))
    if reply.post is not None and not reply.private:
        await bot.post_summary(client, reply, channel, thread_ts=thread)
        return
    await answer(client, event, reply, thread)


def _reply(event: dict[str, Any]) -> bool:
    """Whether ``event`` is a reply in a thread (not the thread's first message)."""
    return bool(event.get("thread_ts")) and event.get("thread_ts") != event.get("ts")


async def answer(
    client: AsyncWebClient, event: dict[str, Any], reply: Reply, thread: str
) -> None:
    """In a DM, reply in the thread; in a channel, only the asker sees a private reply."""
    channel, user = str(event["channel"]), str(event.get("user", ""))
    text, shown = blocks.fallback(reply.text), blocks.reply_blocks(reply)
    if event.get("channel_type") != "im" and reply.private:
        try:
            await client.chat_postEphemeral(
                channel=channel, user=user, thread_ts=thread, text=text, blocks=shown
            )
        except SlackApiError:
            log.info("ephemeral refused; replying in the thread")
        else:
            return
    await client.chat_postMessage(channel=channel, thread_ts=thread, text=text, blocks=shown)
