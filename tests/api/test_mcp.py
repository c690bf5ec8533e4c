"""The MCP server driven by the SDK's own clients, over streamable HTTP (``/mcp`` in the app)
and over stdio (``outpost mcp`` as a subprocess): schedule from a request, preview, edit,
cancel; a call repeated with its idempotency key makes one post; a read token cannot mutate."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest
from aiohttp.test_utils import TestServer
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from app.web import build_app
from core.settings import Settings
from mcpserver import http as mcp_http
from scheduler.api_tokens import create_token
from scheduler.runtime import Runtime
from tests.api.conftest import CONFIG
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import Team, count_rows, team
from tests.support import env_for, wait_for
from webhooks import make_setup

Open = Callable[[str], Any]


@pytest.fixture
async def crew(runtime: Runtime, mastodon: FakeMastodon) -> Team:
    return await team(runtime, mastodon_url=mastodon.url)


@pytest.fixture
async def app_url(runtime: Runtime, crew: Team) -> AsyncIterator[str]:
    server = TestServer(build_app(runtime, [make_setup(CONFIG), mcp_http.setup]),
                        host="127.0.0.1")  # fmt: skip
    await server.start_server()
    yield str(server.make_url("")).rstrip("/")
    await server.close()


@asynccontextmanager
async def over_http(url: str, token: str) -> AsyncIterator[ClientSession]:
    """A session with the server at ``url``/mcp, as ``token``."""
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=30) as http,
        streamable_http_client(url + "/mcp", http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


@asynccontextmanager
async def over_stdio(settings: Settings, token: str) -> AsyncIterator[ClientSession]:
    """A session with ``outpost mcp`` as a subprocess, as ``token``."""
    params = StdioServerParameters(
        command=str(Path(sys.executable).with_name("outpost")),
        args=["mcp", "--workspace", "acme"],
        env=env_for(settings, OUTPOST_TOKEN=token, LOG_LEVEL="WARNING"),
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


def payload(result: Any) -> dict[str, Any]:
    """A tool's JSON answer; fails on an error answer, showing it."""
    assert not result.is_error, result.content
    if result.structured_content is not None:
        return dict(result.structured_content)
    return dict(json.loads(result.content[0].text))


def refusal(result: Any) -> str:
    assert result.is_error, result
    return str(result.content[0].text)


async def walk(session: ClientSession, runtime: Runtime, crew: Team) -> None:
    """The agent's round: preview, schedule (twice with one key), edit, stale edit, cancel."""
    tools = {t.name: t for t in (await session.list_tools()).tools}
    wanted = {"schedule", "preview", "list_posts", "get_post", "edit_post", "reschedule_post",
              "cancel_post", "retry_post", "accounts", "upload_media_from_url"}  # fmt: skip
    assert wanted <= set(tools)
    assert "idempotency_key" in (tools["schedule"].description or "")

    shown = payload(await session.call_tool("preview", {"request": "tomorrow 9am to mastodon: hi"}))
    assert shown["ok"] is True
    assert shown["destinations"][0]["text"] == "hi"
    assert shown["destinations"][0]["platform"] == "mastodon"
    assert await count_rows("scheduled_posts") == 0  # a preview stores nothing

    long_text = {"request": "tomorrow 9am to mastodon: " + "x" * 600}
    too_long = payload(await session.call_tool("preview", long_text))
    assert too_long["ok"] is False
    assert too_long["destinations"][0]["problems"]

    args = {"request": "tomorrow 9am to mastodon: launch day", "idempotency_key": "agent-run-1"}
    first = payload(await session.call_tool("schedule", args))
    again = payload(await session.call_tool("schedule", args))
    assert again["id"] == first["id"]
    assert again.get("replayed") is True
    assert await count_rows("scheduled_posts") == 1
    other = await session.call_tool(
        "schedule", {**args, "request": "tomorrow 9am to mastodon: other"}
    )
    assert "different call" in refusal(other)

    edited = payload(await session.call_tool("edit_post", {
        "post_id": first["id"], "text": "launch day!", "revision": first["revision"],
        "idempotency_key": "edit-1"}))  # fmt: skip
    assert edited["text"] == "launch day!"
    assert edited["revision"] > first["revision"]
    stale = await session.call_tool("edit_post", {
        "post_id": first["id"], "text": "late edit", "revision": first["revision"]})  # fmt: skip
    assert f"current_revision: {edited['revision']}" in refusal(stale)

    got = payload(await session.call_tool("get_post", {"post_id": first["id"]}))
    assert got["text"] == "launch day!"
    read = await session.read_resource(f"outpost://posts/{first['id']}")
    assert json.loads(read.contents[0].text)["id"] == first["id"]  # type: ignore[union-attr]
    window = await session.read_resource("outpost://calendar/7")
    assert [p["id"] for p in json.loads(window.contents[0].text)["items"]] == [first["id"]]  # type: ignore[union-attr]

    listed = payload(await session.call_tool("list_posts", {"q": "LAUNCH"}))
    assert [p["id"] for p in listed["items"]] == [first["id"]]
    accounts = payload(await session.call_tool("accounts", {}))
    assert accounts["items"][0]["platform"] == "mastodon"

    cancelled = payload(await session.call_tool("cancel_post", {"post_id": first["id"]}))
    assert cancelled["status"] == "cancelled"
    post = await runtime.posts.get(uuid.UUID(first["id"]), crew.workspace.id)
    assert post.status == "cancelled"


