"""The weekly digest's content: the week ahead, last week's failures and why, and the accounts
needing attention (real worker, Postgres, Redis and a fake Mastodon)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scheduler.health.digest import weekly_digest
from scheduler.runtime import Runtime
from scheduler.service import Scheduler
from tests.fakes.mastodon import FakeMastodon
from tests.support import set_clock, wait_for

T0 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


async def test_digest_lists_the_week_ahead_last_weeks_failures_and_accounts_to_fix(
    runtime: Runtime, worker: object, mastodon: FakeMastodon
) -> None:
    rt = runtime
    ws = await rt.workspaces.create("acme", "UTC")
    await rt.workspaces.add_account(
        ws.id, "mastodon", "@outpost@fake.social", rt.cipher.encrypt("good-token"),
        base_url=mastodon.url,
    )  # fmt: skip
    scheduler = Scheduler(rt)
    set_clock(rt, T0 - timedelta(days=3))
    mastodon.fail_next("422")  # the instance refuses the post
    refused = await scheduler.schedule(ws.id, "now to mastodon: Launch day", tz="UTC")

    async def failed() -> bool:
        return (await rt.posts.get(refused.id)).status == "failed"

    await wait_for(failed)
    set_clock(rt, T0)
    await scheduler.schedule(ws.id, "in 2 days to mastodon: Webinar reminder", tz="UTC")
    await scheduler.schedule(ws.id, "in 10 days to mastodon: Far off", tz="UTC")
    mastodon.tokens.clear()

    digest = await weekly_digest(rt, ws.id)
    text = digest.text("UTC")
    assert [p.content for p in digest.upcoming] == ["Webinar reminder"]
    assert "The week ahead: 1 post(s) scheduled" in text
    assert "Wed 09 Dec 08:00 → mastodon:@outpost@fake.social: Webinar reminder" in text
    assert "Far off" not in text
    assert [p.id for p in digest.failed] == [refused.id]
    assert "Last week: 1 post(s) did not fully go out" in text
    assert "mastodon:@outpost@fake.social: Mastodon answered 422: Validation failed" in text
    assert "Accounts needing attention:" in text
    assert f"{rt.settings.base_url}/connect/mastodon?link=" in text
    assert "good-token" not in text
