"""Drafts and approval through the REST API, with a real worker publishing to a fake Mastodon."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from scheduler.api_tokens import create_token
from scheduler.approval import expire_overdue
from scheduler.publishing.queue import publish_job_id
from tests.api.conftest import Api
from tests.fakes.mastodon import FakeMastodon
from tests.support import set_clock, wait_for

PREFIX = publish_job_id(uuid.UUID(int=0), 0).split(str(uuid.UUID(int=0)))[0]


def soon(seconds: float = 2) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


def published(mastodon: FakeMastodon, n: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return len(mastodon.statuses) >= n

    return check


async def approver(api: Api) -> str:
    token, _ = await create_token(api.rt, api.crew.workspace.id, "lead", ["read", "write",
                                                                         "approve"])  # fmt: skip
    return token


async def create(api: Api, token: str | None = None, **body: Any) -> dict[str, Any]:
    status, post, _ = await api.call("POST", "/api/v1/posts", json=body, token=token)
    assert status == 201, post
    return dict(post)


async def queued(api: Api) -> int:
    """Publish jobs in the queue (cron jobs are there too)."""
    ids = await api.rt.redis.zrange(api.rt.settings.queue_name, 0, -1)
    return sum(1 for i in ids if i.decode().startswith(PREFIX))


async def test_an_editors_post_waits_until_an_approver_approves_it(
    api: Api, api_worker: object, mastodon: FakeMastodon
) -> None:
    await api.rt.approvals.set_workspace_approval(api.crew.workspace.id, True)
    post = await create(api, text="Needs a look", when=soon(2), destinations=["mastodon"])
    assert post["status"] == "pending_approval"
    assert await queued(api) == 0
    # An editor's token cannot approve; a token with the approve scope can.
    status, body, _ = await api.call("POST", f"/api/v1/posts/{post['id']}/approve", json={})
    assert status == 403, body
    assert mastodon.statuses == []
    lead = await approver(api)
    status, body, _ = await api.call(
        "POST", f"/api/v1/posts/{post['id']}/approve", json={}, token=lead
    )
    assert status == 200, body
    assert body["status"] == "scheduled"
    await wait_for(published(mastodon, 1), timeout=15)
    history = await api.rt.approvals.history(post["id"])
    assert [h.decision for h in history] == ["requested", "approved"]
    assert history[-1].actor == "API token lead"
    # An approver's own posts need no approval.
    own = await create(api, text="Mine", when=soon(60), destinations=["mastodon"], token=lead)
    assert own["status"] == "scheduled"


async def test_approving_after_its_time_asks_for_a_new_one(api: Api) -> None:
    await api.rt.approvals.set_workspace_approval(api.crew.workspace.id, True)
    post = await create(api, request="tomorrow 9am to mastodon: Late look")
    lead = await approver(api)
    later = datetime.now(UTC) + timedelta(days=2)
    set_clock(api.rt, later)
    status, body, _ = await api.call(
        "POST", f"/api/v1/posts/{post['id']}/approve", json={}, token=lead
    )
    assert status == 422, body
    assert "new time" in str(body)
    when = (later + timedelta(hours=1)).isoformat()
    status, body, _ = await api.call(
        "POST", f"/api/v1/posts/{post['id']}/approve", json={"when": when}, token=lead
    )
    assert status == 200, body
    assert body["status"] == "scheduled"
    assert datetime.fromisoformat(body["scheduled_at"]) == datetime.fromisoformat(when)


async def test_two_approvers_at_once_approve_once(
    api: Api, api_worker: object, mastodon: FakeMastodon
) -> None:
    await api.rt.approvals.set_workspace_approval(api.crew.workspace.id, True)
    post = await create(api, text="Race", when=soon(3), destinations=["mastodon"])
    first, second = await approver(api), await approver(api)
    answers = await asyncio.gather(*(
        api.call("POST", f"/api/v1/posts/{post['id']}/approve", json={}, token=t)
        for t in (first, second)
    ))  # fmt: skip
    assert sorted(a[0] for a in answers) == [200, 409]
    loser = next(a[1] for a in answers if a[0] == 409)
    assert "Already approved" in loser["error"]["message"]
    await wait_for(published(mastodon, 1), timeout=15)
    await asyncio.sleep(1)
    assert len(mastodon.statuses) == 1
    decisions = [h.decision for h in await api.rt.approvals.history(post["id"])]
    assert decisions.count("approved") == 1


async def test_reject_makes_a_draft_and_keeps_the_reason(api: Api) -> None:
    await api.rt.approvals.set_workspace_approval(api.crew.workspace.id, True)
    post = await create(api, request="tomorrow 9am to mastodon: Typo here")
    assert post["status"] == "pending_approval"
    lead = await approver(api)
    status, body, _ = await api.call(
        "POST", f"/api/v1/posts/{post['id']}/reject", json={"reason": "Fix the typo"}, token=lead
    )
    assert status == 200, body
    assert body["status"] == "draft"
    last = await api.rt.approvals.last_decision(post["id"])
    assert last is not None
    assert last.reason == "Fix the typo"
    status, body, _ = await api.call(
        "POST", f"/api/v1/posts/{post['id']}/approve", json={}, token=lead
    )
    assert status == 409
    assert "rejected" in body["error"]["message"]


async def test_a_pending_post_past_its_time_becomes_a_draft(api: Api) -> None:
    await api.rt.approvals.set_workspace_approval(api.crew.workspace.id, True)
    post = await create(api, request="tomorrow 9am to mastodon: Nobody looked")
    assert await expire_overdue(api.rt) == 0
    set_clock(api.rt, datetime.now(UTC) + timedelta(days=2))
    assert await expire_overdue(api.rt) == 1
    _status, got, _ = await api.call("GET", f"/api/v1/posts/{post['id']}")
    assert got["status"] == "draft"
    assert await expire_overdue(api.rt) == 0


async def test_drafts_saved_listed_and_scheduled_later(
    api: Api, api_worker: object, mastodon: FakeMastodon
) -> None:
    draft = await create(api, text="Someday", status="draft")
    assert draft["status"] == "draft"
    assert draft["untimed"] is True
    assert draft["destinations"] == []
    sentence = await create(api, request="draft to mastodon: From a sentence", status="draft")
    assert sentence["status"] == "draft"
    status, listed, _ = await api.call("GET", "/api/v1/posts?status=draft")
    assert {p["id"] for p in listed["items"]} == {draft["id"], sentence["id"]}
    assert await queued(api) == 0
    # A draft with a destination is scheduled by giving it a time.
    status, moved, _ = await api.call(
        "PATCH", f"/api/v1/posts/{sentence['id']}", json={"scheduled_at": soon(1)}
    )
    assert status == 200, moved
    assert moved["status"] == "scheduled"
    assert moved["untimed"] is False
    await wait_for(published(mastodon, 1), timeout=15)
    # One without a destination says so, and stays a draft.
    status, body, _ = await api.call(
        "PATCH", f"/api/v1/posts/{draft['id']}", json={"scheduled_at": soon(60)}
    )
    assert status == 422, body
    assert "no destination" in str(body)
    # Without approval scope, a draft given a time where approval is on waits for one.
    await api.rt.approvals.set_workspace_approval(api.crew.workspace.id, True)
    third = await create(api, text="Later", when=soon(60), destinations=["mastodon"],
                         status="draft")  # fmt: skip
    status, moved, _ = await api.call(
        "POST", f"/api/v1/posts/{third['id']}/reschedule", json={"when": soon(120)}
    )
    assert status == 200
    assert moved["status"] == "pending_approval"
    ids = {str(d["id"]) for d in moved["destinations"]}
    jobs = await api.rt.redis.zrange(api.rt.settings.queue_name, 0, -1)
    assert not [j for j in jobs if any(i in j.decode() for i in ids)], (jobs, ids)


async def test_an_editors_edit_of_an_approved_post_needs_approval_again(api: Api) -> None:
    await api.rt.approvals.set_workspace_approval(api.crew.workspace.id, True)
    lead = await approver(api)
    post = await create(api, request="tomorrow 9am to mastodon: Approved text")
    status, body, _ = await api.call(
        "POST", f"/api/v1/posts/{post['id']}/approve", json={}, token=lead
    )
    assert body["status"] == "scheduled"
    status, body, _ = await api.call(
        "PATCH", f"/api/v1/posts/{post['id']}", json={"text": "Sneaky new text"}
    )
    assert status == 200, body
    assert body["status"] == "pending_approval"
    assert [h.decision for h in await api.rt.approvals.history(post["id"])][-1] == "requested"
    status, body, _ = await api.call(
        "POST", f"/api/v1/posts/{post['id']}/approve", json={}, token=lead
    )
    status, body, _ = await api.call(
        "PATCH", f"/api/v1/posts/{post['id']}", json={"text": "Lead's fix"}, token=lead
    )
    assert body["status"] == "scheduled"
