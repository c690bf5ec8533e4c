"""Time the calendar's month view with 10,000 posts in one workspace's month.

Run from the repository root (Postgres and Redis on their local ports):

    .venv/bin/python bench/calendar_month.py [--posts 10000] [--requests 200]

Seeds a separate database (``outpost_bench_calendar``, or ``BENCH_DATABASE_URL``) with COPY,
logs in through a real one-time link, then requests the month, week and list views through
the real aiohttp app over a socket and writes p50/p95/max into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import asyncpg
from aiohttp.test_utils import TestClient, TestServer
from cryptography.fernet import Fernet

from app.web import build_app
from core.settings import load_settings
from scheduler.logins import create_login_link
from scheduler.runtime import open_runtime
from storage.db import _plain_dsn, ensure_database, upgrade
from web.calendar import setup

DB = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/outpost_bench_calendar"
)
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
MONTH = datetime(2027, 3, 1, tzinfo=UTC)
STATUSES = ["scheduled"] * 14 + ["published"] * 3 + ["failed"] * 2 + ["cancelled"]
DEST = {
    "scheduled": "pending",
    "published": "success",
    "failed": "failed",
    "cancelled": "cancelled",
}


async def seed(conn: asyncpg.Connection, ws: uuid.UUID, accounts: list[uuid.UUID], n: int) -> None:
    """``n`` posts spread over the month, 1-2 destinations each, an image on every tenth."""
    span = 31 * 24 * 3600
    posts, dests, links = [], [], []
    media = uuid.uuid4()
    await conn.execute(
        "INSERT INTO media_library (id, workspace_id, url, storage_key, content_type, sha256,"
        " size_bytes, width, height) VALUES ($1, $2, 'media:x', $3, 'image/png', $4, 100, 8, 8)",
        media,
        ws,
        f"{ws}/{'0' * 64}",
        "0" * 64,
    )
    for i in range(n):
        post = uuid.uuid4()
        status = STATUSES[i % len(STATUSES)]
        when = MONTH + timedelta(seconds=(i * 7919) % span)
        posts.append((post, ws, f"Post number {i}: <b>launch</b> news " * 3, when, "UTC", status))
        for account in accounts[: 1 + i % 2]:
            dests.append((uuid.uuid4(), post, account, DEST[status], when, uuid.uuid4().hex))
        if i % 10 == 0:
            links.append((post, media, 0))
    await conn.copy_records_to_table(
        "scheduled_posts",
        records=posts,
        columns=["id", "workspace_id", "content", "scheduled_at", "timezone", "status"],
    )
    await conn.copy_records_to_table(
        "post_destinations",
        records=dests,
        columns=["id", "post_id", "social_account_id", "status", "due_at", "idempotency_key"],
    )
    await conn.copy_records_to_table(
        "post_media", records=links, columns=["post_id", "media_id", "position"]
    )
    await conn.execute("ANALYZE")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def run(posts: int, requests: int) -> str:
    admin = await asyncpg.connect(_plain_dsn(DB, "postgres"))
    await admin.execute(f'DROP DATABASE IF EXISTS "{DB.rsplit("/", 1)[1]}" WITH (FORCE)')
    await admin.close()
    await ensure_database(DB)
    await upgrade(DB)
    with TemporaryDirectory() as tmp:
        settings = load_settings(
            outpost_env="test",
            database_url=DB,
            redis_url=REDIS,
            data_dir=Path(tmp),
            secret_key="bench-secret-key",
            encryption_keys=Fernet.generate_key().decode(),
            queue_name="outpost:bench-calendar",
        )
        async with open_runtime(settings) as rt:
            ws = await rt.workspaces.create("bench", "Europe/Berlin")
            accounts = [
                (await rt.workspaces.add_account(ws.id, p, h, rt.cipher.encrypt("t"))).id
                for p, h in (("mastodon", "@a@x.social"), ("webhook", "zapier"))
            ]
            user, _ = await rt.workspaces.sync_chat_user(ws.id, "slack", "T", "U", "bench")
            conn = await asyncpg.connect(_plain_dsn(DB))
            started = time.perf_counter()
            await seed(conn, ws.id, accounts, posts)
            seeded = time.perf_counter() - started
            await conn.close()
            async with TestClient(TestServer(build_app(rt, [setup]))) as client:
                path = (await create_login_link(rt, ws.id, user)).removeprefix(settings.base_url)
                page = await (await client.get(path)).text()
                token = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
                assert token is not None
                await client.post(path, data={"csrf": token[1]})
                lines = []
                for label, url in (
                    ("month", f"/?month={MONTH:%Y-%m}"),
                    ("week", f"/?view=week&date={MONTH + timedelta(days=14):%Y-%m-%d}"),
                    ("list (page 1 of 100)", f"/?view=list&month={MONTH:%Y-%m}"),
                ):
                    times, size = [], 0
                    for i in range(requests + 10):
                        t0 = time.perf_counter()
                        answer = await client.get(url)
                        body = await answer.read()
                        elapsed = (time.perf_counter() - t0) * 1000
                        assert answer.status == 200, answer.status
                        if i >= 10:  # warm-up: templates compiled, pool connections open
                            times.append(elapsed)
                            size = len(body)
                    lines.append(
                        f"| {label} | {statistics.median(times):.1f} | {pct(times, 95):.1f} | "
                        f"{max(times):.1f} | {size // 1024} KB |"
                    )
    from report import machine

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())

    return "\n".join(
        [
            "## Calendar month view",
            "",
            f"Command: `.venv/bin/python bench/calendar_month.py --posts {posts} "
            f"--requests {requests}`",
            "",
            f"Machine: {machine()}; load average at the end {load} (the cores were shared "
            "with other test runs)",
            "",
            f"{posts} posts in one workspace's month (1-2 destinations each, an image on every "
            f"tenth; seeded by COPY in {seeded:.1f} s). Each figure is the full HTTP round trip "
            f"through the real app and a logged-in session (session lookup, one window query, "
            f"signed thumbnail URLs, Jinja2 rendering), {requests} requests after 10 warm-ups.",
            "",
            "| view | p50 ms | p95 ms | max ms | page size |",
            "| --- | --- | --- | --- | --- |",
            *lines,
            "",
            'A month cell shows its first four posts and "+N more" (with the day\'s failed '
            "count), a week column its first 40; the list view pages by 100. The window query "
            "ranks posts per local day in SQL, so the page size stays flat however busy the "
            "month is.",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--posts", type=int, default=10_000)
    ap.add_argument("--requests", type=int, default=200)
    args = ap.parse_args(argv)
    text = asyncio.run(run(args.posts, args.requests))
    print(text)
    from report import write_section

    write_section("calendar", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
