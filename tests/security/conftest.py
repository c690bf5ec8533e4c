"""The security suite's shared fixture: a test fails when it blocks the event loop.

A route that parses, renders or hashes what an attacker sent on the loop stalls every other
request in the process. ``loop_watchdog`` runs a task that sleeps ``TICK`` in a loop and keeps
the worst lateness it saw; past ``STALL_LIMIT`` the test fails at teardown, naming the gap.
It works on any loop (uvloop included) because it only measures wall time between wake-ups.

Request it last in a test's arguments (or ``pytestmark = pytest.mark.usefixtures(
"loop_watchdog")``), so that slower fixtures are set up before it starts watching.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import suppress

import pytest

from scheduler.runtime import Runtime
from tests.api.conftest import Api, start_api
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import team

STALL_LIMIT = 0.2
TICK = 0.02


class LoopWatchdog:
    """The worst time the loop was late waking a ``TICK`` sleeper, since ``start``."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _watch(self) -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(TICK)
            self.worst = max(self.worst, time.monotonic() - before - TICK)

    async def start(self) -> None:
        """Begin watching the running loop."""
        self._task = asyncio.create_task(self._watch())
        await asyncio.sleep(0)  # the first reading starts now, not at the test's first await

    async def stop(self) -> float:
        """Stop watching; the worst lateness seen, in seconds."""
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
        return self.worst


@pytest.fixture
async def loop_watchdog() -> AsyncIterator[LoopWatchdog]:
    """Fails the test if the event loop was blocked for more than ``STALL_LIMIT``."""
    dog = LoopWatchdog()
    await dog.start()
    yield dog
    worst = await dog.stop()
    if worst > STALL_LIMIT:
        pytest.fail(
            f"the event loop was blocked for {worst * 1000:.0f} ms "
            f"(limit {STALL_LIMIT * 1000:.0f} ms): move that work off the loop or bound it"
        )


@pytest.fixture
async def api(runtime: Runtime, mastodon: FakeMastodon) -> AsyncIterator[Api]:
    """The app on a real port with one workspace's read+write token (as in tests/api/)."""
    crew = await team(runtime, mastodon_url=mastodon.url)
    server, http, token = await start_api(runtime, crew)
    yield Api(str(server.make_url("")).rstrip("/"), http, crew, token, runtime)
    await http.close()
    await server.close()
