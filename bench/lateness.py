"""Lateness and throughput against a fake network that takes 50 ms per call.

Run from the repository root (Postgres and Redis on their local ports):

    .venv/bin/python bench/lateness.py [--spread-posts 600] [--burst 10000] [--throughput 3000]

Three measurements, each with real ``outpost worker`` processes and the fake Mastodon in its
own process (50 ms per create call):
- spread: posts due at random moments over a minute, one worker; lateness = the moment the
  network received the post minus its scheduled time;
- burst: posts all due at the same second, one worker; when the last one arrived;
- throughput: posts due at once, published per second by one worker process and by four.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from arq.connections import RedisSettings, create_pool

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.report import machine, write_section
from core.settings import Settings
from scheduler.runtime import Runtime, open_runtime
from scheduler.service import Scheduler
from storage.db import _plain_dsn, ensure_database, upgrade
from tests.faults.workers import WorkerProcess
from tests.support import make_settings

# A database this script drops and recreates, and a Redis database it flushes; override with
# BENCH_DATABASE_URL / BENCH_REDIS_URL when those names are taken.
DB = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/outpost_bench_pipeline"
)
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
BARE_POLL = 0.05  # what Outpost's worker polled before it woke for its jobs
TABLES = "publish_attempts, post_destinations, post_media, scheduled_posts"


class FakeProcess:
    """tests.fakes.mastodon in its own process, controlled over HTTP."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.mastodon", "--port", "0"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        self.url = line.split()[1]

    async def control(self, path: str, body: dict[str, Any] | None = None) -> Any:
        async with aiohttp.ClientSession() as http:
            if body is None:
                async with http.get(self.url + path) as resp:
                    return json.loads(await resp.text())
            async with http.post(self.url + path, json=body) as resp:
                return await resp.text()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


async def reset(rt: Runtime, fake: FakeProcess) -> None:
    conn = await asyncpg.connect(_plain_dsn(DB))
    await conn.execute(f"TRUNCATE {TABLES} CASCADE")
    await conn.close()
    await rt.redis.flushdb()
    await fake.control("/_fake/reset", {})
    await fake.control("/_fake/config", {"latency": 0.05})


async def schedule_many(rt: Runtime, ws: Any, dues: list[datetime]) -> None:
    scheduler = Scheduler(rt)
    queue: asyncio.Queue[datetime] = asyncio.Queue()
    for due in dues:
        queue.put_nowait(due)

    async def feeder() -> None:
        while not queue.empty():
            due = queue.get_nowait()
            await scheduler.schedule_fields(
                ws.id, text=f"bench {random.random()}", when=due, destinations=["mastodon"]
            )

    await asyncio.gather(*(feeder() for _ in range(16)))


