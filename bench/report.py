"""Write one benchmark's figures into its own section of docs/benchmarks.md; shared helpers."""

from __future__ import annotations

import asyncio
import os
import platform
import re
import subprocess

import aiohttp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "benchmarks.md")
HEADER = (
    "# Benchmarks\n\n"
    "Every figure here is written by the command named in its section; none is asserted by a "
    "timed test. Re-run a command to refresh its section.\n"
)


def machine() -> str:
    """nproc, CPU model and Python version."""
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(
                (ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), cpu
            )
    except OSError:
        pass
    nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    return f"{nproc} cores, {cpu}, Python {platform.python_version()}"


def write_section(name: str, body: str, path: str = DOC) -> None:
    """Replace (or append) the section between ``<!-- bench:name -->`` markers."""
    text = HEADER
    if os.path.exists(path):
        with open(path) as f:
            text = f.read()
    block = f"<!-- bench:{name} -->\n{body.rstrip()}\n<!-- /bench:{name} -->"
    pattern = re.compile(
        rf"<!-- bench:{re.escape(name)} -->.*?<!-- /bench:{re.escape(name)} -->", re.S
    )
    text = (
        pattern.sub(lambda _: block, text)
        if pattern.search(text)
        else text.rstrip() + "\n\n" + block + "\n"
    )
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


async def wait_healthy(http: aiohttp.ClientSession, base: str, tries: int = 150) -> None:
    """Wait until the app under test answers ``/healthz`` (it starts in another process)."""
    for _ in range(tries):
        try:
            async with http.get(f"{base}/healthz") as resp:
                if resp.status == 200:
                    return
        except aiohttp.ClientConnectionError:
            pass  # not listening yet
        await asyncio.sleep(0.2)
