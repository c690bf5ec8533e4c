"""A token Outpost cannot renew: the workspace hears 7 days and 1 day before it lapses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from scheduler.health.watch import daily_checks
from scheduler.service import Scheduler
from tests.fakes.linkedin import FakeLinkedIn
from tests.health.conftest import Chat
from tests.support import set_clock

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
EXPIRES = T0 + timedelta(days=6, hours=12)


@pytest.fixture
async def linkedin() -> AsyncIterator[FakeLinkedIn]:
    fake = FakeLinkedIn()
    await fake.start()
    yield fake
    await fake.stop()


async def test_unrenewable_token_is_warned_at_7_days_and_1_day_once_each(
    chat: Chat, linkedin: FakeLinkedIn
) -> None:
    rt = chat.rt
    set_clock(rt, T0 - timedelta(days=2))
    ws = await rt.workspaces.create("acme", "UTC")
    # A self-serve LinkedIn app gets a 60-day token and no refresh token.
    await rt.accounts.connect(
        ws.id, "linkedin", "ada", rt.cipher.encrypt("li-token"), expires_at=EXPIRES,
        base_url=linkedin.url,
    )  # fmt: skip
    await Scheduler(rt).schedule(
        ws.id, "in 30 days to linkedin: Hiring", tz="UTC", origin=chat.origin()
    )
    assert await daily_checks(rt) == {"ok": 1}
    assert chat.replies("reconnecting soon") == []  # 8.5 days left: too early

    set_clock(rt, T0)
    await daily_checks(rt)
    await daily_checks(rt)  # a second look the same week says nothing new
    [week] = chat.replies("reconnecting soon")
    assert "linkedin:ada" in week["text"]
    assert "less than 7 days" in week["text"]
    assert "2026-12-13 21:00 UTC" in week["text"]
    assert f"{rt.settings.base_url}/connect/linkedin?link=" in week["text"]
    assert "li-token" not in week["text"]

    set_clock(rt, EXPIRES - timedelta(hours=20))
    await daily_checks(rt)
    await daily_checks(rt)
    warnings = chat.replies("reconnecting soon")
    assert len(warnings) == 2
    assert "less than 1 day" in warnings[1]["text"]
    assert linkedin.posts == []
