"""The watchdog the security suite relies on does see a blocked loop, on the loop tests use."""

from __future__ import annotations

import asyncio
import time

import uvloop

from tests.security.conftest import STALL_LIMIT, TICK, LoopWatchdog


def _block(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:  # the CPU-bound work a route must never do on the loop
        pass


async def test_a_blocked_uvloop_is_seen() -> None:
    assert isinstance(asyncio.get_running_loop(), uvloop.Loop)
    dog = LoopWatchdog()
    await dog.start()
    await asyncio.sleep(TICK * 2)
    _block(STALL_LIMIT * 1.5)
    await asyncio.sleep(TICK * 2)
    assert await dog.stop() > STALL_LIMIT
