"""Account connection pages: ``/connect/{platform}`` and the OAuth callback.

Who may connect: until the calendar's session cookie covers these pages, the workspace comes
from the signed ``link`` a bot sends (``scheduler.accounts.connect_link``, 15 minutes). Each
form carries the link back, so a POST without a valid link does nothing. With sessions, the
handlers would take ``LinkGrant(session.workspace_id, session.user_id)`` from the session
instead of ``read_link`` and add its CSRF token to the forms.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from core.errors import OutpostError
from publishers.oauth import OAUTH_PLATFORMS
from scheduler import accounts_tokens as tokens
from scheduler.accounts import LinkGrant, read_link
from scheduler.accounts_connect import Choice, ConnectError, choose, finish, start, start_mastodon
from scheduler.runtime import Runtime
from storage.views import AccountView

log = logging.getLogger("outpost.connect")
TEMPLATES = Path(__file__).parent / "connect_templates"
FORM_PLATFORMS = frozenset({"mastodon", "bluesky", "discord"})
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

    def page(name: str, status: int = 200, **context: Any) -> web.Response:
        body = env.get_template(name).render(**context)
        return web.Response(text=body, status=status, content_type="text/html", headers=_HEADERS)

    def failed(exc: OutpostError) -> web.Response:
        return page("message.html", 400, title="Not connected", message=exc.message,
                    hint=exc.hint, failed=True, accounts=[])  # fmt: skip

    def done(accounts: list[AccountView]) -> web.Response:
        names = ", ".join(f"{a.platform}:{a.handle}" for a in accounts)
        log.info("accounts connected", extra={"accounts": names})
        return page("message.html", title="Connected", message="Outpost can now post as:",
                    hint="", failed=False, accounts=accounts)  # fmt: skip

    def platform_of(request: web.Request) -> str:
        platform = request.match_info["platform"]
        if platform not in OAUTH_PLATFORMS | FORM_PLATFORMS:
            raise web.HTTPNotFound(text=f"Outpost cannot connect {platform!r} accounts.")
        return platform

    async def begin(request: web.Request) -> web.StreamResponse:
        platform = platform_of(request)
        link = request.query.get("link", "")
        try:
            grant = read_link(runtime, link, platform)
            if platform in FORM_PLATFORMS:
                intro, forms = FORMS[platform]
                return page("form.html", title=f"Connect {platform.title()}", intro=intro,
                            forms=forms, link=link)  # fmt: skip
            target = await start(runtime, platform, grant)
        except OutpostError as exc:
            return failed(exc)
        raise web.HTTPFound(target, headers=_HEADERS)

    async def callback(request: web.Request) -> web.StreamResponse:
        platform = platform_of(request)
        try:
            result = await finish(runtime, platform, dict(request.query))
        except OutpostError as exc:
            return failed(exc)
        if isinstance(result, Choice):
            return page("choose.html", title="Choose Pages", choice=result)
        return done(result)

    async def picked(request: web.Request) -> web.StreamResponse:
        form = await request.post()
        try:
            made = await choose(
                runtime, str(form.get("choice", "")), [str(v) for v in form.getall("pick", [])]
            )
        except OutpostError as exc:
            return failed(exc)
        return done(made)

    async def submitted(request: web.Request) -> web.StreamResponse:
        platform, kind = request.match_info["platform"], request.match_info.get("kind", "")
        form = {k: str(v) for k, v in (await request.post()).items()}
        try:
            grant: LinkGrant = read_link(runtime, form.get("link", ""), platform)
            if platform == "mastodon" and not kind:
                raise web.HTTPFound(await start_mastodon(runtime, grant, form.get("instance", "")))
            made = await _token_connect(runtime, platform, kind, grant, form)
        except OutpostError as exc:
            return failed(exc)
        return done([made])

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
