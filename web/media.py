"""Serves local-disk media behind short-lived signed URLs, for networks that fetch by URL."""

from __future__ import annotations

import time
import uuid

from aiohttp import web

from scheduler.edge import check_signature
from scheduler.media.poster import SUFFIX as POSTER_SUFFIX
from scheduler.media.sniff import EXTENSIONS
from scheduler.runtime import Runtime
from scheduler.views import MediaStoreError


async def _content_type(runtime: Runtime, key: str) -> str:
    """Networks that fetch by URL check the type, so send the sniffed one we recorded."""
    if key.endswith(POSTER_SUFFIX):
        return "image/jpeg"  # a video's poster frame, always made as JPEG
    workspace, _, digest = key.partition("/")
    try:
        item = await runtime.library.by_hash(uuid.UUID(workspace), digest)
    except ValueError:
        return "application/octet-stream"
    return item.content_type if item is not None else "application/octet-stream"


def setup(app: web.Application, runtime: Runtime) -> None:
    secret = runtime.settings.secret_key.get_secret_value().encode()

    async def serve(request: web.Request) -> web.StreamResponse:
        key = request.match_info["key"]
        try:
            expires = int(request.query.get("expires", "0"))
        except ValueError:
            expires = 0
        if not check_signature(secret, key, expires, request.query.get("sig", ""), time.time()):
            raise web.HTTPForbidden(text="This media link is invalid or has expired.")
        kind = await _content_type(runtime, key)
        response = web.StreamResponse(
            headers={
                "Cache-Control": "private, max-age=300",
                "Content-Type": kind,
                "X-Content-Type-Options": "nosniff",
                # Only the media types sniffing found are shown inline, and even a file that
                # fooled it is never a page able to run script on this origin.
                "Content-Disposition": "inline" if kind in EXTENSIONS else "attachment",
                "Content-Security-Policy": "default-src 'none'; sandbox",
            }
        )
        try:
            chunks = runtime.media.open(key)
            first = await anext(chunks)
        except (MediaStoreError, StopAsyncIteration):
            raise web.HTTPNotFound(text="No such media.") from None
        await response.prepare(request)
        await response.write(first)
        async for chunk in chunks:
            await response.write(chunk)
        await response.write_eof()
        return response

    app.router.add_get("/media/{key:.+}", serve)
