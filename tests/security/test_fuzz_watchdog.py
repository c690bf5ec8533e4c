"""The watchdog the security suite relies on does see a blocked loop: on the loop the tests
use (asyncio's) and on the one Outpost runs on (uvloop)."""

from __future__ import annotations

import asyncio
import time

import uvloop

from core import aio
from tests.security.conftest import STALL_LIMIT, TICK, LoopWatchdog


def _block(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:  # the CPU-bound work a route must never do on the loop
        pass


async def _stall_seen() -> float:
    dog = LoopWatchdog()
    await dog.start()
    await asyncio.sleep(TICK * 2)
    _block(STALL_LIMIT * 1.5)
    await asyncio.sleep(TICK * 2)
    return await dog.stop()


async def test_a_blocked_loop_is_seen() -> None:
    assert await _stall_seen() > STALL_LIMIT


def test_a_blocked_uvloop_is_seen() -> None:
    async def on_uvloop() -> float:
        assert isinstance(asyncio.get_running_loop(), uvloop.Loop)
        return await _stall_seen()

    assert aio.run(on_uvloop()) > STALL_LIMIT
