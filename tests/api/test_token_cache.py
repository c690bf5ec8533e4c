"""A process remembers live API tokens for a few seconds (no statement per request), and a
revocation still takes effect: at once in the process that made it, within the TTL elsewhere."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from scheduler.api_tokens import create_token, hash_token
from scheduler.runtime import Runtime
from storage.api import ApiStore
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import team


async def test_live_tokens_are_remembered_and_revocations_take_effect(
    runtime: Runtime, mastodon: FakeMastodon
) -> None:
    crew = await team(runtime, mastodon_url=mastodon.url)
    ws = crew.workspace.id
    now = runtime.clock.now()
    here = ApiStore(runtime.api.sessions, token_ttl=0.5)
    elsewhere = ApiStore(runtime.api.sessions)

    token, view = await create_token(runtime, ws, "cached", ["read"])
    found = await here.token(hash_token(token), now)
    assert found is not None
    assert found.id == view.id
    # Within the TTL the answer comes from memory: last_used_at is not touched again.
    assert await here.token(hash_token(token), now + timedelta(seconds=1)) == found
    [listed] = [t for t in await here.tokens(ws) if t.id == view.id]
    assert listed.last_used_at == now

    # Revoked by this store: refused at once.
    await here.revoke_token(ws, view.id, now)
    assert await here.token(hash_token(token), now) is None

    # Revoked by another process's store: refused here once the TTL has passed.
    other, other_view = await create_token(runtime, ws, "elsewhere", ["read"])
    assert await here.token(hash_token(other), now) is not None
    await elsewhere.revoke_token(ws, other_view.id, now)
    await asyncio.sleep(0.6)
    assert await here.token(hash_token(other), now) is None
    assert await elsewhere.token(hash_token(other), now) is None
