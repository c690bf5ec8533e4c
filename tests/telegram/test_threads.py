"""Issue #19 in Telegram: `thread …` then a chain of replies (each replying to the one before,
or to the bot's answer to it) is one post of that many parts once `done` replies; a redelivered
update adds nothing; `preview` stores nothing; a version per network is checked per network."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from scheduler.chat_threads import save_idle
from scheduler.runtime import Runtime
from scheduler.service import Scheduler
from tests.alt.support import bluesky_pds, connect_bluesky
from tests.fakes.telegram import FakeTelegram
from tests.fakes.x import FakeX
from tests.helpers import count_rows
from tests.input.support import connect_x, xnet
from tests.slack.test_versions_threads import day_passes
from tests.telegram.updates import USER, Updates, post, replies, sent_message

__all__ = ["xnet"]  # a fixture
Client = TestClient[Any, Any]


def replying(update: dict[str, Any], to: dict[str, Any]) -> dict[str, Any]:
    """``update``'s message as a reply to the message of ``to`` (as Telegram nests it)."""
    original = {k: v for k, v in to["message"].items() if k != "reply_to_message"}
    update["message"]["reply_to_message"] = original
    return update


async def test_a_reply_chain_becomes_one_post_of_five_parts(
    client: Client, telegram: FakeTelegram, tg_runtime: Runtime, updates: Updates, xnet: FakeX,
) -> None:  # fmt: skip
    ws = await tg_runtime.workspaces.ensure(f"telegram:{USER}")
    await connect_x(tg_runtime, ws.id, xnet)
    async with bluesky_pds() as bluesky:
        await connect_bluesky(tg_runtime, ws.id, bluesky)
        previous = updates.message(text="thread tomorrow 9am to x, bluesky: Part one")
        assert await post(client, previous) == 200
        assert any(
            "Collecting a thread to x:outpost, bluesky:" in r["text"]
            for r in replies(telegram, USER)
        )  # then the first contact's welcome
        sent = []
        for n in ("two", "three", "four", "five"):
            update = replying(updates.message(text=f"Part {n}"), previous)
            assert await post(client, update) == 200
            sent.append(update)
            previous = update
            if n == "three":
                # People reply to the bot's answer as often as to their own message.
                previous = {"message": sent_message(telegram, "Part 3 added.")}
        assert replies(telegram, USER)[-1]["text"].startswith("Part 5 added.")
        # Telegram delivers an update again when our answer was lost: nothing new.
        count = len(replies(telegram, USER))
        assert await post(client, sent[2]) == 200
        assert len(replies(telegram, USER)) == count
        assert await post(client, replying(updates.message(text="done"), previous)) == 200
        summary = replies(telegram, USER)[-1]["text"]
        assert "5/5 › Part five" in summary
    [stored] = await tg_runtime.posts.search(ws.id)
    assert stored.parts == ("Part one", "Part two", "Part three", "Part four", "Part five")
    assert stored.thread is True
    assert stored.origin["chat_id"] == USER


async def test_preview_and_versions_in_telegram(
    client: Client, telegram: FakeTelegram, tg_runtime: Runtime, updates: Updates, xnet: FakeX,
) -> None:  # fmt: skip
    ws = await tg_runtime.workspaces.ensure(f"telegram:{USER}")
    await connect_x(tg_runtime, ws.id, xnet)
    text = "preview tomorrow 9am to x: Main text\nx: See example.com today"
    assert await post(client, updates.message(text=text)) == 200
    shown = next(r["text"] for r in replies(telegram, USER) if "Preview" in r["text"])
    assert "Preview for" in shown
    assert "x:outpost — 33/280" in shown
    assert "has a link" in shown
    assert await count_rows("scheduled_posts") == 0
    text = "tomorrow 9am to x: Main text\nx: " + "é" * 281
    assert await post(client, updates.message(text=text)) == 200
    assert "X allows 280" in replies(telegram, USER)[-1]["text"]
    assert await count_rows("scheduled_posts") == 0


async def test_a_thread_left_without_done_is_saved_and_said_in_the_askers_language(
    client: Client, telegram: FakeTelegram, tg_runtime: Runtime, updates: Updates, xnet: FakeX,
) -> None:  # fmt: skip
    ws = await tg_runtime.workspaces.ensure(f"telegram:{USER}")
    await connect_x(tg_runtime, ws.id, xnet)
    opening = updates.message(text="thread mañana a las 9 en x: Primera parte del hilo")
    assert await post(client, opening) == 200
    # The request after `thread` is Spanish, so the answers are (no language set).
    assert replies(telegram, USER)[0]["text"].startswith("🧵 Recogiendo un hilo para x:outpost")
    second = replying(updates.message(text="Segunda parte del hilo"), opening)
    assert await post(client, second) == 200
    assert replies(telegram, USER)[-1]["text"].startswith("Parte 2 añadida")
    await day_passes()
    assert await save_idle(Scheduler(tg_runtime)) == 1
    told = replies(telegram, USER)[-1]
    assert told["text"].startswith(
        "🧵 Nadie escribió <code>done</code> en este hilo durante 24 horas"
    ), told
    assert "(2 partes)" in told["text"]
    assert told["reply_parameters"]["message_id"] == opening["message"]["message_id"]
    [draft] = await tg_runtime.posts.search(ws.id, statuses=["draft"])
    assert draft.parts == ("Primera parte del hilo", "Segunda parte del hilo")
    assert await count_rows("scheduled_posts") == 1
