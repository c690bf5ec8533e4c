"""Drafts and approval in the calendar: the compose box's draft, the Drafts list, Approve and
Reject on the post's page with the history shown, and viewers who can look but not change."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from core.states import Role
from scheduler.runtime import Runtime
from scheduler.service import Scheduler
from tests.web.conftest import Crew, log_in, member
from tests.web.test_compose import _form
from tests.web.test_posts import _act


async def test_a_draft_from_the_compose_box_is_listed_and_scheduled_from_its_page(
    runtime: Runtime, client: TestClient[object, object], crew: Crew
) -> None:
    status, body = await _form(client, crew, "to mastodon: Some day", "draft")
    assert status == 200, body
    assert "Done: drafted." in body
    assert "no time yet" in body
    [draft] = await Scheduler(runtime).list(crew.team.workspace.id, statuses=("draft",))
    calendar = await (await client.get("/")).text()
    assert "Drafts and posts waiting for approval" in calendar
    assert f"/posts/{draft.id}" in calendar
    status, body = await _act(client, draft, "reschedule", when="2030-01-02T09:30")
    assert status == 200, body
    assert (await runtime.posts.get(draft.id)).status == "scheduled"


async def test_approve_and_reject_on_the_posts_page_with_the_history(
    runtime: Runtime, client: TestClient[object, object], crew: Crew
) -> None:
    ws = crew.team.workspace.id
    await runtime.approvals.set_workspace_approval(ws, True)
    editor = await member(runtime, ws, "bo")  # ada, the first member, owns the workspace
    scheduler = Scheduler(runtime)
    first = await scheduler.schedule(ws, "tomorrow 9am to mastodon: One", tz="UTC",
                                     user_id=editor, role=Role.EDITOR)  # fmt: skip
    second = await scheduler.schedule(ws, "tomorrow 9am to mastodon: Two", tz="UTC",
                                      user_id=editor, role=Role.EDITOR)  # fmt: skip
    assert first.status == second.status == "pending_approval"
    page = await (await client.get(f"/posts/{first.id}")).text()
    assert "Waiting for an owner or admin" in page
    assert 'action="/posts/' + str(first.id) + '/approve"' in page
    status, body = await _act(client, first, "approve")
    assert status == 200, body
    assert "approved by ada" in body
    assert (await runtime.posts.get(first.id)).status == "scheduled"
    status, body = await _act(client, second, "reject", reason="Off-brand <b>tone</b>")
    assert status == 200, body
    assert "rejected by ada: Off-brand <b>tone</b>" in body  # unescaped by _act: it was escaped
    assert (await runtime.posts.get(second.id)).status == "draft"


async def test_a_viewer_can_look_but_not_change(
    runtime: Runtime, client: TestClient[object, object], crew: Crew
) -> None:
    ws = crew.team.workspace.id
    post = await Scheduler(runtime).schedule(ws, "tomorrow 9am to mastodon: Look", tz="UTC",
                                             role=Role.OWNER)  # fmt: skip
    viewer = await member(runtime, ws, "vi")
    await runtime.approvals.set_role(ws, viewer, Role.VIEWER)
    await log_in(client, runtime, ws, viewer)
    page = await (await client.get(f"/posts/{post.id}")).text()
    assert "You are a viewer" in page
    assert "/reschedule" not in page
    status, body = await _act(client, post, "cancel")
    assert status == 409
    assert "viewer" in body
    assert (await runtime.posts.get(post.id)).status == "scheduled"
    status, body = await _form(client, crew, "tomorrow 9am to mastodon: Mine", "save")
    assert status == 400
    assert "viewer" in body
