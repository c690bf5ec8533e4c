"""Session middleware for the calendar's routes (named ``cal.*``); others pass through.

The CSRF check for every route is ``web.csrf``; it leaves the token in ``CSRF_KEY`` for forms.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

from scheduler.logins import session_for
from scheduler.runtime import Runtime
from scheduler.views import SessionInfo

RUNTIME = web.AppKey("calendar_runtime", Runtime)
SESSION_COOKIE = "outpost_session"
PRE_COOKIE = "outpost_pre"
# Holds a Supabase sign-in's flow token until its callback (the PKCE verifier stays server-side).
FLOW_COOKIE = "outpost_signin"
FLOW_MAX_AGE = 10 * 60
SESSION_KEY: web.RequestKey[SessionInfo | None] = web.RequestKey("cal_session")
CSRF_KEY = web.RequestKey("cal_csrf", str)
PUBLIC = frozenset(
    {
        "cal.login", "cal.login_confirm", "cal.signin", "cal.feed", "cal.static",
        "cal.signin_email", "cal.signin_oauth", "cal.auth_callback",
    }
)  # fmt: skip
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def session_of(request: web.Request) -> SessionInfo:
    """The logged-in session (the middleware has already refused anonymous requests)."""
    session = request[SESSION_KEY]
    if session is None:
        raise web.HTTPUnauthorized(text="Log in with a link from the bot first.")
    return session


def secure_cookies(runtime: Runtime) -> bool:
    return runtime.settings.base_url.startswith("https://")


def set_cookie(
    response: web.StreamResponse,
    runtime: Runtime,
    name: str,
    value: str,
    max_age: int = 14 * 24 * 3600,
) -> None:
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="Lax",
        secure=secure_cookies(runtime),
        path="/",
        max_age=max_age,
    )


def _headers(response: web.StreamResponse, media_origin: str) -> None:
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; "
        f"img-src 'self' data: {media_origin}; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'self'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    # Login and feed URLs carry secrets: never leak them in a Referer header.
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if response.content_type == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")


def make_middleware(runtime: Runtime, unauthorized: Handler) -> Middleware:
    """The middleware; ``unauthorized`` renders the log-in page for anonymous requests."""
    media_origin = runtime.settings.base_url + (
        " https:" if runtime.settings.supabase_enabled else ""
    )

    @web.middleware
    async def calendar_session(request: web.Request, handler: Handler) -> web.StreamResponse:
        name = request.match_info.route.name or ""
        if not name.startswith("cal.") or name == "cal.static":
            return await handler(request)
        cookie = request.cookies.get(SESSION_COOKIE)
        session = await session_for(runtime, cookie) if cookie else None
        request[SESSION_KEY] = session
        response: web.StreamResponse
        if session is None and name not in PUBLIC:
            response = await unauthorized(request)
        else:
            response = await handler(request)
        if not response.prepared:
            _headers(response, media_origin)
        return response

    return calendar_session
