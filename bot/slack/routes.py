"""``/slack/events`` (commands, buttons, modals, events) and the OAuth install routes.

The body arrives bounded by the edge's limit for ``/slack/`` (``app.web``); its signature is
checked here before Bolt parses or logs a byte of it, so Bolt's own check is off.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from urllib.parse import parse_qs

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.slack.app import build_bolt
from bot.slack.service import SlackBot
from bot.slack.verify import signature_ok
from scheduler.runtime import Runtime

BOLT: web.AppKey[AsyncApp] = web.AppKey("slack_bolt", AsyncApp)
log = logging.getLogger("outpost.slack")


def _ssl_check(request: web.Request, body: bytes) -> bool:
    if request.content_type != "application/x-www-form-urlencoded":
        return False
    return parse_qs(body.decode("utf-8", "replace")).get("ssl_check") == ["1"]


def _shape_ok(parsed: object) -> bool:
    """Whether Bolt's parse of a signed body has the shape Bolt's middleware assumes.

    Bolt reads ``body.get(...)`` and ``body["event"].get(...)`` unguarded; a signed body whose
    JSON (or form ``payload``) is not an object would raise inside Bolt and answer 500.
    """
    if not isinstance(parsed, dict):
        return False
    return "event" not in parsed or isinstance(parsed["event"], dict)


def _refused(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


def setup(app: web.Application, runtime: Runtime) -> None:
    """Mount the Slack routes; the Bolt app is built here, when the server is assembled."""
    bolt = build_bolt(SlackBot(runtime))
    app[BOLT] = bolt
    secret_value = runtime.settings.slack_signing_secret
    secret = secret_value.get_secret_value() if secret_value is not None else ""

    async def events(request: web.Request) -> web.Response:
        body = await request.read()
        stamp = request.headers.get("X-Slack-Request-Timestamp")
        given = request.headers.get("X-Slack-Signature")
        if given is None and _ssl_check(request, body):
            # Slack's certificate check of a slash command URL comes unsigned (Bolt lets it
            # through too); it gets an empty 200 and reaches nothing.
            return web.Response(status=200)
        if not signature_ok(secret, body, stamp, given, runtime.clock.now().timestamp()):
            log.info("slack request refused: bad or missing signature")
            return _refused(401, "invalid_signature", "This request is not signed by Slack.")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return _refused(400, "bad_request", "The body is not UTF-8.")
        headers: dict[str, str | Sequence[str]] = dict(request.headers)
        try:
            bolt_request = AsyncBoltRequest(body=text, query=request.query_string, headers=headers)
        except (ValueError, AttributeError):
            # JSON Bolt cannot decode, or a form ``payload`` that is not an object (Bolt's
            # constructor reads it with ``.get`` unguarded).
            return _refused(400, "bad_request", "The body is not a Slack request.")
        except RecursionError:
            return _refused(400, "bad_request", "The body nests too deeply.")
        if not _shape_ok(bolt_request.body):
            return _refused(400, "bad_request", "The body is not a Slack request.")
        return await to_aiohttp_response(await bolt.async_dispatch(bolt_request))

    app.router.add_post("/slack/events", events)
    flow = bolt.oauth_flow
    if flow is None:
        return

    async def install(request: web.Request) -> web.Response:
        return await to_aiohttp_response(
            await flow.handle_installation(await to_bolt_request(request))
        )

    async def redirect(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

    app.router.add_get(flow.install_path, install)
    app.router.add_get(flow.redirect_uri_path, redirect)
