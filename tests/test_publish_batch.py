"""Claims and outcomes made by concurrent jobs go out together and keep their own guards."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from scheduler.runtime import Runtime
from scheduler.service import Scheduler
from storage.publishing import Outcome
from tests.helpers import team


async def test_a_batch_claims_only_what_is_due_pending_and_at_its_revision(
    runtime: Runtime,
) -> None:
    crew = await team(runtime, mastodon_url="http://127.0.0.1:9", webhook_url="http://127.0.0.1:9")
    now = runtime.clock.now()
    scheduler = Scheduler(runtime)
    due = [
        await scheduler.schedule_fields(
            crew.workspace.id,
            text=f"due {i}",
            when=now + timedelta(seconds=1),
            destinations=["mastodon", "webhook"],
        )
        for i in range(5)
    ]
    later = await scheduler.schedule_fields(
        crew.workspace.id, text="later", when=now + timedelta(hours=1), destinations=["mastodon"]
    )
    at = now + timedelta(seconds=2)
    lease = at + timedelta(minutes=1)
    keys = [(d.id, d.revision) for p in due for d in p.destinations]
    stale = due[0].destinations[0]
    asks = [
        *(runtime.publishing.claim(i, r, at, lease, "w1") for i, r in keys),
        runtime.publishing.claim(keys[1][0], keys[1][1], at, lease, "w1"),  # asked twice
        runtime.publishing.claim(stale.id, stale.revision + 1, at, lease, "w1"),  # old job
        runtime.publishing.claim(later.destinations[0].id, 0, at, lease, "w1"),  # not due
    ]
    claims = await asyncio.gather(*asks)
    got = claims[: len(keys)]
    assert all(c is not None for c in got)
    assert claims[len(keys) :] == [None, None, None]
    for (dest_id, _), claim in zip(keys, got, strict=True):
        assert claim is not None
        assert claim.destination.id == dest_id
        assert claim.destination.status == "publishing"
        assert claim.attempt_number == 1
        assert claim.post.status == "publishing"
        assert claim.account.id == claim.destination.account_id
    assert len({c.attempt_id for c in got if c is not None}) == len(keys)
    # A second round finds nothing left to claim.
    again = await asyncio.gather(
        *(runtime.publishing.claim(i, r, at, lease, "w2") for i, r in keys)
    )
    assert again == [None] * len(keys)


async def test_outcomes_in_one_batch_finalize_each_post_once_and_fence_stale_claims(
    runtime: Runtime,
) -> None:
    crew = await team(runtime, mastodon_url="http://127.0.0.1:9", webhook_url="http://127.0.0.1:9")
    now = runtime.clock.now()
    scheduler = Scheduler(runtime)
    posts = [
        await scheduler.schedule_fields(
            crew.workspace.id, text=f"p{i}", when=now, destinations=["mastodon", "webhook"]
        )
        for i in range(3)
    ]
    at = now + timedelta(seconds=2)
    lease = at + timedelta(minutes=1)
    claims = await asyncio.gather(
        *(
            runtime.publishing.claim(d.id, d.revision, at, lease, "w")
            for p in posts
            for d in p.destinations
        )
    )
    assert all(c is not None for c in claims)
    a0, b0, a1, b1, a2, b2 = [c for c in claims if c is not None]
    later = at + timedelta(seconds=1)
    # a2's worker was presumed dead (the reconciler's move): its late outcome must not count.
    assert await runtime.publishing.settle(a2.destination.id, "publishing", "unknown", later)
    done = await asyncio.gather(
        runtime.publishing.finish(Outcome(a0, "success", later, remote_id="1", url="u1")),
        runtime.publishing.finish(Outcome(b0, "success", later, remote_id="2", url="u2")),
        runtime.publishing.finish(Outcome(a1, "success", later, remote_id="3", url="u3")),
        runtime.publishing.finish(Outcome(b1, "failed", later, code="content_rejected")),
        runtime.publishing.finish(Outcome(a2, "success", later, remote_id="5", url="u5")),
        runtime.publishing.finish(
            Outcome(b2, "pending", later, code="server_error", due_at=later + timedelta(seconds=9))
        ),
    )
    assert [d.won for d in done] == [True, True, True, True, False, True]
    assert done[0].post_status == done[1].post_status == "published"
    assert done[2].post_status == done[3].post_status == "partially_published"
    assert done[4].post_status is None
    assert done[5].post_status is None
    first = await runtime.posts.get(posts[0].id)
    assert first.status == "published"
    assert first.revision == done[0].post_revision
    assert {d.platform_post_id for d in first.destinations} == {"1", "2"}
    third = await runtime.posts.get(posts[2].id)
    states = {d.id: d for d in third.destinations}
    assert states[a2.destination.id].status == "unknown"  # fenced: the late success is ignored
    assert states[b2.destination.id].status == "pending"
    assert states[b2.destination.id].due_at == later + timedelta(seconds=9)
    assert third.status == "publishing"
