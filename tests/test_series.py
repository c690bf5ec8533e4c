"""Recurring series: every occurrence in a window, skip / edit / cancel one or all, and the
worker's next occurrence honouring skipped ones (issue #19)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.errors import Conflict, RequestProblem
from core.settings import Settings
from scheduler import series
from scheduler.calendar import window
from scheduler.occurrences import MAX_EXPANDED, following, is_occurrence, occurrences
from scheduler.publishing.queue import publish_job_id
from scheduler.runtime import Runtime, open_runtime
from scheduler.service import Scheduler
from scheduler.views import PostView
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import team
from tests.support import TestClock, make_settings, set_clock, wait_for

BERLIN = ZoneInfo("Europe/Berlin")
MONDAYS = "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0;BYSECOND=0"


def berlin(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2027, month, day, hour, 0, tzinfo=BERLIN)


async def _weekly(rt: Runtime, mastodon: FakeMastodon) -> PostView:
    """Monday 1 March 2027, noon: a Monday 09:00 series from 8 March on."""
    set_clock(rt, datetime(2027, 3, 1, 12, tzinfo=UTC))
    crew = await team(rt, mastodon_url=mastodon.url)
    post = await Scheduler(rt).schedule(
        crew.workspace.id, "every monday at 9:00 to mastodon: Weekly tip", tz="Europe/Berlin"
    )
    assert post.scheduled_at == berlin(3, 8)
    return post


async def _march(rt: Runtime, post: PostView) -> list[tuple[datetime, bool]]:
    start, end = berlin(3, 1, 0).astimezone(UTC), berlin(4, 1, 0).astimezone(UTC)
    items = await window(rt, post.workspace_id, start, end, "Europe/Berlin", per_day=4)
    assert all(i.recurring for i in items)
    return [(i.scheduled_at, i.virtual) for i in items]


def test_occurrences_keep_local_time_across_dst_and_the_interval_phase() -> None:
    rule = "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR;BYHOUR=17;BYMINUTE=0;BYSECOND=0"
    got = occurrences(rule, tz="Europe/Berlin", dtstart=berlin(3, 12, 17),
                      start=berlin(3, 1, 0), end=berlin(5, 1, 0))  # fmt: skip
    assert got == [berlin(3, 12, 17), berlin(3, 26, 17), berlin(4, 9, 17), berlin(4, 23, 17)]
    assert got[1].utcoffset() == timedelta(hours=1)  # before the change on 28 March
    assert got[2].utcoffset() == timedelta(hours=2)
    skipped = occurrences(rule, tz="Europe/Berlin", dtstart=berlin(3, 12, 17),
                          start=berlin(3, 1, 0), end=berlin(5, 1, 0),
                          exdates=[berlin(3, 26, 17).astimezone(UTC)])  # fmt: skip
    assert berlin(3, 26, 17) not in skipped
    assert len(skipped) == 3


def test_a_minutely_rule_is_capped_and_following_passes_over_skipped_ones() -> None:
    start = datetime(2027, 3, 1, tzinfo=UTC)
    many = occurrences("FREQ=MINUTELY;BYSECOND=0", tz="UTC", dtstart=start, start=start,
                       end=start + timedelta(days=31))  # fmt: skip
    assert len(many) == MAX_EXPANDED
    later = start + timedelta(days=3, hours=5, minutes=7)  # a window far from the start
    far = occurrences("FREQ=MINUTELY;BYSECOND=0", tz="UTC", dtstart=start, start=later,
                      end=later + timedelta(days=1))  # fmt: skip
    assert far[-1] == later + timedelta(minutes=MAX_EXPANDED - 1)
    assert is_occurrence("FREQ=MINUTELY;BYSECOND=0", tz="UTC", dtstart=start, at=later)
    skipped = [berlin(3, 15), berlin(3, 22)]
    assert following(MONDAYS, tz="Europe/Berlin", after=berlin(3, 8),
                     exdates=skipped) == berlin(3, 29)  # fmt: skip


async def test_the_month_draws_every_occurrence_and_leaves_out_a_skipped_one(
    runtime: Runtime, mastodon: FakeMastodon
) -> None:
    post = await _weekly(runtime, mastodon)
    assert await _march(runtime, post) == [
        (berlin(3, 8), False),
        (berlin(3, 15), True),
        (berlin(3, 22), True),
        (berlin(3, 29), True),  # after the DST change: still 09:00 in Berlin
    ]
    kept = await series.skip(runtime, post.workspace_id, post.id, berlin(3, 22))
    assert kept.scheduled_at == berlin(3, 8)  # a later one: the row stays where it is
    assert kept.exdates == (berlin(3, 22),)
    assert [at for at, _ in await _march(runtime, post)] == [
        berlin(3, 8), berlin(3, 15), berlin(3, 29)
    ]  # fmt: skip
    with pytest.raises(Conflict):
        await series.skip(runtime, post.workspace_id, post.id, berlin(3, 22))
    with pytest.raises(RequestProblem):  # a Tuesday is no occurrence of a Monday series
        await series.skip(runtime, post.workspace_id, post.id, berlin(3, 23))


@pytest.fixture
async def long_horizon(settings: Settings) -> AsyncIterator[Runtime]:
    """Jobs queued up to twenty days ahead, so a moved row's job is visible in Redis."""
    local = make_settings(settings.data_dir, queue_horizon_seconds=20 * 86400.0)
    async with open_runtime(local, TestClock()) as rt:
        yield rt


async def _job_ids(rt: Runtime) -> set[str]:
    members = await rt.redis.zrange(rt.settings.queue_name, 0, -1)
    return {m.decode() for m in members if m.startswith(b"pub:")}


