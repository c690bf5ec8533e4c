"""Intake latency: a signed Slack slash command or an API POST until the row is committed and
the job is queued, at 10, 50 and 200 concurrent clients.

Run from the repository root (Postgres and Redis on their local ports):

    .venv/bin/python bench/intake.py [--levels 10,50,200] [--requests 400]

The app runs alone in a child process on a real port (Bolt at /slack/events, the REST API at
/api/v1), the Slack Web API is the test fake. For the API the figure is the response time (the
handler answers after commit and enqueue). Slack acknowledges first and schedules after, so its
figure is the time from sending the command to the job's enqueue time recorded in Redis.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import itertools
import multiprocessing
import os
import signal
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import asyncpg
import redis.asyncio as aioredis
from aiohttp import web

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from app.web import build_app
from bench.report import machine, wait_healthy, write_section
from bot.slack.routes import setup as slack_setup
from core import aio
from core.settings import Settings, load_settings
from scheduler.runtime import open_runtime
from storage.db import _plain_dsn, ensure_database, upgrade
from tests.fakes.slack import FakeSlack
from tests.slack.conftest import SECRET, sign
from tests.support import free_port
from webhooks import ApiConfig, make_setup

DB = "postgresql+asyncpg://postgres@127.0.0.1:5432/outpost_bench_intake"
REDIS = "redis://127.0.0.1:6379/6"
TOKEN = "op_bench_intake_token_0123456789abcdef"
_ids = itertools.count(1)


def settings_for(api_url: str, data_dir: str) -> Settings:
    return load_settings(
        database_url=DB,
        redis_url=REDIS,
        data_dir=Path(data_dir),
        slack_signing_secret=SECRET,
        slack_bot_token="xoxb-good",
        slack_api_url=api_url,
        queue_name="outpost:bench-intake",
        outpost_env="test",
        log_level="WARNING",
    )


async def prepare(api_url: str, data_dir: str) -> None:
    conn = await asyncpg.connect(_plain_dsn(DB, "postgres"))
    await conn.execute('DROP DATABASE IF EXISTS "outpost_bench_intake" WITH (FORCE)')
    await conn.close()
    await ensure_database(DB)
    await upgrade(DB)
    client = aioredis.from_url(REDIS)
    await client.flushdb()
    await client.aclose()
    async with open_runtime(settings_for(api_url, data_dir)) as rt:
        ws = await rt.workspaces.ensure("slack:T0001", "UTC")
        await rt.workspaces.add_account(
            ws.id,
            "mastodon",
            "@bench@fake.social",
            rt.cipher.encrypt("t"),
            base_url="http://127.0.0.1:9",
        )
        await rt.workspaces.add_token(
            ws.id, "bench", hashlib.sha256(TOKEN.encode()).hexdigest(), "read write"
        )


async def serve(port: int, api_url: str, data_dir: str) -> None:
    """The app alone in this process, as in production, until SIGTERM."""
    async with open_runtime(settings_for(api_url, data_dir), pool_size=20) as rt:
        # The per-token rate limit would (rightly) refuse a benchmark's burst.
        api = make_setup(ApiConfig(rate_limit=1_000_000))
        runner = web.AppRunner(build_app(rt, [slack_setup, api]), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        await runner.cleanup()


def run_server(port: int, api_url: str, data_dir: str) -> None:
    aio.run(serve(port, api_url, data_dir))


async def api_call(http: aiohttp.ClientSession, base: str) -> float:
    n = next(_ids)
    body = {
        "text": f"API bench {n}",
        "when": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
        "destinations": ["mastodon"],
    }
    start = time.perf_counter()
    async with http.post(
        f"{base}/api/v1/posts", json=body, headers={"Authorization": f"Bearer {TOKEN}"}
    ) as resp:
        await resp.read()
        assert resp.status == 201, (resp.status, await resp.text())
    return time.perf_counter() - start


async def slack_call(
    http: aiohttp.ClientSession, base: str, fake: FakeSlack, user: int, sent: dict[str, float]
) -> float:
    n = next(_ids)
    text = f"Slack bench {n}"
    body = urlencode(
        {
            "team_id": "T0001",
            "channel_id": "C0GENERAL1",
            "channel_name": "general",
            "user_id": f"U{user:08d}",
            "user_name": f"user{user}",
            "command": "/schedule",
            "text": f"tomorrow 9am to mastodon: {text}",
            "api_app_id": "A0OUTPOST",
            "response_url": f"{fake.url}/response/{n}",
            "trigger_id": f"{n}.bench.{time.time()}",
        }
    ).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
    sent[text] = time.time()
    start = time.perf_counter()
    async with http.post(f"{base}/slack/events", data=body, headers=headers) as resp:
        await resp.read()
        assert resp.status == 200, resp.status
    return time.perf_counter() - start


async def slack_intake(sent: dict[str, float]) -> list[float]:
    """Send time → the job's enqueue time in Redis, per command."""
    conn = await asyncpg.connect(_plain_dsn(DB))
    client = aioredis.from_url(REDIS)
    try:
        rows = await conn.fetch(
            "SELECT p.content, d.id FROM scheduled_posts p JOIN post_destinations d "
            "ON d.post_id = p.id WHERE p.content = ANY($1::text[])",
            list(sent),
        )
        out = []
        for row in rows:
            raw = await client.get(f"arq:job:pub:{row['id']}:0")
            if raw is None:
                continue
            from arq.jobs import deserialize_job

            job = deserialize_job(raw)
            out.append(job.enqueue_time.timestamp() - sent[row["content"]])
        return out
    finally:
        await conn.close()
        await client.aclose()


