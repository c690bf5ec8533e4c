"""Intake under attack: how much slower post creation gets while one client sends stalling input.

Run from the repository root (Postgres and Redis on their local ports):

    .venv/bin/python bench/attack_intake.py [--clients 50] [--seconds 20]

``outpost web`` runs in a child process on 127.0.0.1 (the Slack Web API is the test fake, so
``/slack/events`` is on). ``--clients`` clients each create one post a second through ``POST
/api/v1/posts`` (each with its own token, under the per-token rate limit), for ``--seconds``,
twice: alone, then beside one attacker sending, back to back (each kind in its own stream),
unsigned megabyte Slack bodies, the most expensive template the hook API accepts to the
preview, and megabyte JSON bodies to the posts and inbound hook routes. Prints p50/p99 of the
creates for both runs and their ratio. Everything targets 127.0.0.1; the run is bounded (about
a minute with the defaults, plus start-up).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.intake import TOKEN, pct, prepare, server_env, settings_for
from bench.report import machine, wait_healthy
from scheduler.runtime import open_runtime
from tests.fakes.slack import FakeSlack
from tests.support import free_port

MEGABYTE = 1024 * 1024
# Tried in order; the first the hook API accepts is the one the attacker previews.
TEMPLATES = [
    "{% for a in range(2000) %}{% for b in range(2000) %}{{ a * b }}{% endfor %}{% endfor %}",
    "{% for a in range(100000) %}{{ a }}{% endfor %}",
    "{{ (payload | string) * 1000 }}",
    "{{ payload }}",
]
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=15)
ERROR_LINE = '"level": "error"'


async def _tokens(api_url: str, data_dir: str, count: int) -> list[str]:
    """One token per client: the API's per-token rate limit stays out of the figure."""
    made = [f"op_bench_attack_{n:04d}_0123456789abcdef" for n in range(count)]
    async with open_runtime(settings_for(api_url, data_dir)) as rt:
        ws = await rt.workspaces.ensure("slack:T0001", "UTC")
        for token in made:
            digest = hashlib.sha256(token.encode()).hexdigest()
            await rt.workspaces.add_token(ws.id, "bench", digest, "read write")
    return made


async def _create(http: aiohttp.ClientSession, base: str, token: str, n: int) -> float:
    body = {
        "text": f"Attack bench {n}",
        "when": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
        "destinations": ["mastodon"],
    }
    start = time.perf_counter()
    try:
        async with http.post(
            f"{base}/api/v1/posts", json=body, headers={"Authorization": f"Bearer {token}"}
        ) as resp:
            await resp.read()
            if resp.status != 201:
                raise RuntimeError(f"create answered {resp.status}: {await resp.text()}")
    except TimeoutError:
        return REQUEST_TIMEOUT.total or 0.0  # counted at the limit: the client gave up there
    return time.perf_counter() - start


async def creates(base: str, tokens: list[str], seconds: float) -> list[float]:
    """Each client creates one post a second for ``seconds`` (none starts after that, however
    slow the answers); every create's latency."""
    took: list[float] = []
    connector = aiohttp.TCPConnector(limit=len(tokens) * 2)
    async with aiohttp.ClientSession(connector=connector, timeout=REQUEST_TIMEOUT) as http:

        async def client(index: int) -> None:
            await asyncio.sleep(index / len(tokens))  # spread the clients over the second
            start, tick = time.perf_counter(), 0
            while time.perf_counter() - start < seconds:
                took.append(await _create(http, base, tokens[index], index * 10_000 + tick))
                tick += 1
                await asyncio.sleep(max(0.0, start + tick - time.perf_counter()))

        await asyncio.gather(*(client(i) for i in range(len(tokens))))
    return took


