"""Hearing a workspace's callback events: register a receiver as an endpoint, run a real
worker that delivers them, wait for the signed deliveries of one event type."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from typing import Any

from scheduler.api_tokens import callback_store
from scheduler.hooks.callbacks import CALLBACK_FUNCTIONS, signing_secret
from scheduler.publishing.tasks import make_worker
from scheduler.runtime import Runtime
from tests.fakes.webhook_receiver import FakeWebhookReceiver
from tests.support import wait_for


async def listen(rt: Runtime, workspace_id: uuid.UUID, receiver: FakeWebhookReceiver) -> None:
    """Make ``receiver`` a workspace endpoint that verifies with the workspace's secret."""
    await callback_store(rt).add_endpoint(workspace_id, receiver.url + "/outpost")
    receiver.secret = await signing_secret(rt, workspace_id)


async def received(
    receiver: FakeWebhookReceiver, event: str, count: int = 1
) -> list[dict[str, Any]]:
    """The bodies of the first ``count`` verified deliveries of ``event``, once they arrived."""

    async def arrived() -> bool:
        return len(of_type(receiver, event)) >= count

    await wait_for(arrived, timeout=30)
    assert receiver.rejected == []  # every delivery carried a valid signature
    return of_type(receiver, event)


def of_type(receiver: FakeWebhookReceiver, event: str) -> list[dict[str, Any]]:
    """Verified deliveries of ``event`` so far."""
    return [d["body"] for d in receiver.deliveries if d["body"]["type"] == event]


@asynccontextmanager
async def delivering(rt: Runtime, extra: Sequence[Any] = ()) -> AsyncIterator[None]:
    """A real arq worker that also runs the callback deliveries, as ``outpost worker`` does."""
    instance = make_worker(
        rt, handle_signals=False, extra_functions=[*CALLBACK_FUNCTIONS, *extra]
    )
    task = asyncio.create_task(instance.main())
    try:
        yield
    finally:
        task.cancel()
        jobs = [t for t in instance.tasks.values() if not t.done()]
        for job in jobs:
            job.cancel()
        with suppress(asyncio.CancelledError):
            await task
        await asyncio.gather(*jobs, return_exceptions=True)
