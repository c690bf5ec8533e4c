"""Unused media goes after the grace period; media any post still carries stays."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import suppress
from datetime import timedelta

import asyncpg
from arq.worker import func

from scheduler.media.cleanup import MEDIA_CRON, media_cleanup, remove_orphans
from scheduler.media.ingest import ingest_stream
from scheduler.publishing.tasks import make_worker
from scheduler.runtime import Runtime
from storage.db import _plain_dsn
from storage.supabase_store import SupabaseMediaStore
from storage.views import MediaView, NewPost
from tests.fakes.supabase import FakeSupabaseStorage
from tests.helpers import count_rows, team
from tests.media.files import image_bytes
from tests.support import TEST_DB, wait_for


async def one(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def sql(query: str, *args: object) -> None:
    conn = await asyncpg.connect(_plain_dsn(TEST_DB))
    try:
        await conn.execute(query, *args)
    finally:
        await conn.close()


async def age(item: MediaView, hours: float) -> None:
    await sql(
        "UPDATE media_library SET created_at = now() - make_interval(secs => $2) WHERE id = $1",
        item.id,
        hours * 3600,
    )


async def photos(rt: Runtime, workspace_id: uuid.UUID, count: int) -> list[MediaView]:
    colors = ["red", "green", "blue", "white", "black"]
    return [
        await ingest_stream(
            rt, workspace_id, one(image_bytes("PNG", (8, 8), colors[i])), filename=f"{i}.png"
        )
        for i in range(count)
    ]


async def post_with(rt: Runtime, workspace_id: uuid.UUID, media: list[MediaView]) -> uuid.UUID:
    post = await rt.posts.create(
        NewPost(
            workspace_id=workspace_id,
            user_id=None,
            content="with media",
            scheduled_at=rt.clock.now() + timedelta(days=1),
            timezone="UTC",
            account_ids=(),
            media_ids=tuple(m.id for m in media),
        )
    )
    return post.id


async def test_orphans_go_shared_media_stays(media_rt: Runtime) -> None:
    crew = await team(media_rt)
    shared, orphan, fresh = await photos(media_rt, crew.workspace.id, 3)
    first = await post_with(media_rt, crew.workspace.id, [shared])
    await post_with(media_rt, crew.workspace.id, [shared])
    for item in (shared, orphan):
        await age(item, 48)
    await sql("DELETE FROM scheduled_posts WHERE id = $1", first)

    removed = await remove_orphans(media_rt)

    assert [m.id for m in removed] == [orphan.id]
    assert not await media_rt.media.exists(orphan.storage_key)
    for kept in (shared, fresh):  # used by the other post / inside the grace period
        assert await media_rt.media.exists(kept.storage_key)
    assert await count_rows("media_library") == 2
    assert await media_rt.library.users_of(shared.id) != []


async def test_bytes_that_will_not_delete_keep_their_row(
    media_rt: Runtime, supabase: FakeSupabaseStorage
) -> None:
    crew = await team(media_rt)
    (item,) = await photos(media_rt, crew.workspace.id, 1)
    await age(item, 30)
    blocker = media_rt.settings.data_dir / "media" / item.storage_key
    if isinstance(media_rt.media, SupabaseMediaStore):
        supabase.fail_next("500")
    else:
        # A directory where the file should be: unlink fails as a broken disk would.
        blocker.unlink()
        blocker.mkdir()

    assert await remove_orphans(media_rt) == []
    assert await count_rows("media_library") == 1

    if blocker.is_dir():
        blocker.rmdir()
    assert [m.id for m in await remove_orphans(media_rt)] == [item.id]
    assert await count_rows("media_library") == 0


async def test_cleanup_runs_as_an_arq_task(runtime: Runtime) -> None:
    crew = await team(runtime)
    (item,) = await photos(runtime, crew.workspace.id, 1)
    await age(item, 25)
    assert MEDIA_CRON[0].coroutine is media_cleanup
    worker = make_worker(
        runtime,
        handle_signals=False,
        extra_functions=(func(media_cleanup, name="media_cleanup"),),
        extra_cron=MEDIA_CRON,
    )
    task = asyncio.create_task(worker.main())
    try:
        job = await runtime.redis.enqueue_job("media_cleanup")
        assert job is not None

        async def gone() -> bool:
            return await count_rows("media_library") == 0

        await wait_for(gone, timeout=30)
        assert not await runtime.media.exists(item.storage_key)
    finally:
        task.cancel()
        jobs = [t for t in worker.tasks.values() if not t.done()]
        for running in jobs:
            running.cancel()
        with suppress(asyncio.CancelledError):
            await task
        await asyncio.gather(*jobs, return_exceptions=True)
