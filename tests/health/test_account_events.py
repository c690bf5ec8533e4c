"""The scheduled checks tell the workspace's callback endpoints: ``account.needs_reconnect``
and ``account.check_failed``, signed, once a day per account and event."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import suppress

import pytest

from scheduler.health.watch import daily_checks, due_soon_checks
from scheduler.hooks.callbacks import CALLBACK_FUNCTIONS, signing_secret
from scheduler.publishing.tasks import make_worker
from scheduler.runtime import Runtime
from scheduler.service import Scheduler
from tests.fakes import FakeMastodon, FakeWebhookReceiver
from tests.fakes.linkedin import FakeLinkedIn
from tests.helpers import count_rows
from tests.support import wait_for


@pytest.fixture
async def linkedin() -> AsyncIterator[FakeLinkedIn]:
    fake = FakeLinkedIn()
    await fake.start()
    yield fake
    await fake.stop()


async def test_failed_checks_reach_the_callback_endpoints_once(
    runtime: Runtime, mastodon: FakeMastodon, linkedin: FakeLinkedIn,
    receiver: FakeWebhookReceiver,
) -> None:  # fmt: skip
    rt = runtime
    ws = await rt.workspaces.create("acme", "UTC")
    masto = await rt.workspaces.add_account(
        ws.id, "mastodon", "@outpost@fake.social", rt.cipher.encrypt("good-token"),
        base_url=mastodon.url,
    )  # fmt: skip
    await rt.workspaces.add_account(
        ws.id, "linkedin", "acme-corp", rt.cipher.encrypt("li-token"), base_url=linkedin.url,
        settings={"author": f"urn:li:organization:{linkedin.org_id}"},
    )  # fmt: skip
    await rt.callbacks.add_endpoint(ws.id, receiver.url + "/outpost")
    receiver.secret = await signing_secret(rt, ws.id)
    await Scheduler(rt).schedule(ws.id, "in 5 hours to mastodon: Doors open", tz="UTC")

    mastodon.tokens.clear()
    linkedin.today = linkedin.today.replace(year=2027, month=4)  # 202603 sunset
    await due_soon_checks(rt)
    await daily_checks(rt)  # the same verdicts the same day: no second event
    # Recorded once each (the dedupe key holds the day), beside the post's own post.scheduled,
    # then delivered by a real worker.
    assert await count_rows("api_callback_deliveries") == 3
    worker = make_worker(rt, handle_signals=False, extra_functions=CALLBACK_FUNCTIONS)
    task = asyncio.create_task(worker.main())
    try:

        async def delivered() -> bool:
            return len(receiver.deliveries) == 3

        await wait_for(delivered, timeout=30)
    finally:
        # As tests/conftest.py's worker: the pool is the runtime's, so it is not closed here.
        task.cancel()
        jobs = [t for t in worker.tasks.values() if not t.done()]
        for job in jobs:
            job.cancel()
        with suppress(asyncio.CancelledError):
            await task
        await asyncio.gather(*jobs, return_exceptions=True)

    events = {d["body"]["type"]: d["body"] for d in receiver.deliveries}
    assert sorted(events) == ["account.check_failed", "account.needs_reconnect", "post.scheduled"]
    assert receiver.rejected == []  # signed with the workspace's secret
    revoked = events["account.needs_reconnect"]["data"]
    assert revoked["account_id"] == str(masto.id)
    assert (revoked["platform"], revoked["handle"]) == ("mastodon", "@outpost@fake.social")
    assert revoked["status"] == "reconnect"
    outdated = events["account.check_failed"]["data"]
    assert (outdated["platform"], outdated["status"]) == ("linkedin", "needs an update")
    assert "update Outpost" in outdated["next"]
    for delivery in receiver.deliveries:
        assert "good-token" not in str(delivery["body"])
        assert "/connect/" not in str(delivery["body"])
