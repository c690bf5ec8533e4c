"""``/slack/events`` (commands, buttons, modals, events) and the OAuth install routes."""

from __future__ import annotations

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from bot.slack.app import build_bolt
from bot.slack.service import SlackBot
from scheduler.runtime import Runtime

BOLT: web.AppKey[AsyncApp] = web.AppKey("slack_bolt", AsyncApp)


def setup(app: web.Application, runtime: Runtime) -> None:
    """Mount the Slack routes; the Bolt app is built here, when the server is assembled."""
    bolt = build_bolt(SlackBot(runtime))
    app[BOLT] = bolt

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

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
