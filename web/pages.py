"""Rendering: one Jinja2 environment (autoescape on), the page context, refusal pages."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from scheduler.views import SessionInfo, WorkspaceView
from web.session import CSRF_KEY, SESSION_KEY

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
JINJA = web.AppKey("calendar_jinja", Environment)
STATUS_WORDS = {
    "draft": "Draft",
    "scheduled": "Scheduled",
    "publishing": "Publishing",
    "published": "Published",
    "partially_published": "Partly published",
    "failed": "Failed",
    "cancelled": "Cancelled",
    "pending": "Pending",
    "success": "Sent",
    "unknown": "Checking",
}


def make_env() -> Environment:
    """The one template environment; autoescape is on for every template."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters["status_word"] = lambda s: STATUS_WORDS.get(s, s)
    env.filters["hm"] = lambda dt, tz: dt.astimezone(ZoneInfo(tz)).strftime("%H:%M")
    env.filters["when"] = lambda dt, tz: dt.astimezone(ZoneInfo(tz)).strftime(
        "%a %d %b %Y, %H:%M %Z"
    )
    env.filters["local_input"] = lambda dt, tz: dt.astimezone(ZoneInfo(tz)).strftime(
        "%Y-%m-%dT%H:%M"
    )
    return env


def redirect(location: str) -> web.Response:
    """A 303 See Other, so the browser follows a POST with a GET."""
    return web.Response(status=303, headers={"Location": location})


def query(base: str, **params: str | None) -> str:
    """``base`` with the non-empty parameters, for links people can share."""
    kept = {k: v for k, v in params.items() if v}
    return base + ("?" + urlencode(kept) if kept else "")


def render(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    """Render a page with the session, workspace list and CSRF token in reach."""
    session: SessionInfo | None = request.get(SESSION_KEY)
    base: dict[str, Any] = {
        "csrf": request[CSRF_KEY],
        "session": session,
        "workspace": None,
        "path": query(request.path, **{k: v for k, v in request.query.items() if k != "done"}),
        "flash": request.query.get("done", ""),
    }
    base.update(context)
    body = request.app[JINJA].get_template(template).render(**base)
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


def error_page(
    request: web.Request, status: int, title: str, message: str, hint: str = ""
) -> web.Response:
    return render(request, "error.html", status=status, title=title, message=message, hint=hint)


FORBIDDEN_MESSAGE = "The form was sent without a valid security token, or from another site."
FORBIDDEN_HINT = "Go back, reload the page and try again."


async def forbidden(request: web.Request) -> web.StreamResponse:
    return error_page(request, 403, "This form has expired", FORBIDDEN_MESSAGE, FORBIDDEN_HINT)


def pick_workspace(request: web.Request, session: SessionInfo) -> WorkspaceView | None:
    """The workspace asked for in ``?ws=`` when the session may see it, else the current one."""
    spaces = {w.id: w for w in session.workspaces}
    asked = request.query.get("ws", "")
    try:
        wanted = uuid.UUID(asked) if asked else session.current_workspace_id
    except ValueError:
        wanted = session.current_workspace_id
    if wanted in spaces:
        return spaces[wanted]
    return session.workspaces[0] if session.workspaces else None


def visible(session: SessionInfo, workspace_id: uuid.UUID) -> WorkspaceView | None:
    """The workspace when this session may see it."""
    return next((w for w in session.workspaces if w.id == workspace_id), None)
