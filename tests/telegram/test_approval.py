"""Approval in a Telegram group through the real adapter, a fake Bot API and a real worker.

The approvers are asked in the group itself (a bot cannot open a private chat), with an
inline keyboard; only owners and admins may press Approve.
"""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp.test_utils import TestClient

from scheduler.runtime import Runtime
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.telegram import FakeTelegram
from tests.support import wait_for
from tests.telegram.updates import (
    GROUP,
    OTHER,
    USER,
    Updates,
    connect_mastodon,
    group,
    post,
    replies,
    sent_message,
    user,
)

Client = TestClient[Any, Any]
EDITOR = 6262


def _keyboard(reply: dict[str, Any]) -> list[str]:
    return [b["callback_data"] for row in reply["reply_markup"]["inline_keyboard"] for b in row]


async def _setup(client: Client, telegram: FakeTelegram, rt: Runtime, url: str,
                 updates: Updates) -> None:  # fmt: skip
    telegram.add_chat(GROUP, "supergroup", title="Launch team")
    telegram.set_member(GROUP, USER, "creator")
    telegram.set_member(GROUP, EDITOR, "administrator")
    telegram.set_member(GROUP, OTHER, "member")
    await connect_mastodon(rt, f"telegram:{GROUP}", url)
    # The first of the group's admins to write owns the workspace; the next is an editor.
    await post(client, updates.message(text="/approval on", chat=group()))
    assert "Approval is on" in replies(telegram, GROUP)[-2]["text"]
    await post(client, updates.message(text="/posts", chat=group(), sender=user(EDITOR, "Ed")))


async def _asked(telegram: FakeTelegram, needle: str) -> dict[str, Any]:
    async def found() -> bool:
        return any(needle in r["text"] and "asks to publish" in r["text"]
                   for r in replies(telegram, GROUP))  # fmt: skip

    await wait_for(found, timeout=10)
    return next(r for r in replies(telegram, GROUP)
                if needle in r["text"] and "asks to publish" in r["text"])  # fmt: skip


async def test_an_editors_post_is_published_only_when_an_owner_taps_approve(
    client: Client, telegram: FakeTelegram, tg_runtime: Runtime, mastodon: FakeMastodon,
    updates: Updates, tg_worker: object,
) -> None:  # fmt: skip
    await _setup(client, telegram, tg_runtime, mastodon.url, updates)
    request = "/schedule now to mastodon: From Ed"
    await post(client, updates.message(text=request, chat=group(), sender=user(EDITOR, "Ed")))
    ask = await _asked(telegram, "From Ed")
    shown = sent_message(telegram, "asks to publish")
    assert "Ed asks to publish" in ask["text"]
    post_id = uuid.UUID(_keyboard(ask)[0].split(":")[2])
    assert [d.split(":")[1] for d in _keyboard(ask)] == ["approve", "edit", "reject"]
    assert (await tg_runtime.posts.get(post_id)).status == "pending_approval"
    # The editor (and a plain member) cannot approve.
    for who in (user(EDITOR, "Ed"), user(OTHER, "Eve")):
        await post(client, updates.press(f"p:approve:{post_id}", shown, sender=who))
        assert "owners and admins" in telegram.calls("answerCallbackQuery")[-1]["text"]
    assert mastodon.statuses == []
    await post(client, updates.press(f"p:approve:{post_id}", shown))
    assert "Approved by" in telegram.calls("answerCallbackQuery")[-1]["text"]

    async def published() -> bool:
        return len(mastodon.statuses) == 1

    await wait_for(published, timeout=15)
    assert mastodon.statuses[0]["text"] == "From Ed"


async def test_reject_tells_the_author_in_reply_to_the_request(
    client: Client, telegram: FakeTelegram, tg_runtime: Runtime, mastodon: FakeMastodon,
    updates: Updates,
) -> None:  # fmt: skip
    await _setup(client, telegram, tg_runtime, mastodon.url, updates)
    sent = updates.message(text="/schedule tomorrow 9am to mastodon: Teh news", chat=group(),
                           sender=user(EDITOR, "Ed"))  # fmt: skip
    await post(client, sent)
    ask = await _asked(telegram, "Teh news")
    post_id = _keyboard(ask)[0].split(":")[2]
    await post(client, updates.press(f"p:reject:{post_id}", sent_message(telegram, "asks to")))
    assert f"reject {post_id[:8]}" in telegram.calls("answerCallbackQuery")[-1]["text"]
    await post(client, updates.message(text=f"/reject {post_id[:8]} Spelling: The news",
                                       chat=group()))  # fmt: skip
    told = next(r for r in replies(telegram, GROUP) if "Rejected by" in r["text"])
    assert "Spelling: The news" in told["text"]
    assert told["reply_parameters"]["message_id"] == sent["message"]["message_id"]
    assert (await tg_runtime.posts.get(uuid.UUID(post_id))).status == "draft"


async def test_role_in_reply_to_a_members_message_makes_them_an_editor(
    client: Client, telegram: FakeTelegram, tg_runtime: Runtime, mastodon: FakeMastodon,
    updates: Updates,
) -> None:  # fmt: skip
    await _setup(client, telegram, tg_runtime, mastodon.url, updates)
    hers = updates.message(text="/schedule tomorrow 9am to mastodon: Me too", chat=group(),
                           sender=user(OTHER, "Eve"))  # fmt: skip
    await post(client, hers)
    assert "viewer" in replies(telegram, GROUP)[-2]["text"]
    grant = updates.message(text="/role editor", chat=group())
    grant["message"]["reply_to_message"] = hers["message"]
    await post(client, grant)
    assert "Eve is now editor" in replies(telegram, GROUP)[-1]["text"]
    # Approval is on: her post now waits for an approver instead of being refused.
    await post(client, updates.message(text="/schedule tomorrow 9am to mastodon: Me too",
                                       chat=group(), sender=user(OTHER, "Eve")))  # fmt: skip
    await _asked(telegram, "Me too")
