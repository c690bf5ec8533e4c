"""Outpost's processes run on uvloop, the loop its CPU figures were measured on."""

from __future__ import annotations

import asyncio

import uvloop

from core import aio


async def _loop_type() -> type[asyncio.AbstractEventLoop]:
    return type(asyncio.get_running_loop())


def test_run_uses_uvloop_and_returns_the_result() -> None:
    assert aio.run(_loop_type()) is uvloop.Loop


async def test_the_tests_run_on_the_same_loop() -> None:
    assert isinstance(asyncio.get_running_loop(), uvloop.Loop)
    loop = aio.new_loop()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()
