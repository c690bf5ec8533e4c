"""Redis memory with 1,000,000 posts scheduled over the next year, and the lateness of posts that
were scheduled beyond the queue horizon.

Run from the repository root (Postgres on its local port; Redis is a private redis-server this
script starts, so ``used_memory`` counts nothing but this run):

    .venv/bin/python bench/redis_memory.py [--posts 1000000] [--sample 100000] [--spread-posts 600]

1. Seeds ``--posts`` posts with one pending destination each, due from 15 minutes to a year
   ahead, straight into Postgres through the columns the app writes (a multi-row INSERT ...
   SELECT), then runs the reconciler as the worker's cron does, with the default one-hour
   horizon: Redis ``used_memory`` before and after.
2. Without a horizon every one of those posts would hold a job: ``--sample`` of them are queued
   the old way (``enqueue_publish``, no horizon) and the bytes per job are extrapolated to
   ``--posts``.
3. ``--spread-posts`` posts scheduled through ``Scheduler`` 40-100 s ahead while the horizon
   is 20 s (so they are left in Postgres), then one ``outpost worker`` (reconciling every 5 s)
   queues them as they come within it and publishes them to the fake Mastodon (50 ms a call):
   lateness = the moment the network received the post minus its scheduled time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.lateness import FakeProcess, figures
from bench.report import machine, write_section
from scheduler.publishing.queue import enqueue_publish
from scheduler.publishing.runner import Runner
from scheduler.publishing.tasks import Reconciler
from scheduler.runtime import Runtime, open_runtime
from scheduler.service import Scheduler
from storage.db import _plain_dsn, ensure_database, upgrade
from tests.faults.workers import WorkerProcess
from tests.support import PrivateRedis, make_settings

DB = "postgresql+asyncpg://postgres@127.0.0.1:5432/outpost_bench_redis_memory"
YEAR = 365 * 24 * 3600

# The columns and values ``insert_post`` writes for a scheduled post and its destination.
SEED = """
WITH p AS (
    INSERT INTO scheduled_posts (id, workspace_id, content, scheduled_at, timezone, status,
                                 origin, revision, thread)
    SELECT gen_random_uuid(), $1::uuid, 'Memory post ' || i,
           now() + interval '15 minutes' + (i::float8 / $2 * $3) * interval '1 second',
           'UTC', 'scheduled', '{}', 0, false
    FROM generate_series(1, $2::int) AS i
    RETURNING id, scheduled_at
)
INSERT INTO post_destinations (id, post_id, social_account_id, status, due_at, revision,
                               attempts, idempotency_key)
SELECT gen_random_uuid(), p.id, $4::uuid, 'pending', p.scheduled_at, 0, 0, md5(p.id::text)
FROM p
"""


async def used(rt: Runtime) -> int:
    return int((await rt.redis.info("memory"))["used_memory"])


async def publish_jobs(rt: Runtime) -> int:
    return sum(
        1 for m in await rt.redis.zrange(rt.settings.queue_name, 0, -1) if m.startswith(b"pub:")
    )


async def arrivals(fake: FakeProcess, keys: dict[str, float], timeout: float) -> list[float]:
    """Lateness (s) of each of ``keys``' first create call, once all have arrived."""
    deadline = time.time() + timeout
    first: dict[str, float] = {}
    while time.time() < deadline:
        state = await fake.control("/_fake/state")
        for req in state["requests"]:
            key = req["headers"].get("Idempotency-Key")
            if req["path"] == "/api/v1/statuses" and key in keys and key not in first:
                first[key] = req["at"]
        if len(first) >= len(keys):
            break
        await asyncio.sleep(2.0)
    return [first[k] - keys[k] for k in first]


