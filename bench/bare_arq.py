"""Stock arq, nothing of Outpost's: the floor ``bench/lateness.py`` puts our spread figure beside.

    BARE_REDIS=redis://... BARE_QUEUE=... BARE_POLL=0.05 .venv/bin/python -m bench.bare_arq

A stock ``arq.worker.Worker`` polling every ``BARE_POLL`` seconds runs ``post(url, key)``: one
``POST /api/v1/statuses`` to the fake Mastodon with the job's key, nothing else (no database,
no claim), so its lateness is arq's own plus one HTTP call.
"""

from __future__ import annotations

import os
from typing import Any

import aiohttp
from arq.connections import RedisSettings
from arq.worker import Worker, func


async def post(ctx: dict[str, Any], url: str, key: str) -> None:
    session: aiohttp.ClientSession = ctx["http"]
    headers = {"Authorization": "Bearer good-token", "Idempotency-Key": key}
    async with session.post(f"{url}/api/v1/statuses", json={"status": key}, headers=headers):
        pass


async def startup(ctx: dict[str, Any]) -> None:
    ctx["http"] = aiohttp.ClientSession()


async def shutdown(ctx: dict[str, Any]) -> None:
    await ctx["http"].close()


def main() -> None:
    Worker(
        functions=[func(post, name="bare:post")],
        redis_settings=RedisSettings.from_dsn(os.environ["BARE_REDIS"]),
        queue_name=os.environ["BARE_QUEUE"],
        poll_delay=float(os.environ.get("BARE_POLL", "0.05")),
        max_jobs=500,
        keep_result=0,
        on_startup=startup,
        on_shutdown=shutdown,
        log_results=False,
    ).run()


if __name__ == "__main__":
    main()
