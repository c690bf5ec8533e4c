"""``outpost mcp``: the MCP server over stdin/stdout for a local client (Claude Desktop, an
IDE), acting as the workspace's API token. stdout carries the protocol alone, so logs go to
stderr."""

from __future__ import annotations

from core.errors import ConfigError
from mcpserver.calls import from_secret
from mcpserver.server import build_server
from scheduler.api_tokens import authenticate, expired_message
from scheduler.runtime import Runtime


async def serve_stdio(rt: Runtime, workspace: str, secret: str) -> None:
    """Serve until the client closes stdin; the token must belong to ``workspace``."""
    token = await authenticate(rt, secret)
    if token is None:
        raise ConfigError("This token is unknown or revoked.",
                          "Make one with `outpost token create --workspace NAME`.")  # fmt: skip
    if token.expired(rt.clock.now()):
        raise ConfigError(expired_message(token))
    named = await rt.workspaces.by_name(workspace)
    if named.id != token.workspace_id:
        raise ConfigError(f"This token is not one of workspace {workspace!r}.",
                          "Use a token made with `outpost token create --workspace "
                          f"{workspace}`.")  # fmt: skip
    await build_server(rt, from_secret(rt, secret)).run_stdio_async()
