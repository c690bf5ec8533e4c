"""``outpost token create --expires``: a token for an agent that stops working on its own."""

from __future__ import annotations

from datetime import timedelta

from core.settings import Settings
from scheduler.api_tokens import authenticate
from scheduler.runtime import Runtime
from tests.helpers import outpost, team
from tests.support import env_for


async def test_token_create_with_an_expiry(settings: Settings, runtime: Runtime) -> None:
    await team(runtime)
    env = env_for(settings)
    made = await outpost(env, "token", "create", "--workspace", "acme", "--expires", "30d")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    view = await authenticate(runtime, token)
    assert view is not None
    assert view.expires_at is not None
    left = view.expires_at - runtime.clock.now()
    assert timedelta(days=29, hours=23) < left <= timedelta(days=30)
    assert "expires at" in made.stderr

    bad = await outpost(env, "token", "create", "--workspace", "acme", "--expires", "soon")
    assert bad.returncode == 2
    assert "not a token lifetime" in bad.stderr
    assert "30d" in bad.stderr
