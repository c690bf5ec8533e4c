"""``/schedule <request>`` and its sub-commands; any other slash command gets help."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import render
from bot.commands import parse_command
from bot.render import Reply
from bot.slack import blocks
from bot.slack.errors import language
from bot.slack.service import SlackBot
from core.i18n import gettext as t
from scheduler.accounts.usecases import connect_account
from scheduler.members import team_workspace

COMMAND = "/schedule"


def register(app: AsyncApp, bot: SlackBot) -> None:
    """Add the slash-command listeners."""

    async def schedule(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        async with bot.work:
            key = f"command:{body.get('trigger_id') or body.get('response_url')}"
            if not await bot.claim(key):
                return
            reply, kind = await decide(bot, body, client)
        # Outside the slot: answering is mostly waiting on Slack, and a slot held meanwhile
        # would hold back the next commands' scheduling.
        await answer(bot, body, client, respond, reply, kind)

    async def other(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        reply = render.help_reply(str(body.get("command", "")), await language(bot, body))
        await respond(text=reply.text, blocks=blocks.reply_blocks(reply), response_type="ephemeral")

    app.command(COMMAND)(schedule)
    app.command(re.compile(r"^/(?!schedule$).+"))(other)


async def decide(
    bot: SlackBot, body: dict[str, Any], client: AsyncWebClient
) -> tuple[Reply, str]:
    """Carry out one ``/schedule``; the reply and the kind of command it was."""
    text, channel = str(body.get("text", "")), str(body["channel_id"])
    team, user = str(body["team_id"]), str(body["user_id"])
    origin = {"channel": channel, "user": user, "summary": "pending"}
    ctx = await bot.chat_context(client, team, user, origin, body.get("user_name"))
    command = parse_command(text)
    if command.kind == "connect" and command.arg.strip().lower() == "slack":
        name = str(body.get("channel_name", ""))
        lang = await bot.talk.reply_language(ctx, text)
        return await connect_channel(bot, team, channel, name, lang), "connect"
    return await bot.talk.handle(ctx, text), command.kind


async def answer(
    bot: SlackBot,
    body: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
    reply: Reply,
    kind: str,
) -> None:
    """A visible summary for a new post, else an ephemeral reply."""
    channel = str(body["channel_id"])
    if reply.post is not None and not reply.private and kind == "schedule":
        if await bot.post_summary(client, reply, channel) is not None:
            return
        lang = reply.post.origin.get("lang")  # the language the summary was written in
        reply = Reply(
            reply.text + "\n" + t(lang, "I can't post in this channel, so results will not show "
                                        "up here: invite me with `/invite @Outpost`, or DM me."),
            reply.buttons, private=True, post=reply.post,
        )  # fmt: skip
    await respond(
        text=blocks.fallback(reply.text), blocks=blocks.reply_blocks(reply),
        response_type="ephemeral", replace_original=False,
    )


async def connect_channel(
    bot: SlackBot, team: str, channel: str, name: str, lang: str | None = None
) -> Reply:
    """Make this channel a destination (``to slack: …``) posted with the app's bot token."""
    token = await bot.bot_token(team)
    if token is None:
        return Reply(t(lang, "This workspace has not installed Outpost; install it first."),
                     private=True)  # fmt: skip
    rt = bot.rt
    ws = await team_workspace(rt, f"slack:{team}")
    handle = f"#{name}" if name and not name.startswith("#") else (name or channel)
    await connect_account(
        rt, ws.id, "slack", handle, token, base_url=bot.api_url,
        settings={"channel": channel, "team_id": team},
    )
    return Reply(
        t(lang, "{channel} is connected: schedule to it with `to slack: …`. Keep me in the "
                "channel so I can post.", channel=handle),
        private=True,
    )  # fmt: skip
