"""The worker's transactions: executed together, each still getting its own answers."""

from __future__ import annotations

import asyncio

from redis.exceptions import ResponseError

from scheduler.publishing.arq_worker import CoalescingRedis
from scheduler.runtime import Runtime


async def _execs(runtime: Runtime) -> int:
    stats = await runtime.redis.info("commandstats")
    return int(stats.get("cmdstat_exec", {}).get("calls", 0))


async def _bump(redis: CoalescingRedis, key: str) -> list[object]:
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, 60)
        pipe.get(key)
        return await pipe.execute()


async def test_transactions_made_together_share_one_exec(runtime: Runtime) -> None:
    redis = CoalescingRedis(runtime.redis)
    await runtime.redis.set("t:3", 41)
    before = await _execs(runtime)
    results = await asyncio.gather(*(_bump(redis, f"t:{i}") for i in range(50)))
    assert await _execs(runtime) - before <= 2  # one, or two if the first went out alone
    assert results[0] == [1, True, b"1"]
    assert results[3] == [42, True, b"42"]  # each caller reads its own replies
    assert all(r[0] == 1 for i, r in enumerate(results) if i != 3)


async def test_an_error_stays_with_the_transaction_that_caused_it(runtime: Runtime) -> None:
    redis = CoalescingRedis(runtime.redis)
    await runtime.redis.set("t:text", "not a number")
    outcomes = await asyncio.gather(
        _bump(redis, "t:a"), _bump(redis, "t:text"), _bump(redis, "t:b"), return_exceptions=True
    )
    assert outcomes[0] == [1, True, b"1"]
    assert outcomes[2] == [1, True, b"1"]
    assert isinstance(outcomes[1], ResponseError)
    assert "INCR" in str(outcomes[1])
    async with redis.pipeline(transaction=True) as pipe:  # raise_on_error=False keeps it in
        pipe.incr("t:text")
        pipe.get("t:a")
        got = await pipe.execute(raise_on_error=False)
    assert isinstance(got[0], ResponseError)
    assert got[1] == b"1"


async def test_watched_and_plain_pipelines_go_out_as_before(runtime: Runtime) -> None:
    redis = CoalescingRedis(runtime.redis)
    # arq's enqueue_job WATCHes the job key: it must still dedupe on the coalescing client.
    assert await redis.enqueue_job("f", _job_id="j1") is not None
    assert await redis.enqueue_job("f", _job_id="j1") is None
    async with redis.pipeline(transaction=False) as pipe:
        pipe.set("t:p", 1)
        pipe.get("t:p")
        assert await pipe.execute() == [True, b"1"]


async def test_an_empty_transaction_sends_nothing(runtime: Runtime) -> None:
    redis = CoalescingRedis(runtime.redis)
    before = await _execs(runtime)
    async with redis.pipeline(transaction=True) as pipe:
        assert await pipe.execute() == []
    assert await _execs(runtime) == before
