"""A photo sent as a file that a network refuses for its size: downloaded (conversion can only
be judged from the bytes), refused with the limit and the `fit` word; asking converts it."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from scheduler.runtime import Runtime
from tests.fakes.telegram import FakeTelegram
from tests.helpers import count_rows
from tests.media.test_fit_ask import see_through_noise
from tests.telegram.updates import USER, Updates, post, replies

Client = TestClient[Any, Any]


def with_document(update: dict[str, Any], file_id: str, data: bytes) -> dict[str, Any]:
    update["message"]["document"] = {
        "file_id": file_id, "file_unique_id": "u" + file_id, "file_name": "office.png",
        "mime_type": "image/png", "file_size": len(data),
    }  # fmt: skip
    return update


async def test_big_png_document_is_refused_then_fitted_when_asked(
    client: Client, telegram: FakeTelegram, tg_runtime: Runtime, updates: Updates
) -> None:
    ws = await tg_runtime.workspaces.ensure(f"telegram:{USER}")
    await tg_runtime.workspaces.add_account(
        ws.id, "bluesky", "acme.bsky.social", tg_runtime.cipher.encrypt("t"),
        base_url="http://127.0.0.1:9",
    )  # fmt: skip
    data = see_through_noise(760)
    request = "tomorrow 9am to bluesky: Our new office"
    file_id = telegram.add_file(data, name="office.png")
    await post(client, with_document(updates.message(caption=request), file_id, data))
    answer = replies(telegram, USER)[0]["text"]
    assert f"acme.bsky.social: a file is {len(data) // 1024} KB; limit 1953 KB" in answer
    assert "fit " + request in answer
    assert await count_rows("scheduled_posts") == 0

    await post(client, with_document(updates.message(caption="fit " + request), file_id, data))
    confirmation = [r["text"] for r in replies(telegram, USER)][-1]
    assert "Scheduled" in confirmation
    assert "1 file" in confirmation
    [scheduled] = await tg_runtime.posts.search(ws.id)
    [sent] = scheduled.media
    assert sent.content_type == "image/png"
    assert sent.size_bytes <= 2_000_000
