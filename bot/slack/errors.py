"""The one error handler: our exceptions become a short ephemeral message saying what to do."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import render
from bot.conversation import ChatContext
from bot.slack.service import SlackBot
from core.errors import OutpostError, RequestProblem
from core.i18n import N_, translate
from core.i18n import gettext as t

log = logging.getLogger("outpost.slack")

SLACK_ADVICE = {
    "not_in_channel": N_("I'm not in this channel: invite me with `/invite @Outpost`."),
    "channel_not_found": N_("I can't see this channel: invite me with `/invite @Outpost`."),
    "is_archived": N_("This channel is archived; ask me somewhere else."),
    "missing_scope": N_("Outpost lacks a Slack permission here; ask an admin to reinstall it."),
    "invalid_auth": N_(
        "Outpost's Slack install is no longer valid; ask an admin to reinstall it."
    ),
    "token_revoked": N_("Outpost's Slack install was revoked; ask an admin to reinstall it."),
    "ratelimited": N_("Slack asked me to slow down; try again in a minute."),
}
FALLBACK = N_("Something went wrong on my side and nothing was changed. Try again in a minute.")


def message_for(error: BaseException, lang: str | None = None) -> str:
    """What the person sees for ``error``, in ``lang``; never internals or secrets."""
    if isinstance(error, RequestProblem):
        return render.problem(error.problems, error.hint, lang).text
    if isinstance(error, OutpostError):
        hint = f" {translate(error.hint, lang)}" if error.hint else ""
        return translate(error.message, lang) + hint
    if isinstance(error, SlackApiError):
        code = str(error.response.get("error", ""))
        if code in SLACK_ADVICE:
            return t(lang, SLACK_ADVICE[code])
        return t(lang, "Slack refused the request ({code}).", code=code) + " " + t(lang, FALLBACK)
    return t(lang, FALLBACK)


async def language(bot: SlackBot, body: dict[str, Any]) -> str:
    """The language of the chat the failed request came from (its setting, else the text's)."""
    event = body.get("event") or {}
    team = body.get("team_id") or event.get("team") or (body.get("team") or {}).get("id") or ""
    channel = (
        event.get("channel") or body.get("channel_id") or (body.get("channel") or {}).get("id")
    )
    where = ChatContext("slack", str(team), "", origin={"channel": channel} if channel else {})
    return await bot.talk.reply_language(where, str(body.get("text") or event.get("text") or ""))


async def on_error(
    bot: SlackBot,
    error: Exception,
    body: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond | None = None,
) -> None:
    """Bolt's error handler for every listener."""
    known = isinstance(error, OutpostError | SlackApiError)
    log.log(
        logging.WARNING if known else logging.ERROR,
        "slack listener failed",
        exc_info=not known,
        extra={"error": type(error).__name__},
    )
    try:
        text = message_for(error, await language(bot, body))
    except Exception as exc:  # the settings could not be read: answer in English
        log.warning("no language for an error report", extra={"error": repr(exc)})
        text = message_for(error)
    try:
        if respond is not None and body.get("response_url"):
            await respond(text=text, response_type="ephemeral", replace_original=False)
            return
        event = body.get("event") or {}
        channel = event.get("channel") or (body.get("channel") or {}).get("id")
        user = event.get("user") or (body.get("user") or {}).get("id")
        if channel and user:
            await client.chat_postEphemeral(channel=channel, user=user, text=text)
    except Exception as exc:  # the report itself failed: the log is all that is left
        log.warning("could not report an error to Slack", extra={"error": repr(exc)})


def register(app: AsyncApp, bot: SlackBot) -> None:
    """Install the handler."""

    async def handler(
        error: Exception,
        body: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond | None = None,
    ) -> None:
        await on_error(bot, error, body, client, respond)

    app.error(handler)
