"""LinkedIn's Videos API: initialize, upload the parts, finalize, wait until AVAILABLE.

``POST /rest/videos?action=initializeUpload`` with the owner and ``fileSizeBytes`` answers the
video's URN, an ``uploadToken`` and ``uploadInstructions`` (one pre-signed URL per byte range,
4 MB each). Each range is ``PUT`` as ``application/octet-stream`` and its ``ETag`` kept;
``POST /rest/videos?action=finalizeUpload`` names the ETags in order. ``GET /rest/videos/{urn}``
is read until ``AVAILABLE``; ``PROCESSING_FAILED`` is ContentRejected. The file is streamed from
the media store one part at a time, never held whole.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Callable, Mapping
from urllib.parse import quote

import aiohttp

from publishers.base import Media
from publishers.errors import ContentRejected, PublishError, Unavailable
from publishers.http import send

LABEL = "LinkedIn"


async def _parts(media: Media, ranges: list[tuple[int, int]]) -> AsyncIterator[bytes]:
    """Yield the bytes of each (firstByte, lastByte) range, in order, from the media's stream."""
    if media.open is None:
        raise RuntimeError("media has no reader")
    buffer = bytearray()
    position = 0  # offset of buffer[0] in the file
    chunks = media.open()
    for first, last in ranges:
        while position + len(buffer) <= last:
            chunk = await anext(chunks, None)
            if chunk is None:
                break
            buffer += chunk
        start = first - position
        yield bytes(buffer[start : last - position + 1])
        del buffer[: last - position + 1]
        position = last + 1


async def upload_video(
    http: aiohttp.ClientSession,
    media: Media,
    *,
    base: str,
    headers: Mapping[str, str],
    owner: str,
    client_timeout: aiohttp.ClientTimeout,
    forbidden: Callable[[str], type[PublishError]],
    attempts: int,
    interval: float,
) -> str:
    """Upload ``media`` for ``owner``; the video's URN once LinkedIn has processed it."""
    init = await send(
        http, "POST", base + "/rest/videos?action=initializeUpload", client_timeout=client_timeout,
        label=LABEL, headers=headers, forbidden=forbidden,
        json_body={"initializeUploadRequest": {"owner": owner, "fileSizeBytes": media.size,
                                               "uploadCaptions": False, "uploadThumbnail": False}},
    )  # fmt: skip
    value = (init.data or {}).get("value", {})
    video, instructions = value.get("video"), value.get("uploadInstructions") or []
    if not video or not instructions:
        raise Unavailable(f"{LABEL} did not return video upload instructions")
    # Parts go up in byte order; the ETags are listed in that order to finalize.
    parts = sorted((int(i["firstByte"]), int(i["lastByte"]), str(i["uploadUrl"]))
                   for i in instructions)  # fmt: skip
    etags: list[str] = []
    async for data in _parts(media, [(first, last) for first, last, _ in parts]):
        put = await send(
            http, "PUT", parts[len(etags)][2], client_timeout=client_timeout, label=LABEL,
            headers={"Content-Type": "application/octet-stream"}, data=io.BytesIO(data),
        )  # fmt: skip
        etag = put.headers.get("ETag", "")
        if not etag:
            raise Unavailable(f"{LABEL} accepted a video part without an ETag")
        etags.append(etag)
    await send(
        http, "POST", base + "/rest/videos?action=finalizeUpload", client_timeout=client_timeout,
        label=LABEL, headers=headers, forbidden=forbidden,
        json_body={"finalizeUploadRequest": {"video": video, "uploadToken":
                                             value.get("uploadToken", ""),
                                             "uploadedPartIds": etags}},
    )  # fmt: skip
    for _ in range(attempts):
        state = await send(
            http, "GET", f"{base}/rest/videos/{quote(str(video), safe='')}",
            client_timeout=client_timeout, label=LABEL, headers=headers,
        )  # fmt: skip
        status = (state.data or {}).get("status")
        if status == "AVAILABLE":
            return str(video)
        if status == "PROCESSING_FAILED":
            why = (state.data or {}).get("processingFailureReason") or "no reason given"
            raise ContentRejected(f"{LABEL} could not process the video ({why})")
        # The one sanctioned wait: LinkedIn processes a video before a post may use it.
        await asyncio.sleep(interval)
    raise Unavailable(f"{LABEL} is still processing the video; try again later")
