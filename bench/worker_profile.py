"""Where a worker's time goes: SQL statements, Redis round trips and CPU per published post.

Run from the repository root (Postgres and Redis on their local ports):

    .venv/bin/python bench/worker_profile.py [--posts 2000] [--profile out.prof]

Schedules ``--posts`` posts due at once, then runs one worker in this process (the fake
Mastodon in its own, 50 ms per create) until all are published, counting statements sent
through SQLAlchemy, batch sizes and commands sent to Redis. With ``--profile`` it also writes
a cProfile file.
Nothing is written to docs/benchmarks.md: this is a tool for finding the next bottleneck.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from app.process import open_process
from app.wiring import worker_jobs
from bench.lateness import DB, REDIS, FakeProcess, reset, schedule_many
from core import aio
from scheduler.publishing.tasks import make_worker
from storage.db import ensure_database, upgrade
from tests.support import make_settings


def _counting(run: Any, batches: Counter[str], name: str) -> Any:
    async def counted(keys: list[Any]) -> Any:
        batches[name] += 1
        batches[name + " keys"] += len(keys)
        return await run(keys)

    return counted


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def main(args: argparse.Namespace) -> None:
    await ensure_database(DB)
    await upgrade(DB)
    settings = make_settings(
        Path(tempfile.mkdtemp(prefix="outpost-profile-")),
        database_url=DB,
        redis_url=REDIS,
        queue_name="outpost:bench",
        job_timeout_seconds=60.0,
        # The reconciler stays out of the way: only the jobs the schedule queued are run.
        reconcile_seconds=3600.0,
        queue_horizon_seconds=7200.0,
        worker_poll_delay=0.05,
        worker_max_jobs=500,
    )
    fake = FakeProcess()
    try:
        async with open_process(settings, pool_size=20) as process:
            rt = process.runtime
            ws = await rt.workspaces.create(f"profile-{time.time_ns()}", "UTC")
            await rt.workspaces.add_account(
                ws.id, "mastodon", "@p@fake", rt.cipher.encrypt("good-token"), base_url=fake.url
            )
            await reset(rt, fake)
            due = datetime.now(UTC) + timedelta(seconds=1)
            await schedule_many(rt, ws, [due] * args.posts)
            statements = 0
            kinds: Counter[str] = Counter()

            def count(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
                nonlocal statements
                statements += 1
                kinds[" ".join(sql.split())[:90]] += 1

            engine = rt.posts.sessions.kw["bind"]
            event.listen(engine.sync_engine, "before_cursor_execute", count)
            redis_calls = 0
            original = rt.redis.connection_pool.connection_class.send_packed_command

            async def counted(self: Any, command: Any, check_health: bool = True) -> None:
                nonlocal redis_calls
                redis_calls += 1
                await original(self, command, check_health)

            rt.redis.connection_pool.connection_class.send_packed_command = counted  # type: ignore[method-assign]
            batches: Counter[str] = Counter()
            for name in ("_claims", "_outcomes", "_reports", "_notices"):
                batcher = getattr(rt.publishing, name)
                batcher._run = _counting(batcher._run, batches, name)
            jobs = worker_jobs(process)
            worker = make_worker(
                rt, burst=True, handle_signals=False, extra_functions=jobs.functions
            )
            await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()))
            profiler = cProfile.Profile() if args.profile else None
            started, cpu0 = time.perf_counter(), cpu()
            if profiler:
                profiler.enable()
            await worker.async_run()
            if profiler:
                profiler.disable()
                profiler.dump_stats(args.profile)
            wall, used = time.perf_counter() - started, cpu() - cpu0
            await worker.close()
            published = len((await fake.control("/_fake/state"))["statuses"])
            n = max(1, published)
            print(
                f"{published} published in {wall:.1f} s ({published / wall:.0f}/s); per post: "
                f"{statements / n:.1f} statements through SQLAlchemy (the batched hot path uses "
                f"the driver directly: see batch sizes), {redis_calls / n:.1f} Redis round trips, "
                f"{used / n * 1000:.2f} ms CPU in this process"
            )
            sizes = ", ".join(
                f"{name[1:]} {batches[name + ' keys'] / max(1, batches[name]):.1f}"
                for name in ("_claims", "_outcomes", "_reports", "_notices")
            )
            print(f"mean batch sizes: {sizes}")
            if args.statements:
                for sql, times in kinds.most_common(args.statements):
                    print(f"{times / n:7.2f}  {sql}")
    finally:
        fake.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--profile", default="")
    parser.add_argument("--statements", type=int, default=0, help="show the N most frequent")
    aio.run(main(parser.parse_args()))