async def arrivals(rt: Runtime, fake: FakeProcess, expected: int, timeout: float) -> list[float]:
    """Lateness (s) of each destination's first create call, once all have arrived."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if (await fake.control("/_fake/counts"))["created"] >= expected:
            break
        await asyncio.sleep(1.0)
    state = await fake.control("/_fake/state")
    first: dict[str, float] = {}
    for req in state["requests"]:
        key = req["headers"].get("Idempotency-Key")
        if req["path"] == "/api/v1/statuses" and key and key not in first:
            first[key] = req["at"]
    conn = await asyncpg.connect(_plain_dsn(DB))
    rows = await conn.fetch("SELECT idempotency_key, due_at FROM post_destinations")
    await conn.close()
    due = {r["idempotency_key"]: r["due_at"].timestamp() for r in rows}
    return [first[k] - due[k] for k in first if k in due]


def figures(values: list[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"p50 {statistics.median(ordered) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
        f"max {ordered[-1] * 1000:.0f} ms"
    )


def workers(settings: Settings, logs: Path, count: int) -> list[WorkerProcess]:
    return [WorkerProcess(settings, logs, f"b{i}").start() for i in range(count)]


def cpu_seconds(procs: list[WorkerProcess]) -> float:
    """User + system CPU the worker processes have used so far (Linux /proc)."""
    total = 0
    for p in procs:
        assert p.proc is not None
        fields = Path(f"/proc/{p.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


async def spread(
    rt: Runtime, fake: FakeProcess, ws: Any, settings: Settings, logs: Path, args: Any
) -> list[str]:
    """Posts due at random moments over a minute, one worker."""
    if not args.spread_posts:
        return []
    await reset(rt, fake)
    procs = workers(settings, logs, 1)
    start = datetime.now(UTC) + timedelta(seconds=15)
    dues = [start + timedelta(seconds=random.uniform(0, 60)) for _ in range(args.spread_posts)]
    await schedule_many(rt, ws, dues)
    late = await arrivals(rt, fake, args.spread_posts, 150)
    for p in procs:
        p.stop()
    line = f"- spread: {len(late)} posts over 60 s, 1 worker: {figures(late)}"
    print(line, flush=True)
    bare = await bare_spread(rt, fake, settings, args.spread_posts)
    line2 = (
        f"- spread, bare arq in the same run (stock `Worker`, poll {BARE_POLL} s, a job that "
        f"only makes the HTTP call): {len(bare)} jobs over 60 s: {figures(bare)}"
    )
    print(line2, flush=True)
    return [line, line2]


async def bare_spread(
    rt: Runtime, fake: FakeProcess, settings: Settings, count: int
) -> list[float]:
    """The same spread through stock arq (bench/bare_arq.py), no Outpost code in the path."""
    await reset(rt, fake)
    queue = "bench:bare"
    env = {**os.environ, "BARE_REDIS": settings.redis_url, "BARE_QUEUE": queue}
    env["BARE_POLL"] = str(BARE_POLL)
    proc = subprocess.Popen([sys.executable, "-m", "bench.bare_arq"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    pool = await create_pool(RedisSettings.from_dsn(settings.redis_url), default_queue_name=queue)
    try:
        start = datetime.now(UTC) + timedelta(seconds=15)
        due: dict[str, float] = {}
        for i in range(count):
            when = start + timedelta(seconds=random.uniform(0, 60))
            key = f"bare-{i}"
            due[key] = when.timestamp()
            await pool.enqueue_job("bare:post", fake.url, key, _job_id=key, _defer_until=when)
        deadline = time.time() + 150
        while time.time() < deadline:
            if (await fake.control("/_fake/counts"))["created"] >= count:
                break
            await asyncio.sleep(1.0)
        state = await fake.control("/_fake/state")
        first: dict[str, float] = {}
        for req in state["requests"]:
            key = req["headers"].get("Idempotency-Key")
            if req["path"] == "/api/v1/statuses" and key in due and key not in first:
                first[key] = req["at"]
        return [first[k] - due[k] for k in first]
    finally:
        await pool.aclose()
        proc.terminate()
        proc.wait(10)


async def burst(
    rt: Runtime, fake: FakeProcess, ws: Any, settings: Settings, logs: Path, args: Any
) -> list[str]:
    """Posts all due at the same second, one worker."""
    if not args.burst:
        return []
    await reset(rt, fake)
    due = datetime.now(UTC) + timedelta(seconds=args.burst_lead)
    t = time.time()
    await schedule_many(rt, ws, [due] * args.burst)
    took = time.time() - t
    procs = workers(settings, logs, 1)
    late = await arrivals(rt, fake, args.burst, 300)
    cpu = cpu_seconds(procs)
    for p in procs:
        p.stop()
    line = (
        f"- burst: {len(late)} posts due at the same second, 1 worker: all published "
        f"{max(late):.1f} s after their time; {figures(late)}; worker CPU "
        f"{cpu / max(1, len(late)) * 1000:.2f} ms per post (scheduling them took {took:.0f} s)"
    )
    print(line, flush=True)
    return [line]


async def throughput(
    rt: Runtime, fake: FakeProcess, ws: Any, settings: Settings, logs: Path, args: Any
) -> list[str]:
    """Posts due at once, published per second by one worker process and by four."""
    lines: list[str] = []
    for count in (1, 4) if args.throughput else ():
        await reset(rt, fake)
        due = datetime.now(UTC) + timedelta(seconds=2)
        await schedule_many(rt, ws, [due] * args.throughput)
        procs = workers(settings, logs, count)
        await arrivals(rt, fake, args.throughput, 300)
        cpu = cpu_seconds(procs)
        state = await fake.control("/_fake/state")
        times = sorted(r["at"] for r in state["requests"] if r["path"] == "/api/v1/statuses")
        for p in procs:
            p.stop()
        rate = len(times) / max(1e-9, times[-1] - times[0])
        lines.append(
            f"- throughput: {count} worker process(es): {rate:.0f} posts/s "
            f"({len(times)} posts in {times[-1] - times[0]:.1f} s; worker CPU "
            f"{cpu / max(1, len(times)) * 1000:.2f} ms per post)"
        )
        print(lines[-1], flush=True)
    return lines


async def main(args: argparse.Namespace) -> str:
    conn = await asyncpg.connect(_plain_dsn(DB, "postgres"))
    await conn.execute(f'DROP DATABASE IF EXISTS "{DB.rsplit("/", 1)[1]}" WITH (FORCE)')
    await conn.close()
    await ensure_database(DB)
    await upgrade(DB)
    logs = Path(tempfile.mkdtemp(prefix="outpost-bench-"))
    settings = make_settings(
        logs / "data",
        database_url=DB,
        redis_url=REDIS,
        queue_name="outpost:bench",
        job_timeout_seconds=60.0,
        reconcile_seconds=60.0,
        publish_timeout_seconds=15.0,
        worker_max_jobs=500,
    )
    fake = FakeProcess()
    out: list[str] = []
    try:
        async with open_runtime(settings, pool_size=20) as rt:
            ws = await rt.workspaces.create("bench", "UTC")
            await rt.workspaces.add_account(
                ws.id,
                "mastodon",
                "@bench@fake",
                rt.cipher.encrypt("good-token"),
                base_url=fake.url,
            )
            for part in (spread, burst, throughput):
                out.extend(await part(rt, fake, ws, settings, logs, args))
    finally:
        fake.stop()
    return "\n".join(out)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spread-posts", type=int, default=600)
    parser.add_argument("--burst", type=int, default=10_000)
    parser.add_argument(
        "--burst-lead",
        type=float,
        default=120.0,
        help="seconds ahead the burst is due (must cover scheduling it)",
    )
    parser.add_argument("--throughput", type=int, default=3000)
    args = parser.parse_args()
    text = asyncio.run(main(args))
    if not (args.spread_posts and args.burst and args.throughput):
        sys.exit(0)  # a partial run (a part set to 0) is for trying things, not for the doc
    cmd = " ".join(sys.argv[1:])
    write_section(
        "lateness",
        f"## Lateness and throughput\n\n`.venv/bin/python bench/lateness.py {cmd}`".rstrip()
        + f" on {machine()}. Workers "
        "are `outpost worker` processes (woken when a job is due, poll 1 s as a fallback, 50 ms "
        "while jobs run; max_jobs 500); the fake Mastodon runs in "
        "its own process and takes 50 ms per create call. Lateness is when the network received "
        "the post minus its scheduled time. The machine has 2 cores shared by Postgres, Redis, "
        "the fake and the workers, so four worker processes cannot run four times as fast "
        'here; see "The bars" below.\n\n' + text + "\n",
    )
