"""Taking in a file by URL (the API's and the MCP server's media by URL).

The download goes through the runtime's strict session, so a URL naming or resolving to a
private address is refused before a socket is made (``publishers.guard``); the bytes then take
the same road as an upload: counted against the limit as they arrive, identified by their
content (never by the server's Content-Type), stored once per workspace.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from urllib.parse import unquote, urlsplit

import aiohttp

from core.errors import RequestProblem
from publishers import guard
from scheduler.media.ingest import ingest_stream, upload_limit
from scheduler.runtime import Runtime
from scheduler.views import MediaView

CHUNK = 256 * 1024
TIMEOUT = aiohttp.ClientTimeout(total=60, sock_connect=10, sock_read=20)


def _filename(url: str) -> str:
    name = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    return name[:255] or "download"


async def ingest_url(rt: Runtime, workspace_id: uuid.UUID, url: str) -> MediaView:
    """Download ``url`` (redirects followed, each one checked) and store it like an upload."""
    limit = upload_limit(rt)
    problem_hint = "Give a public http(s) URL of a photo or video, or upload the file."
    host = None if rt.settings.private_urls_allowed else guard.local_host(url)
    if host is not None:
        raise RequestProblem(
            [f"The URL points at {host}, a private or local address; this Outpost only "
             "fetches from public addresses."], problem_hint)  # fmt: skip
    try:
        async with rt.http.get(url, timeout=TIMEOUT, max_redirects=5) as response:
            if response.status != 200:
                raise RequestProblem(
                    [f"The URL answered HTTP {response.status}, not the file."], problem_hint
                )
            if response.content_length is not None and response.content_length > limit:
                raise RequestProblem(
                    [f"The file is {response.content_length / 2**20:.1f} MB; this workspace "
                     f"takes files up to {limit / 2**20:.3g} MB."], problem_hint)  # fmt: skip

            async def chunks() -> AsyncIterator[bytes]:
                """The body as it arrives."""
                async for chunk in response.content.iter_chunked(CHUNK):
                    yield chunk

            return await ingest_stream(
                rt, workspace_id, chunks(), filename=_filename(str(response.url))
            )
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        reason = guard.GENERIC if guard.refused(exc) else type(exc).__name__
        raise RequestProblem([f"Could not fetch the URL: {reason}."], problem_hint) from None
