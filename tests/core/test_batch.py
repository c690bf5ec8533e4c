"""The batcher groups concurrent calls, keeps each caller's answer, and shares failures."""

from __future__ import annotations

import asyncio

import pytest

from core.batch import Batcher


async def test_concurrent_calls_share_a_batch_and_get_their_own_answers() -> None:
    batches: list[list[int]] = []

    async def double(keys: list[int]) -> list[int]:
        batches.append(keys)
        await asyncio.sleep(0.01)
        return [k * 2 for k in keys]

    batcher = Batcher(double, max_size=50, max_inflight=1)
    results = await asyncio.gather(*(batcher(i) for i in range(120)))
    assert results == [i * 2 for i in range(120)]
    assert [len(b) for b in batches] == [50, 50, 20]


async def test_calls_made_while_a_batch_runs_wait_for_the_next_one() -> None:
    batches: list[list[str]] = []
    release = asyncio.Event()

    async def run(keys: list[str]) -> list[str]:
        batches.append(keys)
        if len(batches) == 1:
            await release.wait()
        return keys

    batcher = Batcher(run, max_inflight=1)
    first = asyncio.ensure_future(batcher("a"))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    later = [asyncio.ensure_future(batcher(k)) for k in "bcd"]
    await asyncio.sleep(0.01)
    assert batches == [["a"]]  # one call alone goes out at once
    release.set()
    assert await first == "a"
    assert await asyncio.gather(*later) == ["b", "c", "d"]
    assert batches == [["a"], ["b", "c", "d"]]


async def test_a_failed_batch_fails_every_caller_and_the_next_batch_runs() -> None:
    calls = 0

    async def flaky(keys: list[int]) -> list[int]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("database went away")
        return keys

    batcher = Batcher(flaky)
    outcomes = await asyncio.gather(*(batcher(i) for i in range(3)), return_exceptions=True)
    assert all(isinstance(o, ConnectionError) for o in outcomes)
    assert await batcher(7) == 7


async def test_a_cancelled_caller_does_not_break_the_batch() -> None:
    async def slow(keys: list[int]) -> list[int]:
        await asyncio.sleep(0.02)
        return keys

    batcher = Batcher(slow)
    doomed = asyncio.ensure_future(batcher(1))
    kept = asyncio.ensure_future(batcher(2))
    await asyncio.sleep(0.005)
    doomed.cancel()
    assert await kept == 2
    with pytest.raises(asyncio.CancelledError):
        await doomed


async def test_drain_sends_what_waits_for_its_window_and_skips_callers_gone() -> None:
    seen: list[list[str]] = []

    async def run(keys: list[str]) -> list[str]:
        seen.append(keys)
        return keys

    batcher = Batcher(run, window=60.0)  # a window far longer than the test
    gone = asyncio.ensure_future(batcher("gone"))
    kept = asyncio.ensure_future(batcher("kept"))
    await asyncio.sleep(0)
    gone.cancel()
    await Batcher.drain_all()  # shutdown: nothing may stay queued behind a timer
    assert seen == [["kept"]]
    assert await kept == "kept"


async def test_eager_when_idle_sends_a_lone_call_at_once_and_gathers_the_busy_ones() -> None:
    batches: list[list[int]] = []
    release = asyncio.Event()

    async def run(keys: list[int]) -> list[int]:
        batches.append(keys)
        await release.wait()
        return keys

    batcher = Batcher(run, window=0.5, max_inflight=1, eager_when_idle=True)
    first = asyncio.ensure_future(batcher(1))
    for _ in range(3):
        await asyncio.sleep(0)
    assert batches == [[1]]  # not held for the window
    busy = [asyncio.ensure_future(batcher(k)) for k in (2, 3)]
    for _ in range(3):
        await asyncio.sleep(0)
    assert batches == [[1]]  # these wait for the window (or the batch in flight)
    release.set()
    assert await first == 1
    assert await asyncio.gather(*busy) == [2, 3]
    assert batches == [[1], [2, 3]]
