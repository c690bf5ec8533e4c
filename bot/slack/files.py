"""Files shared with a request: streamed from Slack with the bot token into the media store."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

from core.errors import RequestProblem
from core.i18n import msg
from scheduler.media.ingest import ingest_stream, upload_limit
from scheduler.runtime import Runtime
from scheduler.views import MediaView

CHUNK = 256 * 1024
SCOPE_HINT = msg("Check that the app has the files:read scope, then send the file again.")


async def _chunks(rt: Runtime, url: str, token: str, name: str) -> AsyncIterator[bytes]:
    async with rt.operator_http.get(url, headers={"Authorization": f"Bearer {token}"}) as resp:
        # Without a valid token Slack answers 200 with its sign-in page, not an error.
        if resp.status != 200 or resp.content_type == "text/html":
            raise RequestProblem(
                [msg("I couldn't download “{name}” from Slack.", name=name)], SCOPE_HINT
            )
        async for chunk in resp.content.iter_chunked(CHUNK):
            yield chunk


async def fetch(
    rt: Runtime,
    workspace_id: uuid.UUID,
    user_id: uuid.UUID,
    files: Sequence[dict[str, Any]],
    token: str,
) -> list[MediaView]:
    """Download and store each file; refuse an oversized one before downloading anything."""
    limit = upload_limit(rt)
    for item in files:
        size = int(item.get("size") or 0)
        name = str(item.get("name", "file"))
        if size > limit:
            size_mb, limit_mb = f"{size / 2**20:.0f}", f"{limit / 2**20:.0f}"
            raise RequestProblem(
                [msg("“{name}” is {size} MB; I take files up to {limit} MB.",
                     name=name, size=size_mb, limit=limit_mb)],
                msg("Send a smaller photo or a shorter video."),
            )  # fmt: skip
        if not (item.get("url_private_download") or item.get("url_private")):
            raise RequestProblem(
                [msg("“{name}” is a link to another service, not a file.", name=name)],
                msg("Upload the photo or video itself to Slack."),
            )
    stored = []
    for item in files:
        name = str(item.get("name") or "file")
        url = str(item.get("url_private_download") or item.get("url_private"))
        stored.append(
            await ingest_stream(
                rt, workspace_id, _chunks(rt, url, token, name), filename=name, user_id=user_id
            )
        )
    return stored
