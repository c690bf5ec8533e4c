"""Logging in by one-time link (GET shows a confirm page, POST uses the link), Supabase Auth
sessions when Supabase is configured, and logging out."""

from __future__ import annotations

import logging

import aiohttp
from aiohttp import web

from scheduler.logins import (
    calendar_store,
    log_in,
    log_out,
    open_session_for,
    peek_login,
    safe_next,
)
from web.pages import error_page, redirect, render
from web.session import PRE_COOKIE, RUNTIME, SESSION_COOKIE, SESSION_KEY, session_of, set_cookie

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
    """``GET /login``: how to get a link (and the Supabase form when configured)."""
    return render(request, "signin.html")


async def supabase_login(request: web.Request) -> web.Response:
    """``POST /login/supabase``: accept a Supabase Auth access token for a known e-mail."""
    runtime = request.app[RUNTIME]
    settings = runtime.settings
    if not settings.supabase_enabled or settings.supabase_service_role_key is None:
        return error_page(request, 404, "Not available", "Supabase Auth is not configured.")
    form = await request.post()
    token = str(form.get("access_token", "")).strip()
    refused = error_page(
        request, 401, "Not logged in", "Supabase did not accept that session.", GONE_HINT
    )
    if not token:
        return refused
    key = settings.supabase_service_role_key.get_secret_value()
    url = f"{(settings.supabase_url or '').rstrip('/')}/auth/v1/user"
    try:
        async with runtime.operator_http.get(
            url,
            headers={"apikey": key, "Authorization": f"Bearer {token}"},
            timeout=aiohttp.ClientTimeout(total=10),
        ) as answer:
            if answer.status != 200:
                return refused
            body = await answer.json()
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        log.warning("supabase auth unreachable", extra={"error": type(exc).__name__})
        return error_page(request, 503, "Try again", "Supabase Auth did not answer.")
    email = str(body.get("email") or "") if isinstance(body, dict) else ""
    found = await calendar_store(runtime).memberships(email) if email else []
    if not found:
        return error_page(
            request,
            403,
            "No workspace for this account",
            "No Outpost member has this e-mail address.",
            GONE_HINT,
        )
    user_id, workspaces = found[0]
    session_token = await open_session_for(runtime, user_id, workspaces, via="supabase")
    response = redirect(f"/?ws={workspaces[0]}")
    set_cookie(response, runtime, SESSION_COOKIE, session_token)
    return response


async def logout(request: web.Request) -> web.Response:
    """``POST /logout``: end the session server-side and drop the cookie."""
    await log_out(request.app[RUNTIME], session_of(request))
    response = redirect("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response
