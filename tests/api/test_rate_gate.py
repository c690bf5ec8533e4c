"""Requests arriving together are counted together (one script call) and each still counts."""

from __future__ import annotations

import asyncio

from scheduler.runtime import Runtime
from webhooks.errors import ApiError
from webhooks.http import RateGate


async def test_concurrent_counts_each_count_and_the_excess_is_refused(runtime: Runtime) -> None:
    gate = RateGate(runtime)
    subjects = ["token:a"] * 5 + ["token:b"] * 2
    results = await asyncio.gather(
        *(gate.count(runtime, s, 3, 60) for s in subjects), return_exceptions=True
    )
    refused = [s for s, r in zip(subjects, results, strict=True) if isinstance(r, ApiError)]
    assert refused == ["token:a", "token:a"]
    assert all(r.status == 429 for r in results if isinstance(r, ApiError))
    # token:a is now refused from memory; token:b has one request left in its window.
    await gate.count(runtime, "token:b", 3, 60)
    results = await asyncio.gather(
        gate.count(runtime, "token:a", 3, 60),
        gate.count(runtime, "token:b", 3, 60),
        return_exceptions=True,
    )
    assert [isinstance(r, ApiError) for r in results] == [True, True]
