"""A bug of Outpost's in a publish attempt fails that attempt visibly and uses up the budget.

The first network is a Mastodon whose status answers carry ``url`` as an object (the API says
a string or null). The Mastodon publisher hands it on as the receipt's URL, which Postgres
cannot store: a genuine bug path in Outpost's code, not an error the network reported.

Where resending could post twice, an outcome Outpost cannot read is looked up, not resent
blind, and a post that never turns up stops after the attempt budget instead of looping.
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
from aiohttp import web
from prometheus_client import REGISTRY

from core.settings import Settings
from scheduler.publishing.tasks import make_worker
from scheduler.runtime import Runtime, open_runtime
from scheduler.service import Scheduler
from storage.db import _plain_dsn
from storage.views import DestinationView
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.slack import FakeSlack
from tests.fakes.telegram import TOKEN, FakeTelegram
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


CHANNEL = -1009876543210


class UnreadableTelegram(FakeTelegram):
    """Answers sendMessage with an ``error_code`` that is not a number (the Bot API sends an
    integer), which Outpost's error reading cannot take."""

    async def _sendMessage(self, params: dict[str, Any]) -> web.Response:
        body = {"ok": False, "error_code": "E400", "description": "Bad Request: try later"}
        return web.json_response(body, status=400)


@pytest.fixture
async def telegram() -> AsyncIterator[UnreadableTelegram]:
    fake = UnreadableTelegram()
    fake.add_chat(CHANNEL, "channel", title="Outpost News", username="outpostnews")
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    yield fake
    await fake.stop()


async def _post_to(rt: Runtime, platform: str, handle: str, token: str, **account: Any) -> Any:
    ws = await rt.workspaces.create("acme", "UTC")
    await rt.workspaces.add_account(ws.id, platform, handle, rt.cipher.encrypt(token), **account)
    return await Scheduler(rt).schedule_fields(
        ws.id, text="Doors open", when=rt.clock.now(), destinations=[platform]
    )


async def _final(rt: Runtime, post_id: Any) -> Any:
    async with running_worker(rt):

        async def done() -> bool:
            return (await rt.posts.get(post_id)).status == "failed"

        await wait_for(done, timeout=40)
    return (await rt.posts.get(post_id)).destinations[0]


async def test_an_unreadable_answer_from_a_network_that_does_not_dedupe_is_not_resent(
    small_budget: Runtime,
    telegram: UnreadableTelegram,
    caplog: pytest.LogCaptureFixture,
) -> None:
    rt = small_budget
    before = errors_counted("telegram")
    caplog.set_level(logging.ERROR, logger="outpost.publish")
    post = await _post_to(
        rt, "telegram", "@outpostnews", TOKEN, base_url=telegram.url + "/bot",
        settings={"chat_id": CHANNEL, "username": "outpostnews"},
    )  # fmt: skip
    dest = await _final(rt, post.id)
    assert dest.error_code == "ambiguous"
    assert dest.error_message == (
        "Outpost hit an internal error publishing this, and it may have been published. "
        "Check @outpostnews before pressing Retry."
    )
    assert len([r for r in telegram.requests if r.path.endswith("/sendMessage")]) == 1
    assert [a["outcome"] for a in await attempt_rows(dest.id)] == ["unknown"]
    assert errors_counted("telegram") - before == 1
    assert "ValueError" in caplog.text
    assert TOKEN not in caplog.text


async def test_a_post_never_confirmed_nor_found_stops_after_the_budget(
    small_budget: Runtime,
    slack: FakeSlack,
) -> None:
    rt = small_budget
    slack.fail_next("500", count=50)
    post = await _post_to(
        rt, "slack", "#launches", "xoxb-good", base_url=slack.api_url(),
        settings={"channel": "C0LAUNCHES", "team_id": "T0001"},
    )  # fmt: skip
    dest = await _final(rt, post.id)
    assert dest.error_message == (
        f"Gave up after {BUDGET} attempts: the network never confirmed this post and it is not "
        "on #launches. Press Retry to send it again."
    )
    assert [a["outcome"] for a in await attempt_rows(dest.id)] == ["unknown"] * BUDGET
    sends = [r for r in slack.requests if r.path == "/api/chat.postMessage"]
    assert len(sends) == BUDGET
