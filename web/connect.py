"""Account connection pages: ``/connect/{platform}`` and the OAuth callback.

Who may connect: the workspace comes from the signed ``link`` a bot sends (``connect_link`` in
``scheduler.accounts.access``, 15 minutes), used up when the flow starts: a second visit says
so. The flow is bound to the browser that opened the link by a random connect cookie
(``CONNECT_COOKIE``): the OAuth callback and the token forms work only in that browser. Forms
carry a flow token instead of the link, and the app-wide CSRF token (``web.csrf``).
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from core.errors import OutpostError
from scheduler.accounts import tokens
from scheduler.accounts.access import LinkGrant, read_link
from scheduler.accounts.oauth import (
    Choice,
    ConnectError,
    LinkUsed,
    choose,
    finish,
    open_form,
    resume_form,
    start,
    start_mastodon,
)
from scheduler.edge import OAUTH_PLATFORMS
from scheduler.runtime import Runtime
from scheduler.views import AccountView
from web.session import CSRF_KEY

log = logging.getLogger("outpost.connect")
TEMPLATES = Path(__file__).parent / "connect_templates"
FORM_PLATFORMS = frozenset({"mastodon", "bluesky", "discord"})
CONNECT_COOKIE = "outpost_connect"
COOKIE_AGE = 3600  # outlives a link (15 minutes) and the flow it starts (10 more)
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
}


def _field(name: str, label: str, kind: str = "text", placeholder: str = "") -> dict[str, str]:
    return {"name": name, "label": label, "type": kind, "placeholder": placeholder}


FORMS: dict[str, tuple[str, list[dict[str, Any]]]] = {
    "mastodon": (
        "Sign in on your Mastodon server, or paste an access token (Preferences > Development).",
        [
            {"id": "instance", "action": "/connect/mastodon", "button": "Sign in",
             "fields": [_field("instance", "Server", placeholder="mastodon.social")]},
            {"id": "token", "action": "/connect/mastodon/token", "button": "Connect",
             "fields": [_field("instance", "Server", placeholder="mastodon.social"),
                        _field("token", "Access token", "password")]},
        ],
    ),
    "bluesky": (
        "Connect with your handle and an app password (Settings > App passwords).",
        [{"id": "bsky", "action": "/connect/bluesky", "button": "Connect",
          "fields": [_field("handle", "Handle", placeholder="acme.bsky.social"),
                     _field("password", "App password", "password")]}],
    ),
    "discord": (
        "Paste a channel webhook URL (Channel settings > Integrations > Webhooks).",
        [{"id": "discord", "action": "/connect/discord", "button": "Connect",
          "fields": [_field("webhook", "Webhook URL", "url")]}],
    ),
}  # fmt: skip


def setup(app: web.Application, runtime: Runtime) -> None:
    """Add the connect routes."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
    )

    def page(request: web.Request, name: str, status: int = 200, **context: Any) -> web.Response:
        body = env.get_template(name).render(csrf=request.get(CSRF_KEY, ""), **context)
        return web.Response(text=body, status=status, content_type="text/html", headers=_HEADERS)

    def failed(request: web.Request, exc: OutpostError) -> web.Response:
        status = 410 if isinstance(exc, LinkUsed) else 400
        return page(request, "message.html", status, title="Not connected", message=exc.message,
                    hint=exc.hint, failed=True, accounts=[])  # fmt: skip

    def done(request: web.Request, accounts: list[AccountView]) -> web.Response:
        names = ", ".join(f"{a.platform}:{a.handle}" for a in accounts)
        log.info("accounts connected", extra={"accounts": names})
        return page(request, "message.html", title="Connected", message="Outpost can now post as:",
                    hint="", failed=False, accounts=accounts)  # fmt: skip

    def platform_of(request: web.Request) -> str:
        platform = request.match_info["platform"]
        if platform not in OAUTH_PLATFORMS | FORM_PLATFORMS:
            raise web.HTTPNotFound(text=f"Outpost cannot connect {platform!r} accounts.")
        return platform

    def browser_of(request: web.Request) -> str:
        return request.cookies.get(CONNECT_COOKIE, "")

    def bind(response: web.StreamResponse, request: web.Request, nonce: str) -> None:
        if request.cookies.get(CONNECT_COOKIE) != nonce:
            response.set_cookie(
                CONNECT_COOKIE, nonce, max_age=COOKIE_AGE, path="/connect", httponly=True,
                samesite="Lax", secure=runtime.settings.base_url.startswith("https://"),
            )  # fmt: skip

    async def begin(request: web.Request) -> web.StreamResponse:
        platform = platform_of(request)
        link = request.query.get("link", "")
        # Lax, so it comes back with the network's top-level redirect to the callback.
        nonce = browser_of(request) or secrets.token_urlsafe(32)
        response: web.StreamResponse
        try:
            grant = read_link(runtime, link, platform)
            if platform in FORM_PLATFORMS:
                flow = await open_form(runtime, platform, grant, browser=nonce, link=link)
                intro, forms = FORMS[platform]
                response = page(request, "form.html", title=f"Connect {platform.title()}",
                                intro=intro, forms=forms, flow=flow)  # fmt: skip
            else:
                target = await start(runtime, platform, grant, browser=nonce, link=link)
                response = web.Response(status=302, headers={**_HEADERS, "Location": target})
        except OutpostError as exc:
            return failed(request, exc)
        bind(response, request, nonce)
        return response

    async def callback(request: web.Request) -> web.StreamResponse:
        platform = platform_of(request)
        try:
            query, browser = dict(request.query), browser_of(request)
            result = await finish(runtime, platform, query, browser=browser)
        except OutpostError as exc:
            return failed(request, exc)
        if isinstance(result, Choice):
            return page(request, "choose.html", title="Choose Pages", choice=result)
        return done(request, result)

    async def picked(request: web.Request) -> web.StreamResponse:
        form = await request.post()
        try:
            made = await choose(
                runtime, str(form.get("choice", "")), [str(v) for v in form.getall("pick", [])]
            )
        except OutpostError as exc:
            return failed(request, exc)
        return done(request, made)

    async def submitted(request: web.Request) -> web.StreamResponse:
        platform, kind = request.match_info["platform"], request.match_info.get("kind", "")
        form = {k: str(v) for k, v in (await request.post()).items()}
        browser = browser_of(request)
        try:
            grant = await resume_form(runtime, platform, form.get("flow", ""), browser)
            if platform == "mastodon" and not kind:
                target = await start_mastodon(
                    runtime, grant, form.get("instance", ""), browser=browser
                )
                return web.Response(status=302, headers={**_HEADERS, "Location": target})
            made = await _token_connect(runtime, platform, kind, grant, form)
        except OutpostError as exc:
            return failed(request, exc)
        return done(request, [made])

    app.router.add_get("/connect/{platform}", begin)
    app.router.add_get("/connect/{platform}/callback", callback)
    app.router.add_post("/connect/facebook/choose", picked)
    app.router.add_post("/connect/{platform:mastodon|bluesky|discord}", submitted)
    app.router.add_post("/connect/{platform:mastodon}/{kind:token}", submitted)


async def _token_connect(
    runtime: Runtime, platform: str, kind: str, grant: LinkGrant, form: dict[str, str]
) -> AccountView:
    if platform == "mastodon" and kind == "token":
        return await tokens.connect_mastodon_token(
            runtime, grant, form.get("instance", ""), form.get("token", "")
        )
    if platform == "bluesky":
        return await tokens.connect_bluesky(
            runtime, grant, form.get("handle", ""), form.get("password", ""), form.get("pds", "")
        )
    if platform == "discord":
        return await tokens.connect_discord(runtime, grant, form.get("webhook", ""))
    raise ConnectError(f"{platform} is not connected with a form.")
