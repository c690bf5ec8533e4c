"""Alt text in Telegram: `alt:` lines at the end of a photo's or an album's caption describe the
files in message order; a real worker sends them as Mastodon's `description` and Bluesky's
`alt`; a description for a file that is not there is answered before anything is downloaded."""

from __future__ import annotations

import random
from typing import Any

from aiohttp.test_utils import TestClient

from scheduler.runtime import Runtime
from tests.alt.support import bluesky_alts, bluesky_pds, connect_bluesky, mastodon_descriptions
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.telegram import FakeTelegram
from tests.helpers import count_rows
from tests.support import wait_for
from tests.telegram.conftest import jpeg
from tests.telegram.updates import USER, Updates, connect_mastodon, post, replies

Client = TestClient[Any, Any]
RED = "A red square on white"
BLUE = "A blue square, slightly smaller"


async def test_photo_caption_alt_reaches_mastodon_and_bluesky(
    client: Client, telegram: FakeTelegram, tg_runtime: Runtime, mastodon: FakeMastodon,
    updates: Updates, tg_worker: object,
) -> None:  # fmt: skip
    await connect_mastodon(tg_runtime, f"telegram:{USER}", mastodon.url)
    ws = await tg_runtime.workspaces.ensure(f"telegram:{USER}")
    data = jpeg()
    caption = f"now to mastodon, bluesky: New office!\n\nalt: {RED}"
    async with bluesky_pds() as bluesky:
        await connect_bluesky(tg_runtime, ws.id, bluesky)
        update = updates.message(caption=caption, photo=(telegram.add_file(data), len(data)))
        assert await post(client, update) == 200
        assert "📎 1 file, 1 with a description (alt text)" in replies(telegram, USER)[0]["text"]

        async def published() -> bool:
            return [p.status for p in await tg_runtime.posts.search(ws.id)] == ["published"]

        await wait_for(published, timeout=30)
        assert mastodon_descriptions(mastodon) == [RED]
        assert bluesky_alts(bluesky) == [RED]
    [stored] = await tg_runtime.posts.search(ws.id)
    assert stored.content == "New office!"
    assert [m.alt for m in stored.media] == [RED]


async def test_album_caption_alt_lines_follow_message_order(
    client: Client, telegram: FakeTelegram, tg_runtime: Runtime, mastodon: FakeMastodon,
    updates: Updates, tg_worker: object,
) -> None:  # fmt: skip
    await connect_mastodon(tg_runtime, f"telegram:{USER}", mastodon.url)
    caption = f"now to mastodon: Two squares\nalt: {RED}\nalt: {BLUE}"
    parts = []
    for n, color in enumerate([(250, 0, 0), (0, 0, 250)]):
        data = jpeg(color)
        text = caption if n == 1 else None
        parts.append(updates.message(photo=(telegram.add_file(data), len(data)), caption=text,
                                     album="2468"))  # fmt: skip
    shuffled = parts[::-1]
    random.Random(3).shuffle(shuffled)
    for update in shuffled:
        assert await post(client, update) == 200

    async def published() -> bool:
        return len(mastodon.statuses) == 1

    await wait_for(published, timeout=30)
    assert mastodon_descriptions(mastodon) == [RED, BLUE]
    assert [s["text"] for s in mastodon.statuses] == ["Two squares"]


async def test_alt_for_a_missing_file_downloads_and_stores_nothing(
    client: Client, telegram: FakeTelegram, tg_runtime: Runtime, mastodon: FakeMastodon,
    updates: Updates,
) -> None:  # fmt: skip
    await connect_mastodon(tg_runtime, f"telegram:{USER}", mastodon.url)
    data = jpeg()
    caption = f"tomorrow 9am to mastodon: New office!\nalt: {RED}\nalt 3: {BLUE}"
    await post(client, updates.message(caption=caption, photo=(telegram.add_file(data), len(data))))
    answer = replies(telegram, USER)[0]["text"]
    assert "couldn't schedule" in answer
    assert "for file 3, but 1 file is attached" in answer
    assert telegram.calls("getFile") == []
    assert await count_rows("media_library") == 0
    assert await count_rows("scheduled_posts") == 0
