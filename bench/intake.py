"""Intake: a signed Slack slash command or an API POST until the row is committed and the job
is queued, at 10, 50 and 200 concurrent clients, with the app's CPU per create, for 1 and 2
web processes.

Run from the repository root (Postgres and Redis on their local ports):

    .venv/bin/python bench/intake.py [--processes 1,2] [--levels 10,50,200] [--requests 400]

For each processes count, ``outpost web`` (with ``--processes N`` above one) runs in a child
process on a real port, as in production; the Slack Web API is the test fake. Each client has
its own API token, so the per-token rate limit stays out of the figures (its Redis count is
still paid on every request). For the API the figure is the response time (the handler
answers after commit and enqueue). Slack acknowledges first and schedules after, so its figure
is the time from sending the command to the job's enqueue time recorded in Redis.

App CPU per create is the user + system CPU time of the server's processes (the ``outpost
web`` process and its children, read with psutil before and after) while the back-to-back API
clients ran, divided by the creates they made. It counts everything the app did meanwhile
(its background alarm task too), not the client, Postgres or Redis. Beside it, the same for
the Postgres backends serving the bench database (found in ``pg_stat_activity``; needs the
rights to read their /proc entries) and for the bench's own client process.

``BENCH_DATABASE_URL`` and ``BENCH_REDIS_URL`` choose where it runs (the database is dropped
and made again).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import itertools
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import aiohttp
import asyncpg
import psutil
import redis.asyncio as aioredis

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.report import machine, wait_healthy, write_section
from core.settings import Settings, load_settings
from scheduler.runtime import open_runtime
from storage.db import _plain_dsn, ensure_database, upgrade
from tests.fakes.slack import FakeSlack
from tests.slack.conftest import SECRET, sign
from tests.support import free_port

DB = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/outpost_bench_intake"
)
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
QUEUE = "outpost:bench-intake"
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
        queue_name=QUEUE,
        outpost_env="test",
        log_level="WARNING",
    )


def client_token(index: int) -> str:
    return f"op_bench_intake_client_{index:04d}_0123456789abcdef"


async def prepare(api_url: str, data_dir: str, clients: int = 0) -> None:
    """A fresh database with one workspace, a Mastodon account, ``TOKEN`` and one token per
    client; an empty Redis database."""
    name = urlsplit(DB).path.lstrip("/")
    conn = await asyncpg.connect(_plain_dsn(DB, "postgres"))
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
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
        for token in [TOKEN, *(client_token(i) for i in range(clients))]:
            digest = hashlib.sha256(token.encode()).hexdigest()
            await rt.workspaces.add_token(ws.id, "bench", digest, "read write")


def server_env(port: int, api_url: str, data_dir: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TELEGRAM_"))}
    env.update(
        OUTPOST_ENV="test",
        HOST="127.0.0.1",
        PORT=str(port),
        DATABASE_URL=DB,
        REDIS_URL=REDIS,
        DATA_DIR=data_dir,  # prepare() made the secrets there: the same cipher
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_BOT_TOKEN="xoxb-good",
        SLACK_API_URL=api_url,
        QUEUE_NAME=QUEUE,
        LOG_LEVEL="WARNING",
    )
    return env


def start_web(processes: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """``outpost web`` (``--processes N`` above one) in its own process group."""
    command = [os.path.join(ROOT, ".venv", "bin", "outpost"), "web"]
    if processes > 1:
        command += ["--processes", str(processes)]
    return subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)


def stop_web(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(10)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and its descendants, the reaped ones included."""
    root = psutil.Process(pid)
    total = 0.0
    for proc in [root, *root.children(recursive=True)]:
        try:
            t = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system + t.children_user + t.children_system
    return total


async def backend_cpu() -> dict[int, float]:
    """CPU seconds of each Postgres backend serving the bench database, by pid."""
    conn = await asyncpg.connect(_plain_dsn(DB, "postgres"))
    try:
        pids = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1", urlsplit(DB).path.lstrip("/")
        )
    finally:
        await conn.close()
    out: dict[int, float] = {}
    for row in pids:
        try:
            t = psutil.Process(row["pid"]).cpu_times()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        out[row["pid"]] = t.user + t.system
    return out


