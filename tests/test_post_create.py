"""A post is written in one statement: all of it, in order, or nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta

import asyncpg
import pytest

from scheduler.runtime import Runtime
from storage.views import MediaView, NewPost
from tests.helpers import count_rows, team


def _media(workspace_id: uuid.UUID, name: str) -> MediaView:
    return MediaView(
        id=uuid.uuid4(), workspace_id=workspace_id, url="", storage_key=f"k/{name}",
        content_type="image/png", sha256=name * 8, size_bytes=10, width=1, height=1,
        duration_seconds=None, filename=f"{name}.png",
    )


async def test_create_writes_post_destinations_and_media_in_order(runtime: Runtime) -> None:
    t = await team(runtime, mastodon_url="http://127.0.0.1:9", webhook_url="http://127.0.0.1:9")
    ws = t.workspace.id
    first = await runtime.library.record(_media(ws, "a"))
    second = await runtime.library.record(_media(ws, "b"))
    mastodon, hook = t.accounts["mastodon"].id, t.accounts["webhook"].id
    when = runtime.clock.now() + timedelta(hours=1)
    view = await runtime.posts.create(
        NewPost(
            workspace_id=ws, user_id=None, content="Hello", scheduled_at=when,
            timezone="Europe/Berlin", account_ids=(mastodon, hook, mastodon),
            media_ids=(second.id, first.id, second.id), origin={"channel": "C1", "n": 2},
            callback_url="https://example.com/cb",
        )
    )
    assert [d.account_id for d in view.destinations] in ([mastodon, hook], [hook, mastodon])
    assert all(d.status == "pending" and d.due_at == when for d in view.destinations)
    assert len({d.id for d in view.destinations}) == 2
    assert [m.id for m in view.media] == [second.id, first.id]  # the order asked for, once each
    assert view.origin == {"channel": "C1", "n": 2}
    assert (view.status, view.revision, view.timezone) == ("scheduled", 0, "Europe/Berlin")
    assert view == await runtime.posts.get(view.id)


async def test_a_create_that_fails_leaves_nothing(runtime: Runtime) -> None:
    t = await team(runtime, mastodon_url="http://127.0.0.1:9")
    gone = uuid.uuid4()  # an account deleted meanwhile: its foreign key fails
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await runtime.posts.create(
            NewPost(
                workspace_id=t.workspace.id, user_id=None, content="x",
                scheduled_at=runtime.clock.now(), timezone="UTC",
                account_ids=(t.accounts["mastodon"].id, gone),
            )
        )
    assert await count_rows("scheduled_posts") == 0
    assert await count_rows("post_destinations") == 0
