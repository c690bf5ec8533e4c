"""``outpost web --processes N``: N processes answer on one port, a dead one is replaced, a
child that cannot start stops the command, and SIGTERM stops them all."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import aiohttp
import pytest

from core.settings import Settings
from tests.support import ROOT, env_for, free_port, wait_for

PID = re.compile(r'outpost_process_info\{pid="(\d+)"\}')


@contextmanager
def web(env: dict[str, str], processes: int) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "web", "--processes", str(processes)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)


async def answering_pid(port: int) -> int | None:
    """The pid of the process that answers a new connection, or None while none listens."""
    connector = aiohttp.TCPConnector(force_close=True)
    try:
        async with (
            aiohttp.ClientSession(connector=connector) as http,
            http.get(f"http://127.0.0.1:{port}/metrics") as resp,
        ):
            found = PID.search(await resp.text())
    except aiohttp.ClientError:
        return None
    return int(found.group(1)) if found else None


async def pids_seen(port: int, want: int, tries: int = 200) -> set[int]:
    """Ask on fresh connections until ``want`` pids answered (or tries run out)."""
    seen: set[int] = set()
    for _ in range(tries):
        pid = await answering_pid(port)
        if pid is not None:
            seen.add(pid)
        if len(seen) >= want:
            break
        await asyncio.sleep(0.02)
    return seen


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


@pytest.fixture
def env(settings: Settings) -> dict[str, str]:
    return env_for(settings, HOST="127.0.0.1", PORT=str(free_port()))


async def test_two_processes_answer_on_one_port_and_sigterm_stops_both(
    env: dict[str, str],
) -> None:
    port = int(env["PORT"])
    with web(env, 2) as proc:
        await wait_for(lambda: _answers(port), timeout=60)
        pids = await pids_seen(port, 2)
        assert len(pids) == 2, pids
        assert proc.pid not in pids  # the parent only supervises
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(proc.wait, 60) == 0
        assert not any(alive(pid) for pid in pids)
        out = proc.stdout.read() if proc.stdout else ""
        assert out.count('"shutting down"') == 2, out


async def test_a_killed_process_is_replaced(env: dict[str, str]) -> None:
    port = int(env["PORT"])
    with web(env, 2) as proc:
        await wait_for(lambda: _answers(port), timeout=60)
        first = await pids_seen(port, 2)
        assert len(first) == 2
        victim = min(first)
        os.kill(victim, signal.SIGKILL)

        async def replaced() -> bool:
            now = await pids_seen(port, 2, tries=50)
            return len(now) == 2 and victim not in now

        await wait_for(replaced, timeout=60, interval=0.2)
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(proc.wait, 60) == 0
        out = proc.stdout.read() if proc.stdout else ""
        assert "a web process died; starting another" in out


async def test_processes_that_cannot_listen_stop_the_command(env: dict[str, str]) -> None:
    with socket.socket() as taken:  # bound without SO_REUSEPORT: nobody else may share it
        taken.bind(("127.0.0.1", int(env["PORT"])))
        taken.listen()
        with web(env, 2) as proc:
            code = await asyncio.to_thread(proc.wait, 90)
            out = proc.stdout.read() if proc.stdout else ""
    assert code == 1, out
    assert "a web process failed to start" in out


async def _answers(port: int) -> bool:
    return await answering_pid(port) is not None


async def test_children_stop_when_the_supervisor_is_killed_outright(env: dict[str, str]) -> None:
    port = int(env["PORT"])
    with web(env, 2) as proc:
        await wait_for(lambda: _answers(port), timeout=60)
        pids = await pids_seen(port, 2)
        assert len(pids) == 2
        proc.kill()  # SIGKILL: no chance to stop its children itself
        await asyncio.to_thread(proc.wait, 10)

        async def gone() -> bool:
            return not any(alive(pid) for pid in pids)

        await wait_for(gone, timeout=60, interval=0.2)
        assert await answering_pid(port) is None
