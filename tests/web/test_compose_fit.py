"""The compose box's "Convert photos to fit" checkbox: offered when it would help, honoured."""

from __future__ import annotations

import html
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestClient

from scheduler.runtime import Runtime
from tests.helpers import count_rows
from tests.media.test_fit_ask import half_transparent
from tests.web.conftest import Crew, csrf_of

REQUEST = "tomorrow 9am to instagram: New logo"


async def submit(
    client: TestClient[object, object], crew: Crew, action: str, *, fit: bool,
    files: list[Path] = (), media_ids: list[str] = (),
) -> tuple[int, str]:  # fmt: skip
    csrf = csrf_of(await (await client.get("/compose")).text())
    form = aiohttp.FormData()
    form.add_field("csrf", csrf)
    form.add_field("ws", str(crew.team.workspace.id))
    form.add_field("request", REQUEST)
    for media_id in media_ids:
        form.add_field("media_id", media_id)
    for path in files:
        form.add_field("media", path.open("rb"), filename=path.name, content_type="image/png")
    if fit:
        form.add_field("fit_media", "1")
    form.add_field("action", action)
    answer = await client.post("/compose", data=form)
    return answer.status, html.unescape(await answer.text())


async def test_checkbox_is_offered_then_converts(
    runtime: Runtime, client: TestClient[object, object], crew: Crew, tmp_path: Path
) -> None:
    ws = crew.team.workspace.id
    await runtime.workspaces.add_account(ws, "instagram", "acme.shop", runtime.cipher.encrypt("t"))
    logo = tmp_path / "logo.png"
    logo.write_bytes(half_transparent())
    status, body = await submit(client, crew, "preview", fit=False, files=[logo])
    assert status == 200
    assert "acme.shop: Instagram does not take image/png files" in body
    assert "Tick “Convert photos to fit each network” and preview again" in body
    assert 'name="fit_media" value="1">' in body  # offered, not ticked for them
    assert 'value="save"' not in body
    media_id = body.split('name="media_id" value="', 1)[1].split('"', 1)[0]

    status, body = await submit(client, crew, "preview", fit=True, media_ids=[media_id])
    assert status == 200
    assert "cannot be scheduled" not in body
    assert 'name="fit_media" value="1" checked>' in body
    assert 'value="save"' in body
    status, body = await submit(client, crew, "save", fit=True, media_ids=[media_id])
    assert status == 200
    assert "Done: scheduled" in body
    [post] = await runtime.posts.search(ws)
    assert [m.content_type for m in post.media] == ["image/jpeg"]
    assert await count_rows("media_library") == 2  # the original waits for the cleanup


async def test_saving_without_the_box_names_it(
    runtime: Runtime, client: TestClient[object, object], crew: Crew, tmp_path: Path
) -> None:
    ws = crew.team.workspace.id
    await runtime.workspaces.add_account(ws, "instagram", "acme.shop", runtime.cipher.encrypt("t"))
    logo = tmp_path / "logo.png"
    logo.write_bytes(half_transparent())
    status, body = await submit(client, crew, "save", fit=False, files=[logo])
    assert status == 400
    assert "Instagram does not take image/png files" in body
    assert "Tick “Convert photos to fit each network”" in body
    assert await count_rows("scheduled_posts") == 0
