"""Worker heartbeats: a Redis key per worker process that expires unless renewed.

A worker renews its key every ``HEARTBEAT_SECONDS`` (an arq cron, run at start-up too) with a
time-to-live of ``WORKER_SEEN_SECONDS``, so a worker that was killed, hangs or lost Redis drops
out of ``live_workers`` within that time. Redis is enough: a heartbeat is worth nothing once
it is old, and Postgres stays the source of truth for posts.
"""

from __future__ import annotations

import os
from typing import Any

from scheduler.runtime import Runtime


def _prefix(rt: Runtime) -> str:
    return f"{rt.settings.queue_name}:heartbeat:"


def worker_id(rt: Runtime) -> str:
    """This process's name among the workers: host and process id."""
    return f"{rt.worker_name}:{os.getpid()}"


async def beat(rt: Runtime) -> None:
    """Say this worker is alive, for ``WORKER_SEEN_SECONDS``."""
    ttl_ms = max(1, int(rt.settings.worker_seen_seconds * 1000))
    await rt.redis.set(_prefix(rt) + worker_id(rt), rt.clock.now().isoformat(), px=ttl_ms)


async def heartbeat(ctx: dict[str, Any]) -> None:
    """The cron task."""
    await beat(ctx["runtime"])


async def live_workers(rt: Runtime) -> list[str]:
    """The workers seen within ``WORKER_SEEN_SECONDS``, by name."""
    prefix = _prefix(rt)
    names = [key.decode() async for key in rt.redis.scan_iter(match=prefix + "*", count=500)]
    return sorted(name.removeprefix(prefix) for name in names)
