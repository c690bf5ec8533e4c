"""The one error handler: our exceptions become a short ephemeral message saying what to do."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import render
from core.errors import OutpostError, RequestProblem

log = logging.getLogger("outpost.slack")

SLACK_ADVICE = {
    "not_in_channel": "I'm not in this channel: invite me with `/invite @Outpost`.",
    "channel_not_found": "I can't see this channel: invite me with `/invite @Outpost`.",
    "is_archived": "This channel is archived; ask me somewhere else.",
    "missing_scope": "Outpost lacks a Slack permission here; ask an admin to reinstall it.",
    "invalid_auth": "Outpost's Slack install is no longer valid; ask an admin to reinstall it.",
    "token_revoked": "Outpost's Slack install was revoked; ask an admin to reinstall it.",
    "ratelimited": "Slack asked me to slow down; try again in a minute.",
}
FALLBACK = "Something went wrong on my side and nothing was changed. Try again in a minute."


def message_for(error: BaseException) -> str:
    """What the person sees for ``error``; never internals or secrets."""
    if isinstance(error, RequestProblem):
        return render.problem(error.problems, error.hint).text
    if isinstance(error, OutpostError):
        return str(error)
    if isinstance(error, SlackApiError):
        code = str(error.response.get("error", ""))
        return SLACK_ADVICE.get(code, f"Slack refused the request ({code}). {FALLBACK}")
    return FALLBACK


async def on_error(
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


def register(app: AsyncApp) -> None:
    """Install the handler."""
    app.error(on_error)
