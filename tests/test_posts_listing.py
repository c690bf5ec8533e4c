"""``outpost posts`` reads on a bare connection (``storage.listing``) what the use case lists."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.errors import ConfigError, NotFound
from scheduler.runtime import Runtime
from scheduler.service import Scheduler
from storage.listing import list_posts
from tests.helpers import team


async def test_listing_matches_the_use_case_and_filters_by_status(runtime: Runtime) -> None:
    acme = await team(runtime, webhook_url="https://hooks.example.com")
    await team(runtime, "zeta", webhook_url="https://hooks.example.com")
    service = Scheduler(runtime)
    made = [
        await service.schedule(acme.workspace.id, f"in {n} days to webhook: post {n}", tz="UTC")
        for n in (3, 1, 2)
    ]
    await service.cancel(acme.workspace.id, made[0].id)
    url = runtime.settings.database_url

    [(ws, posts)] = await list_posts(url, "acme", [])
    expected = await service.list(acme.workspace.id, limit=1000)
    assert ws.name == "acme"
    assert posts == expected
    assert [p.content for p in posts] == ["post 1", "post 2", "post 3"]
    assert posts[0].destinations[0].platform == "webhook"

    [(_, cancelled)] = await list_posts(url, "acme", ["cancelled"])
    assert [p.id for p in cancelled] == [made[0].id]
    everyone = await list_posts(url, None, ["scheduled"])
    assert [(w.name, len(p)) for w, p in everyone] == [("acme", 2), ("zeta", 0)]
    assert posts[1].scheduled_at - posts[0].scheduled_at == timedelta(days=1)


async def test_unknown_workspace_and_unreachable_database_say_what_to_do(
    runtime: Runtime,
) -> None:
    with pytest.raises(NotFound, match="outpost workspace create ghost"):
        await list_posts(runtime.settings.database_url, "ghost", [])
    missing = runtime.settings.database_url.rsplit("/", 1)[0] + "/outpost_no_such_db"
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        await list_posts(missing, None, [])
