"""The Edit time and Reject modals: opened by their buttons, submitted with a new time phrase
or the reason a post is rejected."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import blocks
from bot.slack.service import SlackBot, presser_team
from core.i18n import gettext as t

CALLBACK = "outpost_edit_time"
BLOCK, INPUT = "when", "phrase"
REJECT = "outpost_reject"
REASON = "reason"


def _modal(
    callback: str, title: str, submit: str, post_id: str, channel: str, block_id: str,
    label: str, element: dict[str, Any], lang: str | None,
) -> dict[str, Any]:  # fmt: skip
    """A modal with one input about one post; the post and channel ride in private_metadata."""
    return {
        "type": "modal",
        "callback_id": callback,
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": submit},
        # Closes the dialog only: not the post's Cancel, which some languages word otherwise.
        "close": {"type": "plain_text", "text": t(lang, "Close")},
        "private_metadata": json.dumps({"post_id": post_id, "channel": channel}),
        "blocks": [
            {
                "type": "input",
                "block_id": block_id,
                "label": {"type": "plain_text", "text": label},
                "element": element,
            }
        ],
    }


def reject_modal(post_id: str, channel: str, lang: str | None = None) -> dict[str, Any]:
    """A modal asking why a post is rejected; its author is told the answer."""
    element = {"type": "plain_text_input", "action_id": REASON, "multiline": True,
               "max_length": 1000}  # fmt: skip
    return _modal(REJECT, t(lang, "Reject"), t(lang, "Reject"), post_id, channel, REASON,
                  t(lang, "Why (the author is told)"), element, lang)  # fmt: skip


def edit_time_modal(post_id: str, channel: str, lang: str | None = None) -> dict[str, Any]:
    """A modal asking for the new time."""
    element = {
        "type": "plain_text_input",
        "action_id": INPUT,
        "placeholder": {"type": "plain_text", "text": t(lang, "tomorrow 10am")},
    }
    return _modal(CALLBACK, t(lang, "Edit time"), t(lang, "Move"), post_id, channel, BLOCK,
                  t(lang, "New time"), element, lang)  # fmt: skip


def register(app: AsyncApp, bot: SlackBot) -> None:
    """Add the modal submission listener."""

    async def submitted(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        view = body.get("view") or {}
        async with bot.work:
            if await bot.claim(f"view:{view.get('id')}:{view.get('hash')}"):
                await move(bot, body, view, client)

    async def rejected(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        view = body.get("view") or {}
        async with bot.work:
            if await bot.claim(f"view:{view.get('id')}:{view.get('hash')}"):
                await reject(bot, body, view, client)

    app.view(CALLBACK)(submitted)
    app.view(REJECT)(rejected)


async def reject(
    bot: SlackBot, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
) -> None:
    """``reject ID reason`` from the modal; the answer goes to the approver alone."""
    meta = json.loads(view.get("private_metadata") or "{}")
    values = (view.get("state") or {}).get("values") or {}
    reason = str(((values.get(REASON) or {}).get(REASON) or {}).get("value") or "")
    user = str((body.get("user") or {}).get("id", ""))
    channel = str(meta.get("channel", ""))
    ctx = await bot.chat_context(client, presser_team(body), user, {"channel": channel})
    reply = await bot.talk.handle(ctx, f"reject {meta.get('post_id', '')} {reason}")
    if reply.post is not None:
        await bot.refresh_summary(client, reply.post, await bot.tz_of(ctx))
    await _tell(client, channel, user, reply.text, blocks.reply_blocks(reply))


async def _tell(
    client: AsyncWebClient, channel: str, user: str, text: str, body: list[dict[str, Any]]
) -> None:
    """An answer to the person alone: ephemeral in the channel, else in their DM."""
    try:
        await client.chat_postEphemeral(
            channel=channel or user, user=user, text=blocks.fallback(text), blocks=body
        )
    except SlackApiError:
        await client.chat_postMessage(channel=user, text=blocks.fallback(text))


async def move(
    bot: SlackBot, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
) -> None:
    """Reschedule; the summary shows the new time, a problem goes to the person alone."""
    meta = json.loads(view.get("private_metadata") or "{}")
    values = (view.get("state") or {}).get("values") or {}
    phrase = str(((values.get(BLOCK) or {}).get(INPUT) or {}).get("value") or "")
    user = str((body.get("user") or {}).get("id", ""))
    channel = str(meta.get("channel", ""))
    ctx = await bot.chat_context(client, presser_team(body), user, {"channel": channel})
    reply = await bot.talk.edit_time(ctx, str(meta.get("post_id", "")), phrase)
    if reply.post is not None and not reply.private:
        await bot.refresh_summary(client, reply.post, await bot.tz_of(ctx), actor="")
        return
    if not channel:
        return
    try:
        await client.chat_postEphemeral(
            channel=channel, user=user, text=blocks.fallback(reply.text),
            blocks=blocks.reply_blocks(reply),
        )
    except SlackApiError:
        await client.chat_postMessage(channel=user, text=blocks.fallback(reply.text))
