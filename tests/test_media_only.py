"""A photo with a request and no text is a post; a request with neither is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from core.errors import RequestProblem
from scheduler.media.ingest import ingest_path
from scheduler.runtime import Runtime
from scheduler.service import Scheduler
from scheduler.views import WorkspaceView


async def _workspace(runtime: Runtime) -> WorkspaceView:
    ws = await runtime.workspaces.create("acme", "UTC")
    await runtime.workspaces.add_account(
        ws.id, "mastodon", "@me@social.example", runtime.cipher.encrypt("t"),
        base_url="https://social.example",
    )  # fmt: skip
    return ws


@pytest.mark.parametrize("request_text", ["tomorrow 9am to mastodon:", "tomorrow 9am to mastodon"])
async def test_media_without_text_is_scheduled(
    runtime: Runtime, tmp_path: Path, request_text: str
) -> None:
    ws = await _workspace(runtime)
    Image.new("RGB", (64, 64), "red").save(tmp_path / "a.jpg", "JPEG")
    photo = await ingest_path(runtime, ws.id, tmp_path / "a.jpg")
    post = await Scheduler(runtime).schedule(ws.id, request_text, tz="UTC", media=[photo])
    assert post.status == "scheduled"
    assert post.content == ""
    assert [m.id for m in post.media] == [photo.id]


@pytest.mark.parametrize("request_text", ["tomorrow 9am to mastodon:", "tomorrow 9am to mastodon"])
async def test_no_text_and_no_media_is_refused(runtime: Runtime, request_text: str) -> None:
    ws = await _workspace(runtime)
    with pytest.raises(RequestProblem) as caught:
        await Scheduler(runtime).schedule(ws.id, request_text, tz="UTC")
    assert "text" in str(caught.value)
    assert await Scheduler(runtime).list(ws.id) == []
