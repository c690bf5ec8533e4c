"""The settings page lists the workspace's API tokens and revokes them (CSRF-checked)."""

from __future__ import annotations

from datetime import timedelta

from aiohttp.test_utils import TestClient

from scheduler.api_tokens import authenticate, create_token
from scheduler.runtime import Runtime
from tests.web.conftest import Crew, csrf_of
from tests.web.signin_support import set_role


async def test_tokens_are_listed_escaped_and_revocable(
    runtime: Runtime, client: TestClient[object, object], crew: Crew
) -> None:
    ws = crew.team.workspace.id
    soon = runtime.clock.now() + timedelta(days=30)
    agent, view = await create_token(runtime, ws, "<script>agent</script>", ["read"], soon)
    keep, _ = await create_token(runtime, ws, "ci", ["read", "write"])
    page = await (await client.get("/settings")).text()
    assert "&lt;script&gt;agent&lt;/script&gt;" in page
    assert "<script>agent" not in page
    assert soon.strftime("%Y-%m-%d %H:%M") in page
    assert agent not in page  # values are never shown again
    assert keep not in page

    forged = await client.post(f"/settings/tokens/{view.id}/revoke", data={"ws": str(ws)})
    assert forged.status == 403
    assert await authenticate(runtime, agent) is not None

    await set_role(ws, crew.user_id, "editor")  # only owners and admins revoke
    refused = await client.post(
        f"/settings/tokens/{view.id}/revoke", data={"csrf": csrf_of(page), "ws": str(ws)}
    )
    assert refused.status == 403
    assert await authenticate(runtime, agent) is not None
    await set_role(ws, crew.user_id, "admin")
    done = await client.post(
        f"/settings/tokens/{view.id}/revoke", data={"csrf": csrf_of(page), "ws": str(ws)}
    )
    assert done.status == 200
    assert "revoked" in await done.text()
    assert await authenticate(runtime, agent) is None
    assert await authenticate(runtime, keep) is not None
