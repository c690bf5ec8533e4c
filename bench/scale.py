"""Scale: 1,000,000 posts in Postgres; the calendar's month query, the reconciler's pass, and
Redis memory per deferred job.

Run from the repository root (Postgres and Redis on their local ports):

    .venv/bin/python bench/scale.py [--posts 1000000] [--jobs 100000]

Posts are generated inside Postgres (10 workspaces, one every 90 s for ~3 years, one pending
destination each), so seeding takes a minute, not an hour.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.report import machine, write_section
from scheduler.calendar import window
from scheduler.publishing.queue import enqueue_publish
from scheduler.publishing.runner import Runner
from scheduler.publishing.tasks import Reconciler
from scheduler.runtime import open_runtime
from storage.db import _plain_dsn, ensure_database, upgrade
from storage.views import Job
from tests.support import make_settings

DB = "postgresql+asyncpg://postgres@127.0.0.1:5432/outpost_bench_scale"
REDIS = "redis://127.0.0.1:6379/4"

SEED = """
INSERT INTO scheduled_posts (id, workspace_id, content, scheduled_at, timezone, status, origin,
                             revision, thread, notified_revision)
SELECT gen_random_uuid(), ($1::uuid[])[1 + i % 10], 'Scale post ' || i,
       now() + i * interval '90 seconds', 'UTC',
       CASE WHEN i % 50 = 0 THEN 'published' ELSE 'scheduled' END, '{}', 0, false,
       CASE WHEN i % 50 = 0 THEN 0 END
FROM generate_series(1, $2::int) AS i;
"""


def stats(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


async def main(posts: int, jobs: int) -> str:
    admin = await asyncpg.connect(_plain_dsn(DB, "postgres"))
    await admin.execute('DROP DATABASE IF EXISTS "outpost_bench_scale" WITH (FORCE)')
    await admin.close()
    await ensure_database(DB)
    await upgrade(DB)
    settings = make_settings(
        Path(tempfile.mkdtemp()) / "data",
        database_url=DB,
        redis_url=REDIS,
        queue_name="outpost:bench-scale",
    )
    lines: list[str] = []
    async with open_runtime(settings) as rt:
        spaces = [await rt.workspaces.create(f"scale{i}", "UTC") for i in range(10)]
        accounts = [
            await rt.workspaces.add_account(
                ws.id,
                "mastodon",
                f"@s{i}@fake",
                rt.cipher.encrypt("t"),
                base_url="http://127.0.0.1:9",
            )
            for i, ws in enumerate(spaces)
        ]
        conn = await asyncpg.connect(_plain_dsn(DB))
        t = time.time()
        await conn.execute(SEED, [ws.id for ws in spaces], posts)
        # Each post's destination is its own workspace's account.
        await conn.execute(
            "CREATE TEMP TABLE acct AS SELECT * FROM unnest($1::uuid[], $2::uuid[]) AS x(ws, acc)",
            [ws.id for ws in spaces],
            [a.id for a in accounts],
        )
        await conn.execute(
            "INSERT INTO post_destinations (id, post_id, social_account_id, status, due_at, "
            "revision, attempts, idempotency_key) SELECT gen_random_uuid(), p.id, acct.acc, "
            "CASE WHEN p.status = 'published' THEN 'success' ELSE 'pending' END, p.scheduled_at,"
            " 0, 0, md5(p.id::text) FROM scheduled_posts p JOIN acct ON acct.ws = p.workspace_id"
        )
        await conn.execute("ANALYZE")
        seeded = time.time() - t
        count = await conn.fetchval("SELECT count(*) FROM scheduled_posts")
        await conn.close()
        lines.append(f"- seeded {count:,} posts and destinations in {seeded:.0f} s")
        # The calendar's month query: one workspace, a month a year from now.
        start = (datetime.now(UTC) + timedelta(days=365)).replace(
            day=1, hour=0, minute=0, second=0, microsecond=0
        )
        end = (start + timedelta(days=32)).replace(day=1)
        times, shown = [], 0
        for _ in range(30):
            t = time.perf_counter()
            items = await window(rt, spaces[3].id, start, end, "UTC", per_day=4)
            times.append(time.perf_counter() - t)
            shown = len(items)
        month_posts = posts // 10 * 30 // 1083
        lines.append(
            f"- calendar month query (one workspace, ~{month_posts:,} posts in the month, "
            f"{shown} shown): {stats(times[5:])}"
        )
        # The reconciler's pass over the whole table.
        reconciler = Reconciler(rt, Runner(rt))
        times = []
        for _ in range(10):
            t = time.perf_counter()
            await reconciler.run_once()
            times.append(time.perf_counter() - t)
        lines.append(f"- reconciler pass: {stats(times[2:])}")
        # Redis memory per deferred job.
        await rt.redis.flushdb()
        before = int((await rt.redis.info("memory"))["used_memory"])
        due = datetime.now(UTC) + timedelta(days=30)
        batch = [Job(uuid.uuid4(), 0, due + timedelta(seconds=i)) for i in range(jobs)]
        t = time.time()
        for i in range(0, jobs, 1000):
            await enqueue_publish(rt.redis, batch[i : i + 1000])
        took = time.time() - t
        after = int((await rt.redis.info("memory"))["used_memory"])
        lines.append(
            f"- Redis: {(after - before) / jobs:.0f} bytes per deferred publish job "
            f"({jobs:,} jobs, {(after - before) / 1e6:.1f} MB; enqueued at {jobs / took:.0f}/s)"
        )
        await rt.redis.flushdb()
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--jobs", type=int, default=100_000)
    args = parser.parse_args()
    text = asyncio.run(main(args.posts, args.jobs))
    print(text)
    write_section(
        "scale",
        "## Scale: 1,000,000 posts\n\n"
        f"`.venv/bin/python bench/scale.py --posts {args.posts} --jobs {args.jobs}` on "
        f"{machine()}.\n\n" + text + "\n",
    )
