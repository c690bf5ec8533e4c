"""Logging in by one-time link (GET shows a confirm page, POST uses the link), signing in with
Supabase Auth (e-mail link or OAuth provider, PKCE) when Supabase is configured, the workspace
picker, and logging out."""

from __future__ import annotations

import logging
from urllib.parse import quote

from aiohttp import web

from core.errors import NotFound, OutpostError
from scheduler.logins import log_in, log_out, peek_login, safe_next
from scheduler.signin import (
    NotAllowed,
    SignInError,
    SignInUnavailable,
    finish,
    sign_in_options,
    start_email,
    start_oauth,
)
from web.pages import error_page, redirect, render
from web.session import (
    FLOW_COOKIE,
    FLOW_MAX_AGE,
    PRE_COOKIE,
    RUNTIME,
    SESSION_COOKIE,
    SESSION_KEY,
    session_of,
    set_cookie,
)

log = logging.getLogger("outpost.web.auth")
GONE_HINT = "Ask the bot for a new one: type `calendar` in Slack or Telegram."


def _gone(request: web.Request) -> web.Response:
    return error_page(
        request,
        410,
        "This login link cannot be used",
        "It has expired or was already used.",
        GONE_HINT,
    )


async def confirm_page(request: web.Request) -> web.Response:
    """``GET /login/{token}``: say what the link grants; link scanners stop here."""
    grant = await peek_login(request.app[RUNTIME], request.match_info["token"])
    if grant is None:
        return _gone(request)
    return render(request, "login.html", grant=grant, token=request.match_info["token"])


async def confirm(request: web.Request) -> web.Response:
    """``POST /login/{token}``: use the link up, set the session cookie, go where it points."""
    runtime = request.app[RUNTIME]
    done = await log_in(runtime, request.match_info["token"], request.get(SESSION_KEY))
    if done is None:
        return _gone(request)
    target = safe_next(done.grant.next_path)
    if target == "/":
        target = f"/?ws={done.grant.workspace_id}"
    response = redirect(target)
    if done.new_token is not None:
        set_cookie(response, runtime, SESSION_COOKIE, done.new_token)
        response.del_cookie(PRE_COOKIE, path="/")
    return response


async def signin(request: web.Request) -> web.Response:
    """``GET /login``: how to get a link, and Supabase sign-in when it is configured."""
    runtime = request.app[RUNTIME]
    try:
        options = await sign_in_options(runtime)
    except SignInError as exc:
        log.warning("supabase auth settings unavailable", extra={"error": exc.message})
        options = None
    # Shown in place of any page that needs a session: signing in comes back to that page.
    asked = request.match_info.route.name != "cal.signin"
    back = request.path_qs if asked and request.method == "GET" else request.query.get("next")
    return render(
        request, "signin.html", status=401 if asked else 200, options=options,
        next_path=safe_next(back),
    )  # fmt: skip


def _flow_cookie(response: web.StreamResponse, request: web.Request, token: str) -> None:
    set_cookie(response, request.app[RUNTIME], FLOW_COOKIE, token, max_age=FLOW_MAX_AGE)


def _refused(request: web.Request, exc: OutpostError, status: int = 400) -> web.Response:
    for kind, code in ((NotAllowed, 403), (NotFound, 404), (SignInUnavailable, 503)):
        if isinstance(exc, kind):
            status = code
    return error_page(request, status, "Not signed in", exc.message, exc.hint)


async def email_link(request: web.Request) -> web.Response:
    """``POST /login/email``: Supabase mails a magic link that finishes in this browser."""
    form = await request.post()
    email = str(form.get("email", ""))
    try:
        started = await start_email(request.app[RUNTIME], email, str(form.get("next", "/")))
    except OutpostError as exc:
        return _refused(request, exc)
    response = render(request, "check_email.html", email=email.strip())
    _flow_cookie(response, request, started.flow_token)
    return response


async def oauth(request: web.Request) -> web.Response:
    """``GET /login/oauth/{provider}``: off to the provider (a link, not a form: the page's
    CSP ``form-action 'self'`` would stop a form's redirect to another site)."""
    provider = request.match_info["provider"]
    try:
        started = await start_oauth(request.app[RUNTIME], provider, request.query.get("next", "/"))
    except OutpostError as exc:
        return _refused(request, exc)
    assert started.redirect is not None
    response = redirect(started.redirect)
    _flow_cookie(response, request, started.flow_token)
    return response


async def callback(request: web.Request) -> web.Response:
    """``GET /auth/callback?code=…``: Supabase sends the browser back here after sign-in."""
    runtime = request.app[RUNTIME]
    if "error" in request.query:
        # Supabase redirects with error/error_description when the provider refused.
        return error_page(
            request, 401, "Not signed in",
            request.query.get("error_description", "The sign-in was cancelled.")[:200],
            "Sign in again from the log-in page.",
        )  # fmt: skip
    try:
        flow = request.cookies.get(FLOW_COOKIE)
        done = await finish(runtime, flow, request.query.get("code", ""))
    except OutpostError as exc:
        response = _refused(request, exc, 401)
        response.del_cookie(FLOW_COOKIE, path="/")
        return response
    spaces = done.signed_in.workspace_ids
    if len(spaces) > 1:
        target = f"/workspaces?next={quote(done.next_path, safe='')}"
    elif done.next_path == "/":
        target = f"/?ws={spaces[0]}"
    else:
        target = done.next_path
    response = redirect(target)
    set_cookie(response, runtime, SESSION_COOKIE, done.session_token)
    response.del_cookie(FLOW_COOKIE, path="/")
    response.del_cookie(PRE_COOKIE, path="/")
    return response


async def workspaces(request: web.Request) -> web.Response:
    """``GET /workspaces``: the picker for someone who belongs to several."""
    session = session_of(request)
    return render(
        request, "workspaces.html", spaces=session.workspaces,
        next_path=safe_next(request.query.get("next")),
    )  # fmt: skip


async def logout(request: web.Request) -> web.Response:
    """``POST /logout``: end the session server-side and drop the cookie."""
    await log_out(request.app[RUNTIME], session_of(request))
    response = redirect("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response