async def test_skipping_the_next_occurrence_moves_the_row_and_its_job(
    long_horizon: Runtime, mastodon: FakeMastodon
) -> None:
    rt = long_horizon
    post = await _weekly(rt, mastodon)
    first = publish_job_id(post.destinations[0].id, post.destinations[0].revision)
    assert await _job_ids(rt) == {first}
    moved = await series.skip(rt, post.workspace_id, post.id)  # the next one: 8 March
    assert moved.scheduled_at == berlin(3, 15)
    assert moved.exdates == ()  # a skip behind the row is dropped: the series starts there
    assert moved.recurrence == post.recurrence
    dest = moved.destinations[0]
    assert dest.due_at == berlin(3, 15)
    assert dest.revision == post.destinations[0].revision + 1
    # The old job stays harmless (its revision is stale); the new revision's job is queued.
    assert publish_job_id(dest.id, dest.revision) in await _job_ids(rt)
    assert [at for at, _ in await _march(rt, post)] == [berlin(3, 15), berlin(3, 22), berlin(3, 29)]


async def test_edit_this_one_detaches_it_and_edit_all_changes_the_series(
    runtime: Runtime, mastodon: FakeMastodon
) -> None:
    post = await _weekly(runtime, mastodon)
    ws = post.workspace_id
    live, one = await series.edit_one(
        runtime, ws, post.id, berlin(3, 15), "Special edition", berlin(3, 15, 11)
    )
    assert (one.content, one.scheduled_at, one.recurrence) == (
        "Special edition", berlin(3, 15, 11), None
    )  # fmt: skip
    assert one.series_id == post.id
    assert one.status == "scheduled"
    assert [d.account_id for d in one.destinations] == [d.account_id for d in post.destinations]
    assert live.exdates == (berlin(3, 15),)
    assert live.content == "Weekly tip"
    march = await _march(runtime, post)
    assert march == [
        (berlin(3, 8), False),
        (berlin(3, 15, 11), False),  # the detached post, a row of its own
        (berlin(3, 22), True),
        (berlin(3, 29), True),
    ]
    with pytest.raises(RequestProblem, match="Mastodon allows 500"):
        await series.edit_one(runtime, ws, post.id, berlin(3, 22), "x" * 600, berlin(3, 22))
    assert (await runtime.posts.get(post.id)).exdates == (berlin(3, 15),)  # nothing half-done

    changed = await series.edit_all(
        runtime, ws, post.id, text="New weekly tip", repeat="every friday at 17:00"
    )
    assert changed.content == "New weekly tip"
    assert changed.recurrence is not None
    assert "BYDAY=FR" in changed.recurrence
    assert changed.scheduled_at == berlin(3, 5, 17)
    assert changed.destinations[0].due_at == berlin(3, 5, 17)
    with pytest.raises(RequestProblem):
        await series.edit_all(runtime, ws, post.id, repeat="tomorrow at 9")  # not a repeat
    assert (await runtime.posts.get(one.id)).content == "Special edition"  # untouched


async def test_cancel_all_ends_the_series_and_a_one_off_cannot_skip(
    runtime: Runtime, mastodon: FakeMastodon
) -> None:
    post = await _weekly(runtime, mastodon)
    await series.skip(runtime, post.workspace_id, post.id, berlin(3, 15))  # cancel this one
    cancelled = await Scheduler(runtime).cancel(post.workspace_id, post.id)  # cancel all
    assert cancelled.status == "cancelled"
    assert cancelled.recurrence is None
    start, end = berlin(3, 1, 0).astimezone(UTC), berlin(4, 1, 0).astimezone(UTC)
    items = await window(runtime, post.workspace_id, start, end, "Europe/Berlin")
    assert [(i.scheduled_at, i.status) for i in items] == [(berlin(3, 8), "cancelled")]
    with pytest.raises(RequestProblem, match="does not repeat"):
        await series.skip(runtime, post.workspace_id, post.id)


async def test_a_published_occurrence_leads_to_the_next_one_not_skipped(
    runtime: Runtime, worker: object, mastodon: FakeMastodon
) -> None:
    crew = await team(runtime, mastodon_url=mastodon.url)
    scheduler = Scheduler(runtime)
    post = await scheduler.schedule(
        crew.workspace.id, "every monday at 9:00 to mastodon: Weekly tip", tz="Europe/Berlin"
    )
    assert post.recurrence is not None
    second = following(post.recurrence, tz=post.timezone, after=post.scheduled_at)
    assert second is not None
    await series.skip(runtime, crew.workspace.id, post.id, second)  # a virtual one
    await scheduler.post_now(crew.workspace.id, post.id)

    async def published() -> bool:
        return (await runtime.posts.get(post.id)).status == "published"

    await wait_for(published, timeout=15)
    [nxt] = await scheduler.list(crew.workspace.id, statuses=("scheduled",))
    # post_now moved the row to now: its next occurrence would be ``post.scheduled_at``, and
    # after that the skipped one; the worker passed over the skipped one.
    assert nxt.scheduled_at == post.scheduled_at
    assert nxt.exdates == (second,)  # carried to the next row
    assert nxt.series_id == post.id
    await series.skip(runtime, crew.workspace.id, nxt.id)  # skip the next: moves past both
    moved = await runtime.posts.get(nxt.id)
    assert moved.scheduled_at == second + timedelta(days=7)
    assert moved.exdates == ()  # both skips are behind the row now: not kept for ever
    assert len(mastodon.statuses) == 1
