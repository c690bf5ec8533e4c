"""The web calendar's wiring: templates, middleware, routes (all named ``cal.*``)."""

from __future__ import annotations

from aiohttp import web

from scheduler.runtime import Runtime
from web import auth, compose, compose_form, feed, posts, queue, views
from web.pages import JINJA, STATIC, make_env
from web.session import RUNTIME, make_middleware


def setup(app: web.Application, runtime: Runtime) -> None:
    """Add the calendar's routes and its session middleware (CSRF is ``web.csrf``, app-wide)."""
    app[RUNTIME] = runtime
    app[JINJA] = make_env()
    app.middlewares.append(make_middleware(runtime, auth.signin))
    router = app.router
    router.add_get("/", views.calendar_view, name="cal.home")
    router.add_get("/login", auth.signin, name="cal.signin")
    router.add_post("/login/email", auth.email_link, name="cal.signin_email")
    router.add_get("/login/oauth/{provider}", auth.oauth, name="cal.signin_oauth")
    router.add_get("/auth/callback", auth.callback, name="cal.auth_callback")
    router.add_get("/workspaces", auth.workspaces, name="cal.workspaces")
    router.add_get("/login/{token}", auth.confirm_page, name="cal.login")
    router.add_post("/login/{token}", auth.confirm, name="cal.login_confirm")
    router.add_post("/logout", auth.logout, name="cal.logout")
    router.add_get("/posts/{post_id}", posts.post_page, name="cal.post")
    router.add_post("/posts/{post_id}/{action}", posts.post_action, name="cal.post_action")
    router.add_get("/compose", compose.compose_page, name="cal.compose")
    router.add_post("/compose", compose.compose_submit, name="cal.compose_submit")
    router.add_post("/compose/form", compose_form.form_submit, name="cal.compose_form")
    router.add_post("/compose/count", compose_form.count, name="cal.compose_count")
    router.add_get("/calendar.ics", feed.feed, name="cal.feed")
    router.add_get("/settings", feed.settings_page, name="cal.settings")
    router.add_post("/settings/feed", feed.rotate, name="cal.rotate")
    router.add_post("/settings/tokens/{token_id}/revoke", feed.revoke, name="cal.revoke_token")
    router.add_post("/settings/invite", feed.invite_member, name="cal.invite")
    router.add_post("/settings/slots", queue.save_slots, name="cal.slots")
    router.add_static("/assets/", STATIC, name="cal.static", append_version=True)
