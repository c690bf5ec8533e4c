"""Signed callbacks: delivered and verified, retried with backoff, given up after a day, logged."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from arq import Retry
from arq.constants import job_key_prefix

from scheduler.hooks.callbacks import (
    CallbackNotifier,
    deliver_callback,
    emit,
    signing_secret,
    sweep_callbacks,
)
from scheduler.notifier import PostResult
from scheduler.service import Scheduler
from tests.api.conftest import Api
from tests.fakes.webhook_receiver import FakeWebhookReceiver
from tests.support import set_clock, wait_for


async def _post(api: Api, callback_url: str | None) -> str:
    status, post, _ = await api.call(
        "POST",
        "/api/v1/posts",
        json={
            "request": "tomorrow 9am to mastodon: hi",
            **({"callback_url": callback_url} if callback_url else {}),
        },
    )
    assert status == 201, post
    return str(post["id"])


async def test_scheduled_event_reaches_callback_url_and_endpoints_signed(
    api: Api, api_worker: object, receiver: FakeWebhookReceiver
) -> None:
    receiver.secret = await signing_secret(api.rt, api.crew.workspace.id)
    status, _, _ = await api.call(
        "POST", "/api/v1/callbacks/endpoints", json={"url": receiver.url + "/all"}
    )
    assert status == 201
    post_id = await _post(api, receiver.url + "/mine")

    async def both() -> bool:
        return len(receiver.deliveries) == 2

    await wait_for(both, timeout=20)
    assert receiver.rejected == []
    paths = sorted(r.path for r in receiver.requests)
    assert paths == ["/all", "/mine"]
    body = receiver.deliveries[0]["body"]
    assert body["type"] == "post.scheduled"
    assert body["data"]["post_id"] == post_id
    status, log, _ = await api.call("GET", f"/api/v1/posts/{post_id}/callbacks")
    assert status == 200
    assert {(c["event"], c["status"], c["attempts"], c["response_code"]) for c in log["items"]} == {
        ("post.scheduled", "delivered", 1, 200)
    }


async def test_failures_retry_with_backoff_until_delivered(
    api: Api, api_worker: object, receiver: FakeWebhookReceiver
) -> None:
    receiver.secret = await signing_secret(api.rt, api.crew.workspace.id)
    receiver.fail_next("500")
    post_id = await _post(api, receiver.url + "/cb")

    async def delivered() -> bool:
        log = (await api.call("GET", f"/api/v1/posts/{post_id}/callbacks"))[1]["items"]
        return bool(log) and log[0]["status"] == "delivered"

    await wait_for(delivered, timeout=30)
    log = (await api.call("GET", f"/api/v1/posts/{post_id}/callbacks"))[1]["items"]
    assert (log[0]["attempts"], log[0]["response_code"]) == (2, 200)
    ids = {r.headers["webhook-id"] for r in receiver.requests}
    assert len(ids) == 1  # the retry is the same message, so receivers dedupe it


async def test_gives_up_after_a_day_and_logs_why(api: Api, receiver: FakeWebhookReceiver) -> None:
    receiver.secret = await signing_secret(api.rt, api.crew.workspace.id)
    receiver.fail_next("500", count=3)
    post = await Scheduler(api.rt).get(api.crew.workspace.id, uuid.UUID(await _post(api, None)))
    object.__setattr__(post, "callback_url", receiver.url + "/down")
    # Queued jobs are not run here: the task is called directly, as the worker would.
    assert await emit(api.rt, post, "post.failed") == 1
    log = await _log(api, str(post.id), "post.failed")
    ctx = {"runtime": api.rt, "job_try": 1}
    with pytest.raises(Retry) as retry:
        await deliver_callback(ctx, str(log["id"]))
    assert 1 <= retry.value.defer_score / 1000 <= 3  # the first backoff step, with jitter
    first = await _log(api, str(post.id), "post.failed")
    assert (first["status"], first["attempts"], first["response_code"]) == ("pending", 1, 500)
    assert first["next_attempt_at"] is not None
    set_clock(api.rt, api.rt.clock.now() + timedelta(hours=24, minutes=1))
    assert await deliver_callback(ctx, str(log["id"])) == "failed"
    final = await _log(api, str(post.id), "post.failed")
    assert (final["status"], final["attempts"]) == ("failed", 2)
    assert "gave up after a day" in final["last_error"]
    assert await deliver_callback(ctx, str(log["id"])) == "done"


async def _log(api: Api, post_id: str, event: str) -> dict[str, Any]:
    items = (await api.call("GET", f"/api/v1/posts/{post_id}/callbacks"))[1]["items"]
    return next(c for c in items if c["event"] == event)


async def test_notifier_sends_each_final_status_once_per_revision(
    api: Api, receiver: FakeWebhookReceiver
) -> None:
    post_id = await _post(api, receiver.url + "/cb")
    post = await Scheduler(api.rt).get(api.crew.workspace.id, uuid.UUID(post_id))
    notifier = CallbackNotifier(api.rt)
    result = replace(PostResult.from_view(post), status="published")
    await notifier.notify(result)
    await notifier.notify(result)  # the worker may report twice; the log keeps one
    log = (await api.call("GET", f"/api/v1/posts/{post_id}/callbacks"))[1]["items"]
    events = [c["event"] for c in log]
    assert sorted(events) == ["post.published", "post.scheduled"]


async def test_sweep_requeues_deliveries_whose_job_redis_lost(
    api: Api, receiver: FakeWebhookReceiver
) -> None:
    post_id = await _post(api, receiver.url + "/cb")
    delivery = await _log(api, post_id, "post.scheduled")
    job_key = f"{job_key_prefix}callback:{delivery['id']}"
    assert await api.rt.redis.exists(job_key)
    await api.rt.redis.flushdb()  # Redis lost everything; Postgres still has the delivery
    ctx = {"runtime": api.rt}
    assert await sweep_callbacks(ctx) == 0  # not overdue yet: its job may just be slow
    set_clock(api.rt, api.rt.clock.now() + timedelta(minutes=3))
    assert await sweep_callbacks(ctx) == 1
    assert await api.rt.redis.exists(job_key)


async def test_sweep_forgets_connect_attempts_a_day_after_they_expired(api: Api) -> None:
    ws = await api.rt.workspaces.create("sweep")
    now = api.rt.clock.now()
    for name, expires in (("old", now - timedelta(days=2)), ("recent", now - timedelta(hours=1))):
        assert await api.rt.accounts.add_state(
            f"state-{name}", ws.id, "linkedin", user_id=None, verifier_enc=None,
            redirect_uri="https://outpost.example/cb", expires_at=expires, link_hash=name,
        )  # fmt: skip
    await sweep_callbacks({"runtime": api.rt})
    # The recent one still marks its link as used; the old one is gone, so its link (long
    # expired by its own signature) could not start a flow anyway.
    assert not await api.rt.accounts.add_state(
        "state-again", ws.id, "linkedin", user_id=None, verifier_enc=None,
        redirect_uri="https://outpost.example/cb", expires_at=now, link_hash="recent",
    )  # fmt: skip
    assert await api.rt.accounts.add_state(
        "state-again-old", ws.id, "linkedin", user_id=None, verifier_enc=None,
        redirect_uri="https://outpost.example/cb", expires_at=now, link_hash="old",
    )  # fmt: skip