async def api_call(http: aiohttp.ClientSession, base: str, token: str = TOKEN) -> float:
    n = next(_ids)
    body = {
        "text": f"API bench {n}",
        "when": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
        "destinations": ["mastodon"],
    }
    start = time.perf_counter()
    async with http.post(
        f"{base}/api/v1/posts", json=body, headers={"Authorization": f"Bearer {token}"}
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
    from arq.jobs import deserialize_job

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
            job = deserialize_job(raw)
            out.append(job.enqueue_time.timestamp() - sent[row["content"]])
        return out
    finally:
        await conn.close()
        await client.aclose()


async def wait_slack(sent: dict[str, float]) -> list[float]:
    deadline = time.time() + 60
    slack: list[float] = []
    while time.time() < deadline:  # Slack schedules after the ack: wait for the rows
        slack = await slack_intake(sent)
        if len(slack) >= len(sent):
            break
        await asyncio.sleep(1.0)
    return slack


async def bytes_per_post() -> tuple[int, float]:
    """(posts, bytes per post) of the posts, destinations and media links tables with their
    indexes and TOAST, after a VACUUM, in the bench database as the runs left it."""
    conn = await asyncpg.connect(_plain_dsn(DB))
    try:
        await conn.execute("VACUUM ANALYZE scheduled_posts, post_destinations, post_media")
        posts = await conn.fetchval("SELECT count(*) FROM scheduled_posts")
        size = await conn.fetchval(
            "SELECT pg_total_relation_size('scheduled_posts')"
            " + pg_total_relation_size('post_destinations') + pg_total_relation_size('post_media')"
        )
    finally:
        await conn.close()
    return int(posts), size / max(1, posts)


async def settle(pid: int, timeout: float = 20.0) -> None:
    """Wait until the server is idle (under 5% of a core for half a second): work a Slack
    command queued after its ack must not be counted as the next level's creates."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        before = cpu_seconds(pid)
        await asyncio.sleep(0.5)
        if cpu_seconds(pid) - before < 0.025:
            return


@dataclass
class Level:
    api: list[float] = field(default_factory=list)
    slack: list[float] = field(default_factory=list)
    api_seconds: float = 0.0
    cpu_seconds: float = 0.0
    pg_seconds: float = 0.0
    client_seconds: float = 0.0


async def level(
    base: str, fake: FakeSlack, clients: int, total: int, pid: int, slack: bool = True
) -> Level:
    per_client = max(1, total // clients)
    got = Level()
    slack_sent: dict[str, float] = {}
    connector = aiohttp.TCPConnector(limit=clients * 2)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def api_client(index: int) -> None:
            for _ in range(per_client):
                got.api.append(await api_call(http, base, client_token(index)))

        async def slack_client(user: int) -> None:
            for _ in range(per_client):
                await slack_call(http, base, fake, user, slack_sent)

        await settle(pid)
        pg = await backend_cpu()
        cpu, client = cpu_seconds(pid), time.process_time()
        started = time.perf_counter()
        await asyncio.gather(*(api_client(i) for i in range(clients)))
        got.api_seconds = time.perf_counter() - started
        got.cpu_seconds = cpu_seconds(pid) - cpu
        got.client_seconds = time.process_time() - client
        after = await backend_cpu()
        got.pg_seconds = sum(v - pg.get(k, 0.0) for k, v in after.items())
        if slack:
            await asyncio.sleep(1.0)
            await asyncio.gather(*(slack_client(u) for u in range(clients)))
    if slack:
        got.slack = await wait_slack(slack_sent)
    return got


async def paced(base: str, fake: FakeSlack, clients: int, seconds: float) -> Level:
    """Each client sends one request a second (open loop), first to the API for ``seconds``,
    then as Slack commands: the latency a request sees at that load, as opposed to
    ``level``'s back-to-back clients, whose latency is the queue they build themselves."""
    got = Level()
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
                    got.api.append(await api_call(http, base, client_token(index)))
                await asyncio.sleep(max(0.0, start + tick + 1 - time.perf_counter()))

        await asyncio.gather(*(client(i, False) for i in range(clients)))
        await asyncio.gather(*(client(i, True) for i in range(clients)))
    got.slack = await wait_slack(slack_sent)
    return got


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


def ms(values: list[float], q: float | None = None) -> str:
    if not values:
        return "-"
    return f"{(statistics.median(values) * 1000 if q is None else pct(values, q)):.1f} ms"


@dataclass
class Run:
    processes: int
    rows: list[str]
    posts: int = 0
    bytes_per_post: float = 0.0
    rate_50: float = 0.0
    p99_50: float = 0.0
    cpu_50: tuple[float, float, float] = (0.0, 0.0, 0.0)  # app, Postgres, bench client
    cpu_per_create: list[float] = field(default_factory=list)
    pg_per_create: list[float] = field(default_factory=list)
    client_per_create: list[float] = field(default_factory=list)


async def run_processes(
    processes: int,
    fake: FakeSlack,
    levels: list[int],
    total: int,
    paced_levels: list[int],
    paced_seconds: float,
    slack: bool,
) -> Run:
    data_dir = tempfile.mkdtemp()
    await prepare(fake.api_url(), data_dir, max([*levels, *paced_levels, 50]))
    port = free_port()
    server = start_web(processes, server_env(port, fake.api_url(), data_dir))
    base = f"http://127.0.0.1:{port}"
    run = Run(processes, [])
    try:
        async with aiohttp.ClientSession() as http:
            await wait_healthy(http, base)
        await level(base, fake, 50, 100, server.pid)  # warm-up: every process, users synced
        for clients in levels:
            started = time.perf_counter()
            got = await level(base, fake, clients, total, server.pid, slack)
            rate = len(got.api) / got.api_seconds
            cpu = got.cpu_seconds / len(got.api) * 1000
            run.cpu_per_create.append(cpu)
            run.pg_per_create.append(got.pg_seconds / len(got.api) * 1000)
            run.client_per_create.append(got.client_seconds / len(got.api) * 1000)
            if clients == 50:
                run.rate_50, run.p99_50 = rate, pct(got.api, 0.99)
                run.cpu_50 = (cpu, run.pg_per_create[-1], run.client_per_create[-1])
            run.rows.append(
                f"| {processes} | {clients} back to back | {ms(got.api)} | "
                f"{ms(got.api, 0.99)} | {rate:.0f}/s | {cpu:.2f} ms | {ms(got.slack)}"
                f" | {ms(got.slack, 0.99)} | {len(got.api)} / {len(got.slack)} |"
            )
            print(run.rows[-1], f"({time.perf_counter() - started:.0f} s)", flush=True)
        for clients in paced_levels:
            got = await paced(base, fake, clients, paced_seconds)
            run.rows.append(
                f"| {processes} | {clients} x 1 request/s | {ms(got.api)} | "
                f"{ms(got.api, 0.99)} | {clients}/s offered | - | {ms(got.slack)}"
                f" | {ms(got.slack, 0.99)} | {len(got.api)} / {len(got.slack)} |"
            )
            print(run.rows[-1], flush=True)
    finally:
        stop_web(server)
    run.posts, run.bytes_per_post = await bytes_per_post()
    return run


async def main(
    processes: list[int],
    levels: list[int],
    total: int,
    paced_levels: list[int],
    paced_seconds: float,
    slack: bool,
) -> list[Run]:
    fake = FakeSlack()
    await fake.start()
    for user in range(max([*levels, *paced_levels, 50])):
        fake.add_user(f"U{user:08d}")
    try:
        return [
            await run_processes(n, fake, levels, total, paced_levels, paced_seconds, slack)
            for n in processes
        ]
    finally:
        await fake.stop()


def report(runs: list[Run]) -> str:
    lines = [
        "| web processes | clients | API p50 | API p99 | API rate | app CPU per create "
        "| Slack p50 | Slack p99 | requests each |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        lines += run.rows
    side = [
        "| web processes | creates/s | p99 | app CPU per create | Postgres CPU per create "
        "| bench client CPU per create |",
        "|---|---|---|---|---|---|",
    ]
    for run in runs:
        app, pg, client = run.cpu_50
        side.append(
            f"| {run.processes} | {run.rate_50:.0f}/s | {run.p99_50:.1f} ms | {app:.2f} ms | "
            f"{pg:.2f} ms | {client:.2f} ms |"
        )
    last = runs[-1]
    size = (
        f"Postgres per post as the API writes them (one destination, no media): "
        f"{last.bytes_per_post:,.0f} bytes of posts, destinations and media-link tables with "
        f"their indexes, over the {last.posts:,} posts of the last run.\n"
    )
    return "\n".join(side) + "\n\n" + size + "\n" + "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", default="1,2", help="web process counts to run in turn")
    parser.add_argument("--levels", default="10,50,200")
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--paced", default="50", help="clients sending 1 request/s each")
    parser.add_argument("--paced-seconds", type=float, default=20.0)
    parser.add_argument("--no-slack", action="store_true", help="API creates only")
    parser.add_argument("--no-write", action="store_true", help="print, leave the docs alone")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    runs = asyncio.run(
        main(
            [int(x) for x in args.processes.split(",") if x],
            [int(x) for x in args.levels.split(",") if x],
            args.requests,
            [int(x) for x in args.paced.split(",") if x],
            args.paced_seconds,
            not args.no_slack,
        )
    )
    table = report(runs)
    print(table)
    if not args.no_write:
        write_section(
            "intake",
            "## Intake: request to row committed and job queued\n\n"
            f"`.venv/bin/python bench/intake.py --processes {args.processes} --levels "
            f"{args.levels} --requests {args.requests} --paced {args.paced} --paced-seconds "
            f"{args.paced_seconds:g}` on {machine()}. `outpost web` in a child process (with "
            "`--processes N` above one: N processes sharing the port). API: response time of "
            "`POST /api/v1/posts` (answers after commit and enqueue); each client has its own "
            "token. App CPU per create: user + system CPU of the server's processes while the "
            "back-to-back API clients ran, divided by their creates; the first table is the 50 "
            "back-to-back clients' level, with the CPU of the Postgres backends serving the "
            "bench database and of the bench's own client process in the same interval. "
            "Slack: send time of the signed `/schedule` to the job's enqueue time in Redis "
            "(Bolt acks first). "
            "Back-to-back clients send their next request as soon as the last is answered, so "
            "their latency is the queue in front of the app (clients / rate); paced clients "
            "send one request a second each, the latency a request sees when the app keeps "
            "up. The bench's own clients, Postgres and Redis share the same cores; the "
            f"machine's load average was {load_before:.1f} at the start and "
            f"{os.getloadavg()[0]:.1f} at the end.\n\n"
            + table
            + "\n",
        )
