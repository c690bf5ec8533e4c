"""Evergreen posts come back once per publish, through a real worker; two queue requests at
once never take the same slot."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.errors import Conflict, RequestProblem
from core.slots import first_free
from core.states import PostStatus
from scheduler import edits
from scheduler.edits import Change
from scheduler.publishing.horizon import queue_jobs
from scheduler.publishing.runner import Runner
from scheduler.runtime import Runtime
from scheduler.service import Scheduler
from scheduler.slots import next_free_slot, parse_slots, set_slots
from storage.views import Job, NewPost, PostView, WorkspaceView
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import count_rows
from tests.media.test_cleanup import photos
from tests.queue.conftest import ask
from tests.slack.conftest import TEAM, SlackHarness
from tests.support import set_clock, wait_for

BERLIN = ZoneInfo("Europe/Berlin")


async def test_an_evergreen_post_published_by_the_worker_comes_back_once_in_a_slot(
    slack: SlackHarness, mastodon: FakeMastodon
) -> None:
    rt = slack.rt
    ws = await rt.workspaces.ensure(f"slack:{TEAM}", "Europe/Berlin")
    await rt.workspaces.add_account(
        ws.id, "mastodon", "@outpost@fake.social", rt.cipher.encrypt("good-token"),
        base_url=mastodon.url,
    )  # fmt: skip
    await ask(slack, "slots daily 10:00, 16:00")
    said = await ask(slack, "queue evergreen 3d to mastodon: Our evergreen guide")
    assert "evergreen: back in the queue at most every 3 days" in said
    [original] = await rt.posts.search(ws.id)
    assert original.evergreen_days == 3
    assert original.queued
    # Post it now (the button), so the real worker publishes it.
    await slack.interactive(slack.button("post_now", str(original.id)))
    await wait_for(lambda: _has(rt, ws.id, 2), timeout=30)
    done = await rt.posts.get(original.id)
    assert done.status == PostStatus.PUBLISHED
    assert len(mastodon.statuses) == 1
    assert "Our evergreen guide" in str(mastodon.statuses[0])
    published = done.destinations[0].published_at
    assert published is not None
    [copy] = [p for p in await rt.posts.search(ws.id) if p.id != original.id]
    assert copy.status == PostStatus.SCHEDULED
    assert (copy.content, copy.evergreen_days, copy.queued) == ("Our evergreen guide", 3, True)
    assert copy.series_id == original.id
    # The first 10:00 or 16:00 Berlin slot at least three days after the publish.
    slots = parse_slots("daily 10:00, 16:00")
    start = published + timedelta(days=3)
    expected = first_free([copy.destinations[0].account_id], slots, BERLIN, [], start)
    assert copy.scheduled_at == expected
    assert copy.scheduled_at.astimezone(BERLIN).strftime("%H:%M") in ("10:00", "16:00")
    # Finalizing again (a second worker, the reconciler) makes no second copy.
    await Runner(rt).after(original.id)
    assert await rt.publishing.finalize(original.id, rt.clock.now(), lambda _: None) is None
    assert await count_rows("scheduled_posts") == 2
    # ``evergreen stop``: the copy stays scheduled but will not come back.
    assert "will not come back" in await ask(slack, f"evergreen stop {str(copy.id)[:8]}")
    assert (await rt.posts.get(copy.id)).evergreen_days is None


async def _has(rt: Runtime, workspace_id: uuid.UUID, n: int) -> bool:
    posts: list[PostView] = await rt.posts.search(workspace_id)
    return len(posts) >= n


async def test_concurrent_queue_requests_take_distinct_slots_in_order(
    runtime: Runtime, mastodon: FakeMastodon
) -> None:
    rt = runtime
    ws, _ = await _weekday_queue(
        rt, "race", mastodon, "America/New_York", datetime(2027, 3, 10, 15, tzinfo=UTC),
        "mon-fri 9:00, 12:00",
    )  # fmt: skip
    account = (await rt.workspaces.accounts(ws.id))[0].id
    first = await next_free_slot(rt, ws.id, [account], rt.clock.now())
    assert first == datetime(2027, 3, 10, 17, tzinfo=UTC)  # today 12:00 EST

    async def queue(n: int) -> PostView:
        return await Scheduler(rt).schedule(
            ws.id, f"queue to mastodon: Race {n}", tz="America/New_York"
        )

    posts = await asyncio.gather(*(queue(n) for n in range(8)))
    times = sorted(p.scheduled_at for p in posts)
    assert len(set(times)) == 8
    local = [t.astimezone(ZoneInfo("America/New_York")).strftime("%a %H:%M") for t in times]
    assert local == [
        "Wed 12:00", "Thu 09:00", "Thu 12:00", "Fri 09:00", "Fri 12:00", "Mon 09:00",
        "Mon 12:00", "Tue 09:00",
    ]  # fmt: skip
    assert await next_free_slot(rt, ws.id, [account], rt.clock.now()) == datetime(
        2027, 3, 16, 16, tzinfo=UTC
    )


async def test_the_evergreen_copy_carries_versions_comment_and_media_once(
    runtime: Runtime, worker: object, mastodon: FakeMastodon
) -> None:
    rt = runtime
    ws = await rt.workspaces.ensure("green", "Europe/Berlin")
    account = await rt.workspaces.add_account(
        ws.id, "mastodon", "@outpost@fake.social", rt.cipher.encrypt("good-token"),
        base_url=mastodon.url,
    )  # fmt: skip
    [photo] = await photos(rt, ws.id, 1)
    await set_slots(rt, ws.id, "owner", [account.id], parse_slots("daily 9:00"))
    post = await rt.posts.create(
        NewPost(
            workspace_id=ws.id, user_id=None, content="Plain text",
            scheduled_at=rt.clock.now(), timezone="Europe/Berlin", account_ids=(account.id,),
            media_ids=(photo.id,), media_alts=("A red square",),
            variants={"mastodon": "The Mastodon version"}, first_comment="More in the thread",
            evergreen_days=7, queued=True,
        )
    )  # fmt: skip
    await queue_jobs(rt, [Job(d.id, d.revision, d.due_at) for d in post.destinations])
    await wait_for(lambda: _has(rt, ws.id, 2), timeout=30)
    assert "The Mastodon version" in str(mastodon.statuses[0])
    [copy] = [p for p in await rt.posts.search(ws.id) if p.id != post.id]
    assert (copy.content, copy.variants, copy.first_comment) == (
        "Plain text", {"mastodon": "The Mastodon version"}, "More in the thread",
    )  # fmt: skip
    assert [(m.id, m.alt) for m in copy.media] == [(photo.id, "A red square")]
    assert (copy.evergreen_days, copy.queued, copy.status) == (7, True, PostStatus.SCHEDULED)
    published = (await rt.posts.get(post.id)).destinations[0].published_at
    assert published is not None
    assert copy.scheduled_at >= published + timedelta(days=7)
    assert copy.scheduled_at < published + timedelta(days=8)
    assert copy.scheduled_at.astimezone(BERLIN).strftime("%H:%M") == "09:00"
    # Finalizing again, as a second worker or the reconciler would, makes no second copy.
    for _ in range(2):
        await Runner(rt).after(post.id)
    assert len(await rt.posts.search(ws.id)) == 2


async def test_a_queue_request_waits_for_a_reorder_holding_the_queue(
    runtime: Runtime, mastodon: FakeMastodon
) -> None:
    rt = runtime
    ws, scheduler = await _weekday_queue(rt, "held", mastodon)
    first = await scheduler.schedule(ws.id, "queue to mastodon: First", tz="Europe/Berlin")
    second = await scheduler.schedule(ws.id, "queue to mastodon: Second", tz="Europe/Berlin")
    await scheduler.cancel(ws.id, first.id)  # pull-forward is off: Thursday 9:00 is free
    async with rt.slots.holding(ws.id):
        late = asyncio.create_task(
            scheduler.schedule(ws.id, "queue to mastodon: Late", tz="Europe/Berlin")
        )
        await asyncio.sleep(0.3)  # room for it to run, were it not waiting for the lock
        assert not late.done()
        # What a reorder does under the lock: move a post into the free slot.
        await scheduler.reschedule(ws.id, second.id, first.scheduled_at, queued=None)
    made = await late
    # Not Thursday (free when it asked, taken by the move): Friday, which the move freed.
    assert (await rt.posts.get(second.id)).scheduled_at == first.scheduled_at
    assert made.scheduled_at == datetime(2027, 3, 26, 8, tzinfo=UTC)


async def test_a_swap_moves_both_or_neither_and_a_picked_time_leaves_the_queue(
    runtime: Runtime, mastodon: FakeMastodon
) -> None:
    rt = runtime
    ws, scheduler = await _weekday_queue(rt, "swaps", mastodon)
    a, b, c = [
        await scheduler.schedule(ws.id, f"queue to mastodon: {name}", tz="Europe/Berlin")
        for name in ("A", "B", "C")
    ]
    thu, fri, mon = a.scheduled_at, b.scheduled_at, c.scheduled_at
    assert (thu.day, fri.day, mon.day) == (25, 26, 29)
    # A swap read before one of its posts moved refuses, and neither post moves.
    with pytest.raises(Conflict):
        await rt.posts.swap(ws.id, (a.id, thu), (b.id, fri + timedelta(hours=1)))
    assert [(await rt.posts.get(p.id)).scheduled_at for p in (a, b)] == [thu, fri]
    down, up = await scheduler.move(ws.id, a.id, "down")
    assert (down.id, down.scheduled_at, up.id, up.scheduled_at) == (a.id, fri, b.id, thu)
    assert down.queued
    assert up.queued
    assert down.revision == a.revision + 1
    # A post a person moves to another of the queue's slots (a drag to another day) stays in
    # the queue; one given any other time (Edit time, a drag, PATCH) leaves it.
    kept = await scheduler.reschedule(ws.id, c.id, mon + timedelta(days=1))  # Tuesday 9:00
    assert kept.queued
    picked = await scheduler.reschedule(ws.id, c.id, mon + timedelta(hours=5))
    assert not picked.queued
    with pytest.raises(RequestProblem):
        await scheduler.move(ws.id, c.id, "up")
    # The queue's own moves keep it: pulled forward into B's slot after B is cancelled.
    await rt.slots.set_pull_forward(ws.id, True)
    await scheduler.cancel(ws.id, b.id)
    pulled = await rt.posts.get(a.id)
    assert (pulled.scheduled_at, pulled.queued) == (thu, True)
    # Thursday 9:00 a week on, after the change to summer time: a slot.
    next_thursday = datetime(2027, 4, 1, 9, tzinfo=BERLIN)
    kept = await edits.revise(scheduler, ws.id, a.id, Change(when=next_thursday))
    assert kept.queued
    changed = await edits.revise(scheduler, ws.id, a.id, Change(when=thu + timedelta(hours=1)))
    assert not changed.queued


async def _weekday_queue(
    rt: Runtime, name: str, mastodon: FakeMastodon, zone: str = "Europe/Berlin",
    now: datetime = datetime(2027, 3, 24, 13, tzinfo=UTC), slots: str = "mon-fri 9:00",
) -> tuple[WorkspaceView, Scheduler]:  # fmt: skip
    """A workspace with one Mastodon account and the workspace's ``slots``, at ``now`` (by
    default a Wednesday, 14:00 in Berlin)."""
    ws = await rt.workspaces.ensure(name, zone)
    await rt.workspaces.add_account(
        ws.id, "mastodon", "@outpost@fake.social", rt.cipher.encrypt("good-token"),
        base_url=mastodon.url,
    )  # fmt: skip
    set_clock(rt, now)
    await set_slots(rt, ws.id, "owner", [None], parse_slots(slots))
    return ws, Scheduler(rt)