async def level(base: str, fake: FakeSlack, clients: int, total: int) -> dict[str, list[float]]:
    per_client = max(1, total // clients)
    api: list[float] = []
    slack_sent: dict[str, float] = {}
    connector = aiohttp.TCPConnector(limit=clients * 2)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def api_client() -> None:
            for _ in range(per_client):
                api.append(await api_call(http, base))

        async def slack_client(user: int) -> None:
            for _ in range(per_client):
                await slack_call(http, base, fake, user, slack_sent)

        started = time.perf_counter()
        await asyncio.gather(*(api_client() for _ in range(clients)))
        api_seconds = time.perf_counter() - started
        await asyncio.sleep(1.0)
        await asyncio.gather(*(slack_client(u) for u in range(clients)))
    deadline = time.time() + 60
    while time.time() < deadline:  # Slack schedules after the ack: wait for the rows
        slack = await slack_intake(slack_sent)
        if len(slack) >= len(slack_sent):
            break
        await asyncio.sleep(1.0)
    return {"api": api, "slack": slack, "api_seconds": [api_seconds]}


async def paced(base: str, fake: FakeSlack, clients: int, seconds: float) -> dict[str, list[float]]:
    """Each client sends one request a second (open loop), first to the API for ``seconds``,
    then as Slack commands: the latency a request sees at that load, as opposed to
    ``level``'s back-to-back clients, whose latency is the queue they build themselves."""
    api: list[float] = []
    slack_sent: dict[str, float] = {}
    connector = aiohttp.TCPConnector(limit=clients * 2)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def client(index: int, slack: bool) -> None:
            await asyncio.sleep(index / clients)  # spread the clients over the second
            start = time.perf_counter()
            for tick in range(int(seconds)):
                if slack:
                    await slack_call(http, base, fake, index, slack_sent)
                else:
                    api.append(await api_call(http, base))
                await asyncio.sleep(max(0.0, start + tick + 1 - time.perf_counter()))

        await asyncio.gather(*(client(i, False) for i in range(clients)))
        await asyncio.gather(*(client(i, True) for i in range(clients)))
    deadline = time.time() + 60
    while time.time() < deadline:
        slack = await slack_intake(slack_sent)
        if len(slack) >= len(slack_sent):
            break
        await asyncio.sleep(1.0)
    return {"api": api, "slack": slack}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


async def main(levels: list[int], total: int, paced_levels: list[int], paced_seconds: float) -> str:
    data_dir = tempfile.mkdtemp()
    fake = FakeSlack()
    await fake.start()
    for user in range(max([*levels, *paced_levels, 10])):
        fake.add_user(f"U{user:08d}")
    await prepare(fake.api_url(), data_dir)
    port = free_port()
    server = multiprocessing.get_context("spawn").Process(
        target=run_server, args=(port, fake.api_url(), data_dir)
    )
    server.start()
    base = f"http://127.0.0.1:{port}"
    lines = [
        "| clients | API p50 | API p99 | API rate | Slack p50 | Slack p99 | requests each |",
        "|---|---|---|---|---|---|---|",
    ]
    try:
        async with aiohttp.ClientSession() as http:
            await wait_healthy(http, base)
        await level(base, fake, 10, 40)  # warm-up: users synced, pools filled
        for clients in levels:
            started = time.perf_counter()
            got = await level(base, fake, clients, total)
            rate = len(got["api"]) / got["api_seconds"][0]
            lines.append(
                f"| {clients} back to back | {statistics.median(got['api']) * 1000:.1f} ms | "
                f"{pct(got['api'], 0.99):.1f} ms | {rate:.0f}/s | "
                f"{statistics.median(got['slack']) * 1000:.1f} ms"
                f" | {pct(got['slack'], 0.99):.1f} ms | {len(got['api'])} / {len(got['slack'])} |"
            )
            print(lines[-1], f"({time.perf_counter() - started:.0f} s)", flush=True)
        for clients in paced_levels:
            got = await paced(base, fake, clients, paced_seconds)
            lines.append(
                f"| {clients} x 1 request/s | {statistics.median(got['api']) * 1000:.1f} ms | "
                f"{pct(got['api'], 0.99):.1f} ms | {clients}/s offered | "
                f"{statistics.median(got['slack']) * 1000:.1f} ms"
                f" | {pct(got['slack'], 0.99):.1f} ms | {len(got['api'])} / {len(got['slack'])} |"
            )
            print(lines[-1], flush=True)
    finally:
        if server.pid is not None:
            os.kill(server.pid, signal.SIGTERM)
        server.join(30)
        await fake.stop()
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="10,50,200")
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--paced", default="50", help="clients sending 1 request/s each")
    parser.add_argument("--paced-seconds", type=float, default=20.0)
    args = parser.parse_args()
    paced_levels = [int(x) for x in args.paced.split(",") if x]
    table = asyncio.run(
        main(
            [int(x) for x in args.levels.split(",") if x],
            args.requests,
            paced_levels,
            args.paced_seconds,
        )
    )
    write_section(
        "intake",
        "## Intake: request to row committed and job queued\n\n"
        f"`.venv/bin/python bench/intake.py --levels {args.levels} --requests {args.requests} "
        f"--paced {args.paced} --paced-seconds {args.paced_seconds:g}` on {machine()}. One app "
        "process. API: response time of `POST /api/v1/posts` (answers after commit and "
        "enqueue). Slack: send time of the signed `/schedule` to the job's enqueue time in "
        "Redis (Bolt acks first). Back-to-back clients send their next request as soon as "
        "the last is answered, so their latency is the queue in front of one process "
        "(clients / rate); paced clients send one request a second each, the latency a "
        "request sees when the app keeps up.\n\n" + table + "\n",
    )
