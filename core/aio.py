"""The event loop every Outpost process runs on.

uvloop's loop costs about a third less CPU per published post than asyncio's own (1.90 ms
against 1.30 ms in ``bench/worker_profile.py``), and a worker under a burst is bound by its
CPU. Where uvloop is not installed (it has no Windows build) asyncio's loop does the same job.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

try:
    import uvloop
except ImportError:  # pragma: no cover - every supported install has it
    uvloop = None  # type: ignore[assignment]


def new_loop() -> asyncio.AbstractEventLoop:
    """A new event loop of the kind ``run`` uses (for tests and embedding)."""
    return uvloop.new_event_loop() if uvloop is not None else asyncio.new_event_loop()


def policy() -> asyncio.AbstractEventLoopPolicy:
    """An event loop policy whose loops are ``new_loop``'s kind."""
    if uvloop is None:
        return asyncio.DefaultEventLoopPolicy()
    made: asyncio.AbstractEventLoopPolicy = uvloop.EventLoopPolicy()
    return made


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` on the loop ``new_loop`` makes."""
    with asyncio.Runner(loop_factory=new_loop) as runner:
        return runner.run(main)
