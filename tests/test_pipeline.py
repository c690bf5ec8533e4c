"""A post goes from Postgres through a real arq worker to a fake network, exactly once."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest

from core.errors import Conflict, RequestProblem
from scheduler.runtime import Runtime
from scheduler.service import Scheduler
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.webhook_receiver import FakeWebhookReceiver
from tests.helpers import count_rows, destination_rows, team
from tests.support import wait_for


async def test_post_reaches_mastodon_once_on_time(
    runtime: Runtime, worker: object, mastodon: FakeMastodon
) -> None:
    crew = await team(runtime, mastodon_url=mastodon.url)
    due = runtime.clock.now() + timedelta(seconds=2)
    post = await Scheduler(runtime).schedule_fields(
        crew.workspace.id, text="Launching today 🚀", when=due, destinations=["mastodon"]
    )
    assert post.status == "scheduled"

    async def published() -> bool:
        return (await runtime.posts.get(post.id)).status == "published"

    await wait_for(published, timeout=10)
    assert len(mastodon.statuses) == 1
    created = [r for r in mastodon.requests if r.path == "/api/v1/statuses"]
    assert len(created) == 1
    late = created[0].at - due.timestamp()
    assert -0.05 <= late < 1.0, f"published {late:.3f} s from its time"
    final = await runtime.posts.get(post.id)
    dest = final.destinations[0]
    assert dest.status == "success"
    assert dest.platform_post_id == mastodon.statuses[0]["id"]
    assert dest.platform_url == mastodon.statuses[0]["url"]
    assert created[0].headers["Idempotency-Key"] == dest.idempotency_key
    assert created[0].headers["Authorization"] == "Bearer good-token"


async def test_two_destinations_and_text_with_colons(
    runtime: Runtime, worker: object, mastodon: FakeMastodon, receiver: FakeWebhookReceiver
) -> None:
    crew = await team(
        runtime,
        mastodon_url=mastodon.url,
        webhook_url=receiver.url,
        webhook_secret=receiver.secret,
    )
    post = await Scheduler(runtime).schedule(
        crew.workspace.id,
        "now to mastodon, zapier: Doors open: see https://example.com",
        tz="Europe/Berlin",
    )
    assert post.content == "Doors open: see https://example.com"

    async def done() -> bool:
        return (await runtime.posts.get(post.id)).status == "published"

    await wait_for(done, timeout=10)
    assert [s["text"] for s in mastodon.statuses] == [post.content]
    assert len(receiver.deliveries) == 1
    assert receiver.deliveries[0]["body"]["data"]["text"] == post.content, receiver.deliveries
    assert receiver.rejected == []


@pytest.mark.parametrize(
    ("request_text", "needle"),
    [
        ("yesterday 9am to mastodon: too late", "past"),
        ("tomorrow 9am to myspace: hello", "myspace"),
        ("tomorrow 9am to mastodon: " + "x" * 600, "500"),
        ("to mastodon: no time at all", "time"),
    ],
)
async def test_bad_requests_store_nothing(
    runtime: Runtime, mastodon: FakeMastodon, request_text: str, needle: str
) -> None:
    crew = await team(runtime, mastodon_url=mastodon.url)
    with pytest.raises(RequestProblem) as caught:
        await Scheduler(runtime).schedule(crew.workspace.id, request_text, tz="Europe/Berlin")
    assert needle in str(caught.value).lower()
    assert caught.value.hint  # an example that works
    assert await count_rows("scheduled_posts") == 0
    assert await count_rows("post_destinations") == 0
    assert await runtime.redis.zcard(runtime.settings.queue_name) == 0


async def test_unknown_destination_lists_connected_accounts(
    runtime: Runtime, mastodon: FakeMastodon
) -> None:
    crew = await team(runtime, mastodon_url=mastodon.url)
    with pytest.raises(RequestProblem) as caught:
        await Scheduler(runtime).schedule(crew.workspace.id, "tomorrow 9am to x: hi", tz="UTC")
    assert "mastodon:@outpost@fake.social" in str(caught.value)


async def test_cancel_while_queued_sends_nothing(
    runtime: Runtime, worker: object, mastodon: FakeMastodon
) -> None:
    crew = await team(runtime, mastodon_url=mastodon.url)
    scheduler = Scheduler(runtime)
    due = runtime.clock.now() + timedelta(seconds=1)
    post = await scheduler.schedule_fields(
        crew.workspace.id, text="never", when=due, destinations=["mastodon"]
    )
    cancelled = await scheduler.cancel(crew.workspace.id, post.id)
    assert cancelled.status == "cancelled"
    assert cancelled.destinations[0].status == "cancelled"
    await asyncio.sleep(2.0)
    assert mastodon.statuses == []
    with pytest.raises(Conflict):
        await scheduler.cancel(crew.workspace.id, post.id)


async def test_reschedule_while_queued_publishes_once_at_new_time(
    runtime: Runtime, worker: object, mastodon: FakeMastodon
) -> None:
    crew = await team(runtime, mastodon_url=mastodon.url)
    scheduler = Scheduler(runtime)
    first = runtime.clock.now() + timedelta(seconds=1)
    post = await scheduler.schedule_fields(
        crew.workspace.id, text="moved", when=first, destinations=["mastodon"]
    )
    later = runtime.clock.now() + timedelta(seconds=2.5)
    moved = await scheduler.reschedule(crew.workspace.id, post.id, later)
    assert moved.destinations[0].revision == 1

    async def done() -> bool:
        return (await runtime.posts.get(post.id)).status == "published"

    await wait_for(done, timeout=10)
    assert len(mastodon.statuses) == 1
    sent_at = next(r.at for r in mastodon.requests if r.path == "/api/v1/statuses")
    assert sent_at >= later.timestamp() - 0.05


async def test_edit_changes_what_is_sent(
    runtime: Runtime, worker: object, mastodon: FakeMastodon
) -> None:
    crew = await team(runtime, mastodon_url=mastodon.url)
    scheduler = Scheduler(runtime)
    post = await scheduler.schedule_fields(
        crew.workspace.id,
        text="typo",
        when=runtime.clock.now() + timedelta(seconds=1),
        destinations=["mastodon"],
    )
    await scheduler.edit(crew.workspace.id, post.id, "fixed")
    with pytest.raises(RequestProblem):
        await scheduler.edit(crew.workspace.id, post.id, "y" * 501)

    async def done() -> bool:
        return (await runtime.posts.get(post.id)).status == "published"

    await wait_for(done, timeout=10)
    assert [s["text"] for s in mastodon.statuses] == ["fixed"]


async def test_other_workspace_cannot_touch_post(runtime: Runtime, mastodon: FakeMastodon) -> None:
    crew = await team(runtime, mastodon_url=mastodon.url)
    other = await runtime.workspaces.create("other", "UTC")
    post = await Scheduler(runtime).schedule_fields(
        crew.workspace.id,
        text="mine",
        when=runtime.clock.now() + timedelta(hours=1),
        destinations=["mastodon"],
    )
    from core.errors import NotFound

    with pytest.raises(NotFound):
        await Scheduler(runtime).cancel(other.id, post.id)
    assert (await runtime.posts.get(post.id)).status == "scheduled"


async def test_attempt_row_written_for_each_call(
    runtime: Runtime, worker: object, mastodon: FakeMastodon
) -> None:
    crew = await team(runtime, mastodon_url=mastodon.url)
    mastodon.fail_next("500")
    post = await Scheduler(runtime).schedule_fields(
        crew.workspace.id,
        text="second time lucky",
        when=runtime.clock.now(),
        destinations=["mastodon"],
    )

    async def done() -> bool:
        return (await runtime.posts.get(post.id)).status == "published"

    await wait_for(done, timeout=15)
    assert await count_rows("publish_attempts") == 2
    rows = await destination_rows()
    assert rows[0]["attempts"] == 2
    assert len(mastodon.statuses) == 1
    assert time.time() > 0


async def test_recurring_post_schedules_its_next_occurrence_once(
    runtime: Runtime, worker: object, mastodon: FakeMastodon
) -> None:
    from zoneinfo import ZoneInfo

    from scheduler.publishing.runner import Runner
    from scheduler.publishing.tasks import Reconciler

    crew = await team(runtime, mastodon_url=mastodon.url)
    scheduler = Scheduler(runtime)
    post = await scheduler.schedule(
        crew.workspace.id, "every monday at 9:00 to mastodon: Weekly tip", tz="Europe/Berlin"
    )
    assert post.recurrence is not None
    assert "BYDAY=MO" in post.recurrence
    await scheduler.post_now(crew.workspace.id, post.id)

    async def published() -> bool:
        return (await runtime.posts.get(post.id)).status == "published"

    await wait_for(published, timeout=10)
    await Reconciler(runtime, Runner(runtime)).run_once()  # a second finalize adds nothing
    upcoming = await scheduler.list(crew.workspace.id, statuses=("scheduled",))
    assert len(upcoming) == 1
    following = upcoming[0]
    assert following.recurrence == post.recurrence
    assert following.series_id == post.id
    assert following.content == "Weekly tip"
    local = following.scheduled_at.astimezone(ZoneInfo("Europe/Berlin"))
    assert (local.weekday(), local.hour, local.minute) == (0, 9, 0)
    assert following.scheduled_at > runtime.clock.now()
    assert (await runtime.posts.get(post.id)).recurrence is None
    assert len(mastodon.statuses) == 1
