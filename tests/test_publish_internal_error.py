"""A bug of Outpost's in a publish attempt fails that attempt visibly and uses up the budget.

The network here is a Mastodon whose status answers carry ``url`` as an object (the API says
a string or null). The Mastodon publisher hands it on as the receipt's URL, which Postgres
cannot store: a genuine bug path in Outpost's code, not an error the network reported.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import asyncpg
import pytest
from prometheus_client import REGISTRY

from core.settings import Settings
from scheduler.runtime import Runtime, open_runtime
from scheduler.service import Scheduler
from scheduler.tasks import make_worker
from storage.db import _plain_dsn
from storage.views import DestinationView
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import team
from tests.support import TEST_DB, make_settings, wait_for

BUDGET = 3


class GarbledMastodon(FakeMastodon):
    """Creates statuses like Mastodon but answers ``url`` as an object."""

    def _make_status(self, body: dict[str, Any]) -> dict[str, Any]:
        status = super()._make_status(body)
        status["url"] = {"href": status["url"]}
        return status


@pytest.fixture
async def garbled() -> AsyncIterator[GarbledMastodon]:
    fake = GarbledMastodon()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def small_budget(settings: Settings) -> AsyncIterator[Runtime]:
    tight = make_settings(settings.data_dir, max_publish_attempts=BUDGET)
    async with open_runtime(tight) as rt:
        yield rt


def errors_counted(network: str) -> float:
    value = REGISTRY.get_sample_value("outpost_publish_errors_total", {"network": network})
    return value or 0.0


async def attempt_rows(dest_id: Any) -> list[Any]:
    conn = await asyncpg.connect(_plain_dsn(TEST_DB))
    try:
        return list(
            await conn.fetch(
                "SELECT * FROM publish_attempts WHERE destination_id = $1 ORDER BY number", dest_id
            )
        )
    finally:
        await conn.close()


async def _schedule(rt: Runtime, fake: FakeMastodon) -> Any:
    crew = await team(rt, mastodon_url=fake.url)
    return await Scheduler(rt).schedule_fields(
        crew.workspace.id, text="Hello", when=rt.clock.now(), destinations=["mastodon"]
    )


@asynccontextmanager
async def running_worker(rt: Runtime) -> AsyncIterator[None]:
    """A real arq worker in this event loop, stopped when the block ends."""
    instance = make_worker(rt, handle_signals=False)
    task = asyncio.create_task(instance.main())
    try:
        yield
    finally:
        task.cancel()
        jobs = [t for t in instance.tasks.values() if not t.done()]
        for job in jobs:
            job.cancel()
        with suppress(asyncio.CancelledError):
            await task
        await asyncio.gather(*jobs, return_exceptions=True)


async def _until_failed(rt: Runtime, post_id: Any) -> DestinationView:
    async with running_worker(rt):

        async def failed() -> bool:
            return (await rt.posts.get(post_id)).status == "failed"

        await wait_for(failed, timeout=40)
    return (await rt.posts.get(post_id)).destinations[0]


async def test_internal_error_fails_after_the_budget_logged_and_counted(
    small_budget: Runtime, garbled: GarbledMastodon, caplog: pytest.LogCaptureFixture
) -> None:
    rt = small_budget
    before = errors_counted("mastodon")
    caplog.set_level(logging.ERROR, logger="outpost.publish")
    post = await _schedule(rt, garbled)
    dest = await _until_failed(rt, post.id)
    assert dest.status == "failed"
    assert dest.error_code == "internal_error"
    assert dest.error_message == (
        f"Outpost hit an internal error publishing this and gave up after {BUDGET} attempts. "
        "Press Retry, or ask your Outpost operator to check the worker log if it keeps failing."
    )
    attempts = await attempt_rows(dest.id)
    assert [a["outcome"] for a in attempts] == ["pending"] * (BUDGET - 1) + ["failed"]
    assert [a["error_message"] for a in attempts[:-1]] == [
        f"Outpost hit an internal error publishing this; it will retry ({n} of {BUDGET})."
        for n in range(1, BUDGET)
    ]
    assert errors_counted("mastodon") - before == BUDGET
    logged = [r for r in caplog.records if r.name == "outpost.publish"]
    assert len(logged) == BUDGET
    assert all(r.levelno == logging.ERROR and r.exc_info for r in logged)
    assert "Traceback" in caplog.text
    assert "TypeError" in caplog.text
    assert "good-token" not in caplog.text
    # Mastodon dedupes on the Idempotency-Key: one status however often it was sent.
    assert len(garbled.statuses) == 1
    assert len({r.headers["Idempotency-Key"] for r in garbled.requests
                if r.path == "/api/v1/statuses"}) == 1  # fmt: skip


async def test_internal_error_retries_after_the_backoff(
    small_budget: Runtime, garbled: GarbledMastodon
) -> None:
    post = await _schedule(small_budget, garbled)
    dest = await _until_failed(small_budget, post.id)
    attempts = await attempt_rows(dest.id)
    assert len(attempts) == BUDGET
    # backoff(n) is 2 ** n seconds, jittered by at most 20 %: the next try waits at least that.
    for n, (earlier, later) in enumerate(itertools.pairwise(attempts), 1):
        waited = (later["started_at"] - earlier["finished_at"]).total_seconds()
        assert waited >= 0.8 * 2**n, (n, waited)