async def read_only(session: ClientSession) -> None:
    """A read-scoped token reads, and every mutating tool refuses it."""
    payload(await session.call_tool("list_posts", {}))
    payload(await session.call_tool("preview", {"request": "tomorrow 9am to mastodon: hi"}))
    refused = await session.call_tool("schedule", {"request": "tomorrow 9am to mastodon: hi"})
    assert "'write' scope" in refusal(refused)
    assert await count_rows("scheduled_posts") == 0


async def test_mcp_over_http(runtime: Runtime, crew: Team, app_url: str) -> None:
    token, _ = await create_token(runtime, crew.workspace.id, "agent", ["read", "write"])
    async with over_http(app_url, token) as session:
        await walk(session, runtime, crew)


async def test_mcp_over_http_read_token_cannot_mutate(
    runtime: Runtime, crew: Team, app_url: str
) -> None:
    token, _ = await create_token(runtime, crew.workspace.id, "reader", ["read"])
    async with over_http(app_url, token) as session:
        await read_only(session)


async def test_mcp_over_http_refuses_missing_and_expired_tokens(
    runtime: Runtime, crew: Team, app_url: str
) -> None:
    async with httpx2.AsyncClient() as http:
        bare = await http.post(app_url + "/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
        assert bare.status_code == 401
        soon = runtime.clock.now() + timedelta(minutes=1)
        token, _ = await create_token(runtime, crew.workspace.id, "brief", ["read"], soon)
        runtime.clock.set(soon + timedelta(seconds=1))  # type: ignore[attr-defined]
        late = await http.post(app_url + "/mcp", headers={"Authorization": f"Bearer {token}"},
                               json={"jsonrpc": "2.0", "id": 1, "method": "ping"})  # fmt: skip
        assert late.status_code == 401
        assert late.json()["error"]["code"] == "token_expired"
        assert "expired at" in late.json()["error"]["message"]


async def test_mcp_over_stdio(settings: Settings, runtime: Runtime, crew: Team) -> None:
    token, _ = await create_token(runtime, crew.workspace.id, "local", ["read", "write"])
    async with over_stdio(settings, token) as session:
        await walk(session, runtime, crew)


async def test_mcp_over_stdio_read_token_cannot_mutate(
    settings: Settings, runtime: Runtime, crew: Team
) -> None:
    token, _ = await create_token(runtime, crew.workspace.id, "local-reader", ["read"])
    async with over_stdio(settings, token) as session:
        await read_only(session)


async def test_mcp_media_by_url_publish_now_and_account_health(
    runtime: Runtime,
    crew: Team,
    app_url: str,
    files: str,
    api_worker: object,
    mastodon: FakeMastodon,
) -> None:
    token, _ = await create_token(runtime, crew.workspace.id, "agent", ["read", "write"])
    async with over_http(app_url, token) as session:
        media = payload(
            await session.call_tool(
                "upload_media_from_url", {"url": files + "/cat.png", "idempotency_key": "m1"}
            )
        )
        assert media["content_type"] == "image/png"
        post = payload(
            await session.call_tool(
                "schedule",
                {
                    "text": "with a photo",
                    "when": (runtime.clock.now() + timedelta(days=1)).isoformat(),
                    "destinations": ["mastodon"],
                    "media_ids": [media["id"]],
                },
            )
        )
        assert [m["id"] for m in post["media"]] == [media["id"]]
        payload(
            await session.call_tool(
                "publish_now", {"post_id": post["id"], "revision": post["revision"]}
            )
        )

        async def published() -> bool:
            got = payload(await session.call_tool("get_post", {"post_id": post["id"]}))
            return bool(got["status"] == "published")

        await wait_for(published, timeout=20)
        assert len(mastodon.statuses) == 1
        late = await session.call_tool("edit_post", {"post_id": post["id"], "media_ids": []})
        assert "has published or is publishing" in refusal(late)
        health = payload(await session.call_tool("accounts", {"check": True}))
        assert health["items"][0]["health"]["status"] == "ok"


async def test_mcp_schedules_a_thread_with_a_first_comment(
    runtime: Runtime, crew: Team, app_url: str
) -> None:
    token, _ = await create_token(runtime, crew.workspace.id, "threads", ["read", "write"])
    async with over_http(app_url, token) as session:
        made = payload(await session.call_tool("schedule", {
            "parts": ["One.", "Two."], "first_comment": "Three.",
            "when": (runtime.clock.now() + timedelta(hours=1)).isoformat(),
            "destinations": ["mastodon"],
        }))  # fmt: skip
        assert made["parts"] == ["One.", "Two."]
        assert made["first_comment"] == "Three."
        refused = await session.call_tool("schedule", {
            "parts": ["One.", "x" * 501], "when": runtime.clock.now().isoformat(),
            "destinations": ["mastodon"],
        })  # fmt: skip
        assert "(part 2 of 2): text is 501 characters" in refusal(refused)
