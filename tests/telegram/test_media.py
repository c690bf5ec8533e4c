"""Photos, videos and albums: files fetched from the fake Bot API into the media library."""

from __future__ import annotations

import random
from typing import Any

from aiohttp.test_utils import TestClient

from scheduler.runtime import Runtime
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.telegram import FakeTelegram
from tests.helpers import count_rows
from tests.support import wait_for
from tests.telegram.conftest import jpeg
from tests.telegram.updates import USER, Updates, connect_mastodon, post, replies

Client = TestClient[Any, Any]


def downloads(fake: FakeTelegram) -> list[str]:
    return [r.path for r in fake.requests if r.path.startswith("/file/bot")]


async def test_photo_with_caption_is_stored_and_attached(
    client: Client, telegram: FakeTelegram, tg_runtime: Runtime, mastodon: FakeMastodon,
    updates: Updates,
) -> None:  # fmt: skip
    await connect_mastodon(tg_runtime, f"telegram:{USER}", mastodon.url)
    data = jpeg()
    file_id = telegram.add_file(data)
    update = updates.message(caption="tomorrow 9am to mastodon: New office!",
                             photo=(file_id, len(data)))  # fmt: skip
    assert await post(client, update) == 200
    assert [c["file_id"] for c in telegram.calls("getFile")] == [file_id]
    assert len(downloads(telegram)) == 1
    confirmation = replies(telegram, USER)[0]
    assert "📎 1 file" in confirmation["text"]
    assert await count_rows("media_library") == 1
    assert await count_rows("post_media") == 1
    ws = await tg_runtime.workspaces.by_name(f"telegram:{USER}")
    [stored] = await tg_runtime.posts.search(ws.id)
    assert stored.media[0].content_type == "image/jpeg"
    assert stored.media[0].size_bytes == len(data)


async def test_caption_without_time_downloads_nothing_and_stores_nothing(
    client: Client, telegram: FakeTelegram, tg_runtime: Runtime, mastodon: FakeMastodon,
    updates: Updates,
) -> None:  # fmt: skip
    await connect_mastodon(tg_runtime, f"telegram:{USER}", mastodon.url)
    data = jpeg()
    file_id = telegram.add_file(data)
    await post(client, updates.message(caption="to mastodon: New office!",
                                       photo=(file_id, len(data))))  # fmt: skip
    answer = replies(telegram, USER)[0]["text"]
    assert "couldn't schedule" in answer
    assert "time" in answer
    assert telegram.calls("getFile") == []
    assert await count_rows("media_library") == 0
    assert await count_rows("scheduled_posts") == 0


async def test_files_over_the_bot_download_limit_get_a_clear_answer(
    client: Client, telegram: FakeTelegram, tg_runtime: Runtime, mastodon: FakeMastodon,
    updates: Updates,
) -> None:  # fmt: skip
    await connect_mastodon(tg_runtime, f"telegram:{USER}", mastodon.url)
    big = 25 * 1024 * 1024
    file_id = telegram.add_file(b"\x00" * 64, size=big, name="clip.mp4")
    await post(client, updates.message(caption="tomorrow 9am to mastodon: Trailer",
                                       video=(file_id, big)))  # fmt: skip
    answer = replies(telegram, USER)[0]["text"]
    assert "25.0 MB" in answer
    assert "20 MB" in answer
    assert telegram.calls("getFile") == []
    # A file whose size the update did not state is caught at getFile instead.
    await post(client, updates.message(caption="tomorrow 9am to mastodon: Trailer",
                                       video=(file_id, 0)))  # fmt: skip
    assert "20 MB" in replies(telegram, USER)[-1]["text"]
    assert downloads(telegram) == []
    assert await count_rows("media_library") == 0
    assert await count_rows("scheduled_posts") == 0


async def test_photo_without_caption_asks_for_one(
    client: Client, telegram: FakeTelegram, updates: Updates
) -> None:
    data = jpeg()
    await post(client, updates.message(photo=(telegram.add_file(data), len(data))))
    assert "Add a caption" in replies(telegram, USER)[0]["text"]
    assert telegram.calls("getFile") == []


async def test_album_in_any_order_becomes_one_post(
    client: Client, telegram: FakeTelegram, tg_runtime: Runtime, mastodon: FakeMastodon,
    updates: Updates, tg_worker: object,
) -> None:  # fmt: skip
    await connect_mastodon(tg_runtime, f"telegram:{USER}", mastodon.url)
    colors = [(250, 0, 0), (0, 250, 0), (0, 0, 250)]
    parts = []
    for n, color in enumerate(colors):
        data = jpeg(color)
        caption = "in 1 hour to mastodon: Three photos" if n == 1 else None
        parts.append(updates.message(photo=(telegram.add_file(data), len(data)),
                                     caption=caption, album="13579"))  # fmt: skip
    shuffled = parts[::-1]
    random.Random(7).shuffle(shuffled)
    for update in shuffled:
        assert await post(client, update) == 200
    assert replies(telegram) == []  # nothing until the album is complete

    async def answered() -> bool:
        return any("Scheduled" in r["text"] for r in replies(telegram))

    await wait_for(answered, timeout=20)
    [confirmation] = [r for r in replies(telegram) if "Scheduled" in r["text"]]
    assert "📎 3 files" in confirmation["text"]
    captioned = parts[1]["message"]["message_id"]
    assert confirmation["reply_parameters"]["message_id"] == captioned
    assert len(telegram.calls("getFile")) == 3
    assert await count_rows("scheduled_posts") == 1
    assert await count_rows("post_media") == 3
    ws = await tg_runtime.workspaces.by_name(f"telegram:{USER}")
    [stored] = await tg_runtime.posts.search(ws.id)
    assert stored.origin["message_id"] == captioned
    # A straggler delivered again after the flush changes nothing.
    assert await post(client, {**parts[0], "update_id": parts[0]["update_id"] + 99}) == 200
    assert await count_rows("scheduled_posts") == 1
