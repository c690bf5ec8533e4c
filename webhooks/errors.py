"""Error answers of the API and hooks: ``{"error": {"code", "message"}}`` with a fitting 4xx.

ApiError (an aiohttp-free exception carrying status, code, message, headers)
├── 400 malformed JSON (says where), 401 unauthenticated, 403 missing scope,
├── 404, 409 idempotency conflicts, 413 too large, 415, 422 invalid body, 429 rate limited
Our own errors map through ``STATUS``: NotFound 404, Conflict 409, RequestProblem 422,
LimitReached 403 (the plan allows no more).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from core.errors import (
    Conflict,
    LimitReached,
    NotFound,
    OutpostError,
    RequestProblem,
    StaleRevision,
)

log = logging.getLogger("outpost.api")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
STATUS: tuple[tuple[type[OutpostError], int], ...] = (
    (NotFound, 404),
    (Conflict, 409),
    (RequestProblem, 422),
    (LimitReached, 403),
)


class ApiError(Exception):
    """An answer other than success, safe to show to the caller."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        problems: list[str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.problems = problems or []
        # More fields of ``error`` a client acts on (``current_revision``).
        self.extra = extra or {}


def error_body(
    code: str,
    message: str,
    problems: list[str] | None = None,
    resource_id: str | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON body every error has."""
    error: dict[str, Any] = {"code": code, "message": message}
    if problems:
        error["problems"] = problems
    if resource_id is not None:
        error["resource_id"] = resource_id
    error.update(extra or {})
    return {"error": error}


def error_response(exc: ApiError) -> web.Response:
    """The JSON answer for ``exc``."""
    return web.json_response(
        error_body(exc.code, exc.message, exc.problems, extra=exc.extra),
        status=exc.status,
        headers=exc.headers,
    )


def from_outpost(exc: OutpostError) -> ApiError:
    """Our own error as an API answer."""
    status = next((s for kind, s in STATUS if isinstance(exc, kind)), 400)
    message = f"{exc.message} {exc.hint}".strip()
    problems = exc.problems if isinstance(exc, RequestProblem) else None
    if isinstance(exc, StaleRevision):
        return ApiError(status, exc.code, message, headers={"ETag": f'"{exc.current}"'},
                        extra={"current_revision": exc.current})  # fmt: skip
    return ApiError(status, exc.code, message, problems=problems)


def malformed(exc: json.JSONDecodeError) -> ApiError:
    """400 naming the line and column where the JSON breaks."""
    return ApiError(
        400,
        "malformed_json",
        f"The body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        f" (character {exc.pos}).",
    )


_HTTP_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    400: "bad_request",
}


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure under the API becomes the JSON error shape; nothing leaks as a 500 page."""
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc)
    except OutpostError as exc:
        return error_response(from_outpost(exc))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _HTTP_CODES.get(exc.status, "error")
        keep = {k: v for k, v in exc.headers.items() if k in ("Allow", "Retry-After")}
        return error_response(ApiError(exc.status, code, exc.reason, headers=keep))
    except Exception:
        log.exception("API request failed", extra={"path": request.path})
        return error_response(ApiError(500, "internal", "Something went wrong on our side."))
