"""The fake network misbehaves; every post still ends published exactly once or failed."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from scheduler.runtime import Runtime
from scheduler.service import Scheduler
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import Team, team
from tests.support import wait_for


async def _publish_one(runtime: Runtime, mastodon: FakeMastodon, text: str = "hello") -> str:
    crew = await team(runtime, mastodon_url=mastodon.url)
    post = await Scheduler(runtime).schedule_fields(
        crew.workspace.id, text=text, when=runtime.clock.now(), destinations=["mastodon"]
    )

    async def finished() -> bool:
        status = (await runtime.posts.get(post.id)).status
        return status in ("published", "failed")

    await wait_for(finished, timeout=20)
    return (await runtime.posts.get(post.id)).status


async def test_429_waits_for_the_reset(
    runtime: Runtime, worker: object, mastodon: FakeMastodon
) -> None:
    mastodon.fail_next("429", reset=2.0)
    started = time.time()
    assert await _publish_one(runtime, mastodon) == "published"
    creates = [r for r in mastodon.requests if r.path == "/api/v1/statuses"]
    assert len(creates) == 2
    assert creates[1].at - creates[0].at >= 1.9
    assert mastodon.sent_before_reset() == 0
    assert len(mastodon.statuses) == 1
    assert time.time() - started < 10


@pytest.mark.parametrize("kind", ["500", "500_after_create", "timeout", "drop", "503"])
async def test_transient_and_ambiguous_faults_post_once(
    runtime: Runtime, worker: object, mastodon: FakeMastodon, kind: str
) -> None:
    mastodon.fail_next(kind, delay=5)
    assert await _publish_one(runtime, mastodon) == "published"
    assert len(mastodon.statuses) == 1
    keys = mastodon.created_keys()
    assert len(keys) == len(set(keys)) == 1


@pytest.mark.parametrize(
    ("kind", "code", "advice"),
    [("401", "auth_revoked", "Reconnect"), ("422", "content_rejected", "Edit the post")],
)
async def test_permanent_faults_fail_with_reason(
    runtime: Runtime, worker: object, mastodon: FakeMastodon, kind: str, code: str, advice: str
) -> None:
    mastodon.fail_next(kind)
    assert await _publish_one(runtime, mastodon) == "failed"
    assert mastodon.statuses == []
    crew_posts = await runtime.publishing.unnotified()
    assert len(crew_posts) <= 1
    rows = [r for r in mastodon.requests if r.path == "/api/v1/statuses"]
    assert len(rows) == 1  # no retry of a permanent error
    from tests.helpers import destination_rows

    dest = (await destination_rows())[0]
    assert dest["error_code"] == code
    assert advice in dest["error_message"]


async def test_retry_after_failure_publishes(
    runtime: Runtime, worker: object, mastodon: FakeMastodon
) -> None:
    mastodon.fail_next("401")
    crew = await team(runtime, mastodon_url=mastodon.url)
    scheduler = Scheduler(runtime)
    post = await scheduler.schedule_fields(
        crew.workspace.id, text="again", when=runtime.clock.now(), destinations=["mastodon"]
    )

    async def status_is(value: str) -> bool:
        return (await runtime.posts.get(post.id)).status == value

    await wait_for(lambda: status_is("failed"), timeout=10)
    accounts = await runtime.workspaces.accounts(crew.workspace.id)
    assert [a.status for a in accounts] == ["reconnect"]  # a 401 asks the person to reconnect
    await team_reconnect(runtime, crew)
    await scheduler.retry(crew.workspace.id, post.id)
    await wait_for(lambda: status_is("published"), timeout=10)
    assert len(mastodon.statuses) == 1


async def team_reconnect(runtime: Runtime, crew: Team) -> None:
    """What the connect flow does: store a fresh token, which makes the account active."""
    acc = crew.accounts["mastodon"]
    await runtime.workspaces.add_account(
        crew.workspace.id, "mastodon", acc.handle, runtime.cipher.encrypt("good-token"),
        base_url=acc.base_url,
    )


async def test_gives_up_after_max_attempts(
    runtime: Runtime, worker: object, mastodon: FakeMastodon
) -> None:
    runtime.settings.max_publish_attempts = 2
    mastodon.fail_next("503", count=5)
    crew = await team(runtime, mastodon_url=mastodon.url)
    post = await Scheduler(runtime).schedule_fields(
        crew.workspace.id, text="doomed", when=runtime.clock.now(), destinations=["mastodon"]
    )

    async def failed() -> bool:
        return (await runtime.posts.get(post.id)).status == "failed"

    await wait_for(failed, timeout=20)
    dest = (await runtime.posts.get(post.id)).destinations[0]
    assert dest.error_message is not None
    assert "Gave up after 2 attempts" in dest.error_message
    assert runtime.clock.now() - dest.due_at < timedelta(seconds=30)


async def test_rate_limits_do_not_use_up_the_attempt_budget(
    runtime: Runtime, worker: object, mastodon: FakeMastodon
) -> None:
    runtime.settings.max_publish_attempts = 2
    mastodon.fail_next("429", count=3, reset=0.3)
    assert await _publish_one(runtime, mastodon) == "published"
    creates = [r for r in mastodon.requests if r.path == "/api/v1/statuses"]
    assert len(creates) == 4
    assert mastodon.sent_before_reset() == 0
    assert len(mastodon.statuses) == 1


async def test_rate_limits_do_not_lengthen_the_backoff_after_a_failure(
    runtime: Runtime, worker: object, mastodon: FakeMastodon
) -> None:
    # Four 429s then one 500: the retry after the 500 is its first backoff (about 2 s),
    # not the fifth attempt's (about 32 s).
    mastodon.fail_next("429", count=4, reset=0.2)
    mastodon.fail_next("500")
    assert await _publish_one(runtime, mastodon) == "published"
    creates = [r for r in mastodon.requests if r.path == "/api/v1/statuses"]
    assert len(creates) == 6
    assert creates[5].at - creates[4].at < 5.0
    assert len(mastodon.statuses) == 1
