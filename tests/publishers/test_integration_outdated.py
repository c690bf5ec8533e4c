"""A network refusing the API version Outpost uses: told to the person, the operator, metrics."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY

from core.settings import Settings
from scheduler.runtime import Runtime
from scheduler.service import Scheduler
from tests.fakes.linkedin import FakeLinkedIn
from tests.support import wait_for


@pytest.fixture
async def linkedin() -> AsyncIterator[FakeLinkedIn]:
    fake = FakeLinkedIn()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def settings(settings: Settings) -> Settings:
    # An Outpost whose LinkedIn version LinkedIn has since retired (sunset 2025-11-17).
    return settings.model_copy(update={"linkedin_version": "202411"})


def _outdated() -> float:
    value = REGISTRY.get_sample_value("outpost_integration_outdated_total", {"network": "linkedin"})
    return value or 0.0


async def test_linkedin_426_says_outpost_needs_an_update(
    runtime: Runtime, worker: object, linkedin: FakeLinkedIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="outpost.publish")
    before = _outdated()
    ws = await runtime.workspaces.create("acme", "UTC")
    await runtime.workspaces.add_account(
        ws.id, "linkedin", "ada", runtime.cipher.encrypt("li-token"), base_url=linkedin.url,
        settings={"author": f"urn:li:person:{linkedin.person_id}", "web_url": linkedin.url},
    )  # fmt: skip
    post = await Scheduler(runtime).schedule_fields(
        ws.id, text="Hello", when=runtime.clock.now() + timedelta(seconds=1),
        destinations=["linkedin"],
    )  # fmt: skip

    async def failed() -> bool:
        return (await runtime.posts.get(post.id)).status == "failed"

    await wait_for(failed, timeout=10)
    [dest] = (await runtime.posts.get(post.id)).destinations
    assert dest.error_code == "needs_update"
    assert dest.error_message is not None
    assert dest.error_message.startswith("Outpost needs an update for LinkedIn")
    assert "the operator has been told" in dest.error_message
    assert "Edit the post" not in dest.error_message
    assert linkedin.posts == []
    [record] = [r for r in caplog.records if r.name == "outpost.publish"]
    assert record.levelno == logging.ERROR
    assert getattr(record, "network", None) == "linkedin"
    assert "20241100 is not active" in getattr(record, "refused", "")
    assert "li-token" not in record.getMessage() + str(record.__dict__)
    assert _outdated() == before + 1
