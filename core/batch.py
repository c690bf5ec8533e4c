"""Coalesce concurrent calls into one call over many keys.

A worker runs hundreds of publish jobs at once; each used to make its own round trips to
Postgres, and on this kind of machine a round trip (a socket write that wakes another
process) costs more than the Python around it. A ``Batcher`` lets each job still ``await``
its own answer while calls made within ``window`` seconds of each other, or while an
earlier batch is in flight, go out together.

The window is the price: each call waits up to ``window`` for company. A few milliseconds
is nothing next to a network's answer and lets arq, which starts jobs one at a time, fill
a batch.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, ClassVar, Generic, TypeVar

DRAIN_SECONDS = 10.0
K = TypeVar("K")
R = TypeVar("R")


class Batcher(Generic[K, R]):
    """``await batcher(key)`` runs ``run(keys)`` for many keys at once; one result per key."""

    # Every batcher in this process, so that shutdown can send what waits and wait for what
    # is in flight before it closes the connections they use.
    _all: ClassVar[weakref.WeakSet[Batcher[Any, Any]]] = weakref.WeakSet()

    @classmethod
    async def drain_all(cls) -> None:
        """Send every waiting batch now and wait for all batches of this loop to end."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DRAIN_SECONDS
        while loop.time() < deadline:  # a finished batch may have started the next one
            tasks: list[asyncio.Task[None]] = []
            for batcher in list(cls._all):
                if batcher._loop is not loop:
                    continue
                if batcher._pending and batcher._timer is not None:
                    batcher._start()
                tasks.extend(t for t in batcher._inflight if not t.done())
            if not tasks:
                return
            await asyncio.wait(tasks, timeout=deadline - loop.time())

    def __init__(
        self,
        run: Callable[[list[K]], Awaitable[Sequence[R]]],
        *,
        max_size: int = 200,
        max_inflight: int = 1,
        window: float = 0.0,
        eager_when_idle: bool = False,
    ) -> None:
        self._run = run
        self.max_size = max_size
        self.max_inflight = max_inflight
        self.window = window
        # Skip the window when nothing is waiting or in flight: a lone call goes at once,
        # calls that come while others are busy still gather for ``window``.
        self.eager_when_idle = eager_when_idle
        self._pending: list[tuple[K, asyncio.Future[R]]] = []
        self._inflight: set[asyncio.Task[None]] = set()
        self._timer: asyncio.Handle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        Batcher._all.add(self)

    async def __call__(self, key: K) -> R:
        loop = self._loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._pending.append((key, future))
        if len(self._pending) >= self.max_size and len(self._inflight) < self.max_inflight:
            self._start()
        elif self._timer is None:
            # At least until the end of this loop pass, so that calls made in it go together.
            idle = self.eager_when_idle and not self._inflight and len(self._pending) == 1
            if self.window and not idle:
                self._timer = loop.call_later(self.window, self._start)
            else:
                self._timer = loop.call_soon(self._start)
        return await future

    def _start(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        # A caller cancelled meanwhile (its job timed out) needs no answer: don't claim or
        # record anything for it.
        self._pending = [(k, f) for k, f in self._pending if not f.done()]
        while self._pending and len(self._inflight) < self.max_inflight:
            batch, self._pending = self._pending[: self.max_size], self._pending[self.max_size :]
            task = asyncio.get_running_loop().create_task(self._execute(batch))
            self._inflight.add(task)
            task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        if self._pending and self._timer is None:
            self._start()

    async def _execute(self, batch: list[tuple[K, asyncio.Future[R]]]) -> None:
        try:
            results = await self._run([key for key, _ in batch])
        except BaseException as exc:  # every caller sees the failure and retries its own job
            for _, future in batch:
                if future.done():
                    continue
                if isinstance(exc, asyncio.CancelledError):
                    future.cancel()
                else:
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():  # a caller cancelled by its job timeout
                future.set_result(result)
