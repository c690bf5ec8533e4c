"""Slash-command acknowledgement latency: 50 concurrent signed ``/schedule`` requests.

Run from the repository root (Postgres and Redis on their local ports):

    .venv/bin/python bench/slack_ack.py [--concurrency 50] [--rounds 6]

The real aiohttp app (Bolt mounted at /slack/events) listens on a real port, the Slack Web API
is the test fake, and every request schedules a real post, so the work after each ack (users
sync, Postgres writes, the summary message) competes with the acks as it would in production.
The figure is the HTTP response time the client sees: what Slack's 3-second clock measures.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import multiprocessing
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from app.web import build_app
from bench.report import machine, wait_healthy, write_section
from bot.slack.routes import setup as slack_setup
from core import aio
from core.settings import load_settings
from scheduler.runtime import open_runtime
from storage.db import _plain_dsn, ensure_database, upgrade
from tests.fakes.slack import FakeSlack
from tests.slack.conftest import SECRET, sign
from tests.support import free_port

DB = "postgresql+asyncpg://postgres@127.0.0.1:5432/outpost_bench_slack"
_ids = itertools.count(1)


async def fresh_database() -> None:
    import asyncpg

    conn = await asyncpg.connect(_plain_dsn(DB, "postgres"))
    await conn.execute('DROP DATABASE IF EXISTS "outpost_bench_slack" WITH (FORCE)')
    await conn.close()
    await ensure_database(DB)
    await upgrade(DB)


def command(fake: FakeSlack, user: int) -> bytes:
    n = next(_ids)
    return urlencode(
        {
            "team_id": "T0001",
            "channel_id": "C0GENERAL1",
            "channel_name": "general",
            "user_id": f"U{user:08d}",
            "user_name": f"user{user}",
            "command": "/schedule",
            "text": f"tomorrow 9am to mastodon: Bench post {n}",
            "api_app_id": "A0OUTPOST",
            "response_url": f"{fake.url}/response/{n}",
            "trigger_id": f"{n}.bench.{time.time()}",
        }
    ).encode()


async def one(http: aiohttp.ClientSession, url: str, body: bytes) -> float:
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
    start = time.perf_counter()
    async with http.post(url, data=body, headers=headers) as resp:
        await resp.read()
        assert resp.status == 200, resp.status
    return time.perf_counter() - start


async def serve(port: int, api_url: str, data_dir: str) -> None:
    """The app alone in this process, as in production, until SIGTERM."""
    settings = load_settings(
        database_url=DB,
        redis_url="redis://127.0.0.1:6379/14",
        data_dir=Path(data_dir),
        slack_signing_secret=SECRET,
        slack_bot_token="xoxb-good",
        slack_api_url=api_url,
        queue_name="outpost:bench-slack",
        outpost_env="test",
        log_level="WARNING",
    )
    async with open_runtime(settings, pool_size=20) as rt:
        ws = await rt.workspaces.ensure("slack:T0001", "UTC")
        await rt.workspaces.add_account(
            ws.id,
            "mastodon",
            "@bench@fake.social",
            rt.cipher.encrypt("t"),
            base_url="http://127.0.0.1:9",
        )
        runner = web.AppRunner(build_app(rt, [slack_setup]), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        await runner.cleanup()


def run_server(port: int, api_url: str, data_dir: str) -> None:
    aio.run(serve(port, api_url, data_dir))


async def main(concurrency: int, rounds: int) -> dict[str, float]:
    await fresh_database()
    fake = FakeSlack()
    await fake.start()
    for user in range(concurrency):
        fake.add_user(f"U{user:08d}")
    port = free_port()
    server = multiprocessing.get_context("spawn").Process(
        target=run_server, args=(port, fake.api_url(), tempfile.mkdtemp())
    )
    server.start()
    url = f"http://127.0.0.1:{port}/slack/events"
    times: list[float] = []
    connector = aiohttp.TCPConnector(limit=concurrency * 2)
    try:
        async with aiohttp.ClientSession(connector=connector) as http:
            await wait_healthy(http, f"http://127.0.0.1:{port}", tries=100)
            await asyncio.gather(*(one(http, url, command(fake, u)) for u in range(concurrency)))
            await asyncio.sleep(2.0)  # warm-up: every user synced, pools filled
            for _ in range(rounds):
                batch = [one(http, url, command(fake, u)) for u in range(concurrency)]
                times.extend(await asyncio.gather(*batch))
                await asyncio.sleep(1.5)  # let the work after the acks drain
    finally:
        if server.pid is not None:
            os.kill(server.pid, signal.SIGTERM)
        server.join(30)
    await fake.stop()
    times.sort()
    return {
        "n": len(times),
        "p50": statistics.median(times) * 1000,
        "p99": times[min(len(times) - 1, int(len(times) * 0.99))] * 1000,
        "max": times[-1] * 1000,
        "summaries": len(fake.calls("chat.postMessage")),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    figures = asyncio.run(main(args.concurrency, args.rounds))
    print(figures)
    write_section(
        "slack",
        "## Slack: slash-command acknowledgement\n\n"
        f"`.venv/bin/python bench/slack_ack.py --concurrency {args.concurrency} "
        f"--rounds {args.rounds}` on {machine()}.\n\n"
        f"{figures['n']:.0f} signed `/schedule` requests, {args.concurrency} at a time, each "
        "scheduling a real post (Postgres, users sync, summary message to the fake Slack) "
        "after its ack.\n\n"
        "| p50 | p99 | max | Slack's limit |\n|---|---|---|---|\n"
        f"| {figures['p50']:.1f} ms | {figures['p99']:.1f} ms | {figures['max']:.1f} ms "
        "| 3000 ms |\n",
    )
