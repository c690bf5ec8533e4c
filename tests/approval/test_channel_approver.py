"""A chat's default approver (``defaults approver @bea``) is asked first and may decide the
posts requested in that chat, whatever their role; other editors may not."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.errors import Conflict
from scheduler.approval import approve
from scheduler.roles import approvers_for
from scheduler.service import Scheduler
from tests.api.conftest import Api


async def test_a_chats_default_approver_is_asked_first_and_may_approve(api: Api) -> None:
    rt, ws = api.rt, api.crew.workspace
    await rt.approvals.set_workspace_approval(ws.id, True)
    sync = rt.workspaces.sync_chat_user
    await sync(ws.id, "slack", "T1", "U1", "Olga", role="owner")
    bea, _ = await sync(ws.id, "slack", "T1", "U2", "Bea", role="editor", may_own=False)
    cy, _ = await sync(ws.id, "slack", "T1", "U3", "Cy", role="editor", may_own=False)
    await rt.channels.set(ws.id, "slack", "C1", approver_user_id=bea)
    post = await Scheduler(rt).schedule_fields(
        ws.id, text="Launch", when=rt.clock.now() + timedelta(hours=2),
        destinations=["mastodon"], origin={"platform": "slack", "chat": "C1"}, user_id=cy,
        role="editor",
    )  # fmt: skip
    assert post.status == "pending_approval"
    asked = await approvers_for(rt, post)
    assert asked[0].user_id == bea
    assert cy not in [m.user_id for m in asked]
    with pytest.raises(Conflict):
        await approve(rt, ws.id, post.id, role="editor", user_id=cy, actor="Cy")
    done = await approve(rt, ws.id, post.id, role="editor", user_id=bea, actor="Bea")
    assert done.status == "scheduled"
