"""The compose box: preview first, then save; uploads streamed to disk and ingested."""

from __future__ import annotations

import html
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestClient

from scheduler.runtime import Runtime
from tests.helpers import count_rows
from tests.web.conftest import Crew, csrf_of, png


async def _form(
    client: TestClient[object, object],
    crew: Crew,
    request: str,
    action: str,
    files: list[Path] = (),
    media_ids: list[str] = (),
    csrf_first: bool = True,
) -> tuple[int, str]:
    page = await client.get("/compose")
    csrf = csrf_of(await page.text())
    form = aiohttp.FormData()
    if csrf_first:
        form.add_field("csrf", csrf)
    form.add_field("ws", str(crew.team.workspace.id))
    form.add_field("request", request)
    for media_id in media_ids:
        form.add_field("media_id", media_id)
    for path in files:
        form.add_field("media", path.open("rb"), filename=path.name, content_type="image/png")
    form.add_field("action", action)
    answer = await client.post("/compose", data=form)
    return answer.status, html.unescape(await answer.text())


def _uploads(runtime: Runtime) -> list[Path]:
    folder = runtime.settings.data_dir / "uploads"
    return list(folder.iterdir()) if folder.exists() else []


async def test_preview_shows_the_understanding_and_stores_no_post(
    runtime: Runtime, client: TestClient[object, object], crew: Crew
) -> None:
    status, body = await _form(client, crew, "tomorrow 9am to mastodon: We're live!", "preview")
    assert status == 200
    assert "How I understood it" in body
    assert "09:00" in body
    assert "mastodon @outpost@fake.social" in body
    assert "We're live!" in body
    assert 'value="save"' in body
    assert await count_rows("scheduled_posts") == 0


async def test_save_with_an_image_schedules_the_post_with_its_media(
    runtime: Runtime, client: TestClient[object, object], crew: Crew, tmp_path: Path
) -> None:
    image = png(tmp_path / "launch.png")
    status, body = await _form(
        client, crew, "tomorrow 9am to mastodon: With a picture", "preview", files=[image]
    )
    assert status == 200
    assert '<img src="http://127.0.0.1:8080/media/' in body
    media_id = body.split('name="media_id" value="', 1)[1].split('"', 1)[0]
    status, body = await _form(
        client, crew, "tomorrow 9am to mastodon: With a picture", "save", media_ids=[media_id]
    )
    assert status == 200
    assert "Done: scheduled" in body
    posts = await runtime.posts.search(crew.team.workspace.id)
    assert len(posts) == 1
    assert posts[0].content == "With a picture"
    assert [m.filename for m in posts[0].media] == ["launch.png"]
    assert posts[0].origin == {"platform": "calendar", "user_name": "ada"}
    assert await runtime.media.exists(posts[0].media[0].storage_key)
    assert _uploads(runtime) == []


async def test_a_request_that_cannot_be_scheduled_says_why_and_stores_nothing(
    runtime: Runtime, client: TestClient[object, object], crew: Crew
) -> None:
    for request, needle in (
        ("yesterday 9am to mastodon: too late", "past"),
        ("tomorrow 9am to myspace: hello", "myspace"),
        ("to mastodon: no time", "time"),
    ):
        status, body = await _form(client, crew, request, "save")
        assert status == 400, request
        assert needle in body.lower(), request
        assert "Example:" in body
    assert await count_rows("scheduled_posts") == 0


async def test_a_file_that_is_not_media_is_refused_and_removed(
    runtime: Runtime, client: TestClient[object, object], crew: Crew, tmp_path: Path
) -> None:
    fake = tmp_path / "notes.png"
    fake.write_text("not an image at all")
    status, body = await _form(client, crew, "tomorrow 9am to mastodon: hi", "save", files=[fake])
    assert status == 400
    assert "can't read this file" in body
    assert await count_rows("scheduled_posts") == 0
    assert await count_rows("media_library") == 0
    assert _uploads(runtime) == []


async def test_multipart_without_the_token_first_is_403_and_writes_nothing(
    runtime: Runtime, client: TestClient[object, object], crew: Crew, tmp_path: Path
) -> None:
    status, _ = await _form(
        client,
        crew,
        "tomorrow 9am to mastodon: hi",
        "save",
        files=[png(tmp_path / "a.png")],
        csrf_first=False,
    )
    assert status == 403
    assert _uploads(runtime) == []
    assert await count_rows("media_library") == 0
    assert await count_rows("scheduled_posts") == 0