async def main(args: argparse.Namespace) -> str:
    admin = await asyncpg.connect(_plain_dsn(args.db, "postgres"))
    name = args.db.rsplit("/", 1)[1]
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()
    await ensure_database(args.db)
    await upgrade(args.db)
    redis = PrivateRedis()
    redis.start()
    fake = FakeProcess()
    logs = Path(tempfile.mkdtemp(prefix="outpost-bench-"))
    settings = make_settings(
        logs / "data",
        database_url=args.db,
        redis_url=redis.url,
        queue_name="outpost:bench-memory",
        reconcile_seconds=60.0,
        queue_horizon_seconds=3600.0,
    )
    lines: list[str] = []
    try:
        async with open_runtime(settings, pool_size=10) as rt:
            ws = await rt.workspaces.create("memory", "UTC")
            account = await rt.workspaces.add_account(
                ws.id, "mastodon", "@mem@fake", rt.cipher.encrypt("good-token"), base_url=fake.url
            )
            await fake.control("/_fake/config", {"latency": 0.05})
            conn = await asyncpg.connect(_plain_dsn(args.db))
            t = time.time()
            await conn.execute(SEED, ws.id, args.posts, float(YEAR), account.id)
            await conn.execute("ANALYZE")
            seeded = time.time() - t
            await conn.close()
            lines.append(
                f"- seeded {args.posts:,} posts (one pending destination each, due from 15 "
                f"minutes to a year ahead) in {seeded:.0f} s"
            )
            # 1. The horizon: the reconciler's pass queues only the next hour.
            await rt.redis.flushdb()
            before = await used(rt)
            reconciler = Reconciler(rt, Runner(rt))
            t = time.perf_counter()
            counts = await reconciler.run_once()
            took = time.perf_counter() - t
            after = await used(rt)
            lines.append(
                f"- with the one-hour horizon: Redis `used_memory` {before / 1e6:.2f} MB before, "
                f"{after / 1e6:.2f} MB after the reconciler's first pass ({took * 1000:.0f} ms; "
                f"{counts['entered']} jobs queued, {await publish_jobs(rt)} in Redis)"
            )
            t = time.perf_counter()
            await reconciler.run_once()
            lines.append(
                f"- the reconciler's next pass, whole (its horizon sweep reads only what "
                f"entered since): "
                f"{(time.perf_counter() - t) * 1000:.0f} ms"
            )
            # 2. Without it: every post's job, measured on a sample and extrapolated.
            await rt.redis.flushdb()
            base = await used(rt)
            jobs = await rt.publishing.due(datetime.now(UTC) + timedelta(days=366), args.sample)
            await enqueue_publish(rt.redis, jobs)
            per_job = (await used(rt) - base) / max(1, len(jobs))
            lines.append(
                f"- without a horizon (every post queued, as before): {per_job:.0f} bytes per "
                f"job measured on {len(jobs):,} of them, so {per_job * args.posts / 1e6:.0f} MB "
                f"for {args.posts:,} (extrapolated)"
            )
            await rt.redis.flushdb()
            # 3. Posts scheduled beyond a 20 s horizon, queued by the worker's reconciler.
            if args.spread_posts:
                lines.append(await spread(rt, ws.id, fake, logs, args.spread_posts))
    finally:
        fake.stop()
        redis.cleanup()
    return "\n".join(lines)


async def spread(rt: Runtime, ws_id: uuid.UUID, fake: FakeProcess, logs: Path, count: int) -> str:
    horizon = {"QUEUE_HORIZON_SECONDS": "20"}
    short = make_settings(
        logs / "data",
        database_url=rt.settings.database_url,
        redis_url=rt.settings.redis_url,
        queue_name=rt.settings.queue_name,
        reconcile_seconds=5.0,
        queue_horizon_seconds=20.0,
    )
    start = datetime.now(UTC) + timedelta(seconds=40)
    keys: dict[str, float] = {}
    # Scheduled with the short horizon's view: due 40-100 s ahead, all beyond it.
    async with open_runtime(short) as srt:
        scheduler = Scheduler(srt)
        for _ in range(count):
            due = start + timedelta(seconds=random.uniform(0, 60))
            post = await scheduler.schedule_fields(
                ws_id, text=f"spread {random.random()}", when=due, destinations=["mastodon"]
            )
            keys[post.destinations[0].idempotency_key] = due.timestamp()
        queued = await publish_jobs(srt)
    proc = WorkerProcess(short, logs, "memory", **horizon).start()
    try:
        late = await arrivals(fake, keys, 180)
    finally:
        proc.stop()
    return (
        f"- {count} posts scheduled 40-100 s ahead with a 20 s horizon ({queued} of them in "
        f"Redis when scheduled), queued by one `outpost worker`'s reconciler every 5 s and "
        f"published by it: {len(late)} published, lateness {figures(late)}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=100_000)
    parser.add_argument("--spread-posts", type=int, default=600)
    parser.add_argument("--db", default=DB, help="a database this script may drop and recreate")
    args = parser.parse_args()
    text = asyncio.run(main(args))
    print(text)
    cmd = " ".join(a for a in sys.argv[1:] if not a.startswith("--db") and "://" not in a)
    write_section(
        "redis_memory",
        "## Redis memory: 1,000,000 posts over the next year (issue #22)\n\n"
        f"`.venv/bin/python bench/redis_memory.py {cmd}`".rstrip()
        + f" on {machine()}, against a private redis-server (so `used_memory` counts only "
        "this run). Posts due beyond `QUEUE_HORIZON_SECONDS` (default 3600) live in Postgres "
        "only; the reconciler queues them as they come within it.\n\n" + text + "\n",
    )
