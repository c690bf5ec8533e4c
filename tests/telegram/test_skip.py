"""``skip ID`` in Telegram: a recurring post's next occurrence is skipped and the series goes
on; ``posts`` shows the rule in words and ``help`` tells of ``skip``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from scheduler.runtime import Runtime
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.telegram import FakeTelegram
from tests.telegram.updates import (
    USER,
    Updates,
    connect_mastodon,
    post,
    replies,
    sent_message,
)

Client = TestClient[Any, Any]


async def test_skip_moves_a_series_to_its_following_occurrence(
    client: Client, telegram: FakeTelegram, tg_runtime: Runtime, mastodon: FakeMastodon,
    updates: Updates,
) -> None:  # fmt: skip
    await connect_mastodon(tg_runtime, f"telegram:{USER}", mastodon.url)
    await post(client, updates.message(text="/timezone Europe/Berlin"))
    await post(client, updates.message(text="every monday at 9:00 to mastodon: Weekly tip"))
    assert "every Monday at 09:00" in replies(telegram)[-1]["text"]
    ws = await tg_runtime.workspaces.by_name(f"telegram:{USER}")
    [series] = await tg_runtime.posts.search(ws.id, None, None, ("scheduled",), 10, 0)
    await post(client, updates.message(text="/posts"))
    assert "🔁 every Monday at 09:00" in replies(telegram)[-1]["text"]

    await post(client, updates.message(text=f"/skip {str(series.id)[:8]}"))
    answer = replies(telegram)[-1]["text"]
    assert answer.startswith("Skipped ")
    moved = await tg_runtime.posts.get(series.id)
    assert moved.scheduled_at == series.scheduled_at + timedelta(days=7)
    assert moved.exdates == ()  # the skipped date is behind the row: not kept
    assert moved.recurrence == series.recurrence
    assert moved.destinations[0].due_at == moved.scheduled_at

    confirmation = sent_message(telegram, "Weekly tip")
    [skip] = [b for b in confirmation["reply_markup"]["inline_keyboard"][0]
              if b["callback_data"].startswith("p:skip:")]  # fmt: skip
    assert skip["text"] == "Skip next"
    await post(client, updates.press(skip["callback_data"], confirmation))
    again = await tg_runtime.posts.get(series.id)
    assert again.scheduled_at == series.scheduled_at + timedelta(days=14)
    assert again.exdates == ()

    await post(client, updates.message(text="/skip"))
    assert "Which post?" in replies(telegram)[-1]["text"]
    await post(client, updates.message(text="tomorrow 9am to mastodon: Once"))
    [once] = [p for p in await tg_runtime.posts.search(ws.id, None, None, ("scheduled",), 10, 0)
              if p.content == "Once"]  # fmt: skip
    await post(client, updates.message(text=f"/skip {once.id}"))
    assert "does not repeat" in replies(telegram)[-1]["text"]
    assert (await tg_runtime.posts.get(once.id)).scheduled_at == once.scheduled_at
    await post(client, updates.message(text="/language es"))
    await post(client, updates.message(text="/help"))
    text = replies(telegram)[-1]["text"]
    assert "`skip ID`" in text or "<code>skip ID</code>" in text
    assert "omite la próxima repetición" in text
