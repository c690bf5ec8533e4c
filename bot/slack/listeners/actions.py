"""Buttons: Cancel, Edit time (opens a modal), Post now, Retry; Approve / Edit / Reject."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import blocks
from bot.slack.listeners.views import edit_time_modal, reject_modal
from bot.slack.service import SlackBot, presser_team


def register(app: AsyncApp, bot: SlackBot) -> None:
    """Add the button listener."""

    async def pressed(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        action = (body.get("actions") or [{}])[0]
        async with bot.work:
            if await bot.claim(f"action:{body.get('trigger_id')}:{action.get('action_ts')}"):
                await press(bot, body, action, client, respond)

    app.action(re.compile("^" + re.escape(blocks.ACTION_PREFIX)))(pressed)


async def press(
    bot: SlackBot,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
) -> None:
    """Run the button; change the summary message only when the post changed."""
    kind, post_id = blocks.parse_action_id(str(action.get("action_id", "")))
    user = str((body.get("user") or {}).get("id", ""))
    channel = str((body.get("channel") or body.get("container") or {}).get("id", ""))
    ctx = await bot.chat_context(client, presser_team(body), user, {"channel": channel})
    reply = await bot.talk.press(ctx, kind, post_id)
    if kind == "reject" and reply.post is not None:
        modal = reject_modal(post_id, channel, reply.post.origin.get("lang"))
        await client.views_open(trigger_id=body["trigger_id"], view=modal)
        return
    if kind in ("approve", "reject", "edit") and not reply.private:
        # The approval request (in the approver's DM) now says what was decided.
        await respond(text=reply.text, replace_original=True)
        if reply.post is not None:
            await bot.refresh_summary(client, reply.post, await bot.tz_of(ctx))
        return
    if reply.post is None or reply.private:
        await respond(text=reply.text, response_type="ephemeral", replace_original=False)
        return
    if kind == "edit_time":
        modal = edit_time_modal(post_id, channel, reply.post.origin.get("lang"))
        await client.views_open(trigger_id=body["trigger_id"], view=modal)
        return
    tz = await bot.tz_of(ctx)
    await bot.refresh_summary(client, reply.post, tz, actor=user)
    if (body.get("container") or {}).get("is_ephemeral"):
        await respond(text=reply.text, response_type="ephemeral", replace_original=False)
