"""``/mcp`` in the aiohttp app: the SDK's streamable HTTP transport behind a bearer check.

The SDK's transport is an ASGI app (``StreamableHTTPSessionManager``); aiohttp is not ASGI, so
``bridge`` hands it one aiohttp request as an ASGI call and streams its answer back. It runs
stateless with JSON answers: every POST carries its own token and is answered on its own, so
no session outlives a request and a revoked or expired token stops working at once.

The manager's task group must be entered and left in one task (anyio's cancel scopes), so it
lives in a task of its own for the app's lifetime. No DNS-rebinding check is needed: a call
needs the Authorization header, which a page in a browser cannot add to another origin.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, MutableMapping
from contextlib import suppress
from typing import Any

from aiohttp import web
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

from mcpserver.calls import SCOPE_KEY, from_scope
from mcpserver.server import build_server
from scheduler.api_tokens import authenticate, expired_message
from scheduler.runtime import Runtime

PATH = "/mcp"
# A tool call's arguments are small; media goes by URL.
BODY_LIMIT = 1024 * 1024
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="outpost"'}


def _refuse(status: int, code: str, message: str) -> web.Response:
    body = {"error": {"code": code, "message": message}}
    return web.json_response(body, status=status, headers=CHALLENGE)


async def bridge(
    manager: StreamableHTTPSessionManager, request: web.Request, extra: dict[str, Any]
) -> web.StreamResponse:
    """Serve one aiohttp request with the ASGI ``manager``; ``extra`` joins the scope."""
    body = await request.read()
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": f"{request.version.major}.{request.version.minor}",
        "method": request.method,
        "scheme": request.scheme,
        "path": request.path,
        "raw_path": request.raw_path.encode(),
        "root_path": "",
        "query_string": request.query_string.encode(),
        "headers": [(k.lower().encode(), v.encode("latin-1")) for k, v in request.headers.items()],
        "client": (request.remote or "", 0),
        "server": (request.host, 0),
        "state": {},
        **extra,
    }
    sent = False
    response: web.StreamResponse | None = None

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # no more body: wait until the answer ends this call
        return {"type": "http.disconnect"}  # pragma: no cover

    async def send(message: MutableMapping[str, Any]) -> None:
        nonlocal response
        if message["type"] == "http.response.start":
            response = web.StreamResponse(status=message["status"])
            for key, value in message.get("headers", []):
                name = key.decode("latin-1")
                if name.lower() not in ("content-length", "transfer-encoding"):
                    response.headers.add(name, value.decode("latin-1"))
            await response.prepare(request)
        elif message["type"] == "http.response.body" and response is not None:
            await response.write(message.get("body", b""))
            if not message.get("more_body", False):
                await response.write_eof()

    await manager.handle_request(scope, receive, send)
    if response is None:
        return web.Response(status=500, text="The MCP transport gave no answer.")
    return response


def setup(app: web.Application, rt: Runtime) -> None:
    """Mount ``/mcp`` on ``app``; the manager runs for the app's lifetime."""
    manager = StreamableHTTPSessionManager(
        build_server(rt, from_scope)._lowlevel_server,
        stateless=True,
        json_response=True,
        max_request_body_size=BODY_LIMIT,
    )
    ready = asyncio.Event()

    async def lifetime(app: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()

        async def hold() -> None:
            async with manager.run():
                ready.set()
                await stop.wait()

        task = asyncio.create_task(hold())
        await ready.wait()
        yield
        stop.set()
        with suppress(asyncio.CancelledError):
            await task

    async def serve(request: web.Request) -> web.StreamResponse:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return _refuse(401, "unauthenticated", "Send Authorization: Bearer <API token> "
                           "(make one with `outpost token create --workspace NAME`).")  # fmt: skip
        token = await authenticate(rt, value.strip())
        if token is None:
            return _refuse(401, "unauthenticated", "This token is unknown or revoked.")
        if token.expired(rt.clock.now()):
            return _refuse(401, "token_expired", expired_message(token))
        return await bridge(manager, request, {SCOPE_KEY: token})

    app.cleanup_ctx.append(lifetime)
    for method in ("POST", "GET", "DELETE"):
        app.router.add_route(method, PATH, serve)


__all__ = ["PATH", "bridge", "setup"]