async def _hook(http: aiohttp.ClientSession, base: str) -> tuple[str, str]:
    """A hook with the most expensive template the API accepts: (id, template)."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    for template in TEMPLATES:
        body = {"name": "attack", "verification": "github", "template": template,
                "destinations": ["mastodon"]}  # fmt: skip
        async with http.post(f"{base}/api/v1/hooks", json=body, headers=auth) as resp:
            if resp.status == 201:
                return str((await resp.json())["hook"]["id"]), template
    raise RuntimeError("the hook API accepted none of the templates")


async def attacker(
    base: str, hook_id: str, stop: asyncio.Event, sent: dict[str, list[float]]
) -> None:
    """Stalling inputs, back to back, until ``stop``; how long each took, by kind."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    slack_body = b"payload=" + b"%7B%22a%22%3A" * (MEGABYTE // 13)  # unsigned, megabytes
    big_json = json.dumps({"text": "x" * MEGABYTE, "destinations": ["mastodon"]}).encode()
    preview = {"payload": {"release": {"name": "x" * 1000, "html_url": "y"}}}
    attacks = [
        ("slack", f"{base}/slack/events", slack_body,
         {"Content-Type": "application/x-www-form-urlencoded"}),
        ("preview", f"{base}/api/v1/hooks/{hook_id}/preview", json.dumps(preview).encode(),
         {**auth, "Content-Type": "application/json"}),
        ("posts", f"{base}/api/v1/posts", big_json, {**auth, "Content-Type": "application/json"}),
        ("hook", f"{base}/hooks/{hook_id}", big_json, {"Content-Type": "application/json"}),
    ]  # fmt: skip
    async with aiohttp.ClientSession(timeout=REQUEST_TIMEOUT) as http:

        async def stream(kind: str, url: str, data: bytes, headers: dict[str, str]) -> None:
            # Each kind back to back on its own, so one kind's answers never pace another's.
            while not stop.is_set():
                start = time.perf_counter()
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with http.post(url, data=data, headers=headers) as resp:
                        await resp.read()
                sent.setdefault(kind, []).append(time.perf_counter() - start)

        await asyncio.gather(*(stream(*attack) for attack in attacks))


def _line(name: str, took: list[float]) -> str:
    return (f"| {name} | {len(took)} | {statistics.median(took) * 1000:.1f} ms | "
            f"{pct(took, 0.99):.1f} ms |")  # fmt: skip


async def main(clients: int, seconds: float) -> str:
    data_dir = tempfile.mkdtemp()
    fake = FakeSlack()
    await fake.start()
    await prepare(fake.api_url(), data_dir)
    tokens = await _tokens(fake.api_url(), data_dir, clients)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    outpost = str(Path(sys.executable).with_name("outpost"))
    log = Path(data_dir) / "server.log"
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [outpost, "web"],
            env=server_env(port, fake.api_url(), data_dir),
            cwd=data_dir,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        async with aiohttp.ClientSession(timeout=REQUEST_TIMEOUT) as http:
            await wait_healthy(http, base)
            hook_id, template = await _hook(http, base)
        await creates(base, tokens[:10], 2)  # warm-up: pools filled, templates compiled
        calm = await creates(base, tokens, seconds)
        stop, sent = asyncio.Event(), dict[str, list[float]]()
        attack = asyncio.create_task(attacker(base, hook_id, stop, sent))
        await asyncio.sleep(1.0)  # the attacker is under way before the creates start
        attacked = await creates(base, tokens, seconds)
        stop.set()
        await asyncio.wait_for(attack, timeout=30)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        await fake.stop()
    lines = [
        f"`outpost web` on {machine()}; {clients} clients x 1 create/s for {seconds:g} s.",
        "Attacker, by kind: requests sent, slowest answer: "
        + ", ".join(f"{k} {len(v)}, {max(v):.1f} s" for k, v in sent.items())
        + f" (preview template `{template[:60]}`).",
        f"Server errors logged: {log.read_text().count(ERROR_LINE)} ({log}).",
        f"Creates at the {REQUEST_TIMEOUT.total:g} s client limit: alone "
        f"{sum(t >= (REQUEST_TIMEOUT.total or 0) for t in calm)}, beside the attacker "
        f"{sum(t >= (REQUEST_TIMEOUT.total or 0) for t in attacked)}.",
        "",
        "| run | creates | p50 | p99 |",
        "|---|---|---|---|",
        _line("alone", calm),
        _line("beside the attacker", attacked),
        "",
        f"Ratio under attack: p50 x{statistics.median(attacked) / statistics.median(calm):.2f}, "
        f"p99 x{pct(attacked, 0.99) / pct(calm, 0.99):.2f}.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    print(asyncio.run(main(args.clients, args.seconds)))
