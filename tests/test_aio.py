"""Outpost's processes run on uvloop, the loop its CPU figures were measured on."""

from __future__ import annotations

import asyncio

import uvloop

from core import aio


async def _loop_type() -> type[asyncio.AbstractEventLoop]:
    return type(asyncio.get_running_loop())


def test_run_uses_uvloop_and_returns_the_result() -> None:
    assert aio.run(_loop_type()) is uvloop.Loop


def test_new_loops_are_uvloop() -> None:
    loop = aio.new_loop()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()
