"""Bluesky video through the video service, as Bluesky recommends (docs.bsky.app "Uploading
Video"): the PDS mints a service token (``com.atproto.server.getServiceAuth``, audience the PDS's
``did:web``, method ``com.atproto.repo.uploadBlob``, 30 minutes); the video goes to the video
service (``app.bsky.video.uploadVideo``, base URL from ``BLUESKY_VIDEO_URL``), which processes
it and stores it on the PDS with that token; ``app.bsky.video.getJobStatus`` is read until the
job carries the video's blob. The post then embeds ``app.bsky.embed.video``.

A job that reports ``already_exists`` still carries the earlier blob, so a retry after an
ambiguous answer reuses the processed video. ``JOB_STATE_FAILED`` without a blob is
ContentRejected (the service refused this video); a job still running after the polls is
Unavailable (the queue retries later).
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp

from publishers.base import Media
from publishers.errors import ContentRejected, PublishError, Unavailable
from publishers.http import Now, classify, send
from publishers.x import with_reset

VIDEO_URL = "https://video.bsky.app/xrpc"
# The video service's limit per upload; the embed lexicon's blob maxSize (300 MB) is larger.
MAX_VIDEO_BYTES = 100_000_000
SERVICE_TOKEN_SECONDS = 30 * 60
UPLOAD_BLOB = "com.atproto.repo.uploadBlob"
LABEL = "Bluesky video service"


def service_did(pds_url: str) -> str:
    """The PDS's service DID: ``did:web:`` and its host (a port's colon percent-encoded)."""
    return "did:web:" + urlsplit(pds_url).netloc.replace(":", "%3A")


def _classify(
    status: int, headers: Mapping[str, str], data: Any, text: str, now: datetime
) -> PublishError:
    name = str(data.get("error") or "") if isinstance(data, dict) else ""
    detail = str(data.get("message") or "") if isinstance(data, dict) else ""
    shown = f"{name}: {detail}" if name and detail else (name or detail)
    body = {"error": shown} if shown else data
    return classify(
        status, with_reset(headers, "ratelimit-reset"), body, text, label=LABEL, now=now
    )


def embed(blob: Mapping[str, Any], media: Media) -> dict[str, Any]:
    """The ``app.bsky.embed.video`` of a processed video."""
    made: dict[str, Any] = {"$type": "app.bsky.embed.video", "video": dict(blob)}
    if media.alt:
        made["alt"] = media.alt
    if media.width and media.height:
        made["aspectRatio"] = {"width": media.width, "height": media.height}
    return made


async def upload(
    http: aiohttp.ClientSession,
    media: Media,
    *,
    video_url: str,
    token: str,
    did: str,
    client_timeout: aiohttp.ClientTimeout,
    now: Now,
    attempts: int,
    interval: float,
) -> dict[str, Any]:
    """Send the video to the service and wait for its blob."""
    base = video_url.rstrip("/")
    query = urlencode({"did": did, "name": media.filename})
    resp = await send(
        http, "POST", f"{base}/app.bsky.video.uploadVideo?{query}", client_timeout=client_timeout,
        label=LABEL, classifier=_classify, now=now, data=io.BytesIO(await media.read()),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "video/mp4"},
    )  # fmt: skip
    status = _job(resp.data)
    for polled_so_far in range(attempts + 1):
        blob = status.get("blob")
        if isinstance(blob, dict):
            return blob  # completed, or already processed earlier ("already_exists")
        if status.get("state") == "JOB_STATE_FAILED":
            why = status.get("message") or status.get("error") or status.get("failureCode")
            raise ContentRejected(f"Bluesky could not process the video ({why or 'no reason'})")
        if not status.get("jobId"):
            raise Unavailable(f"{LABEL} answered without a job id")
        if polled_so_far == attempts:
            break
        # The one sanctioned wait: the service encodes the video before a post may use it.
        await asyncio.sleep(interval)
        url = f"{base}/app.bsky.video.getJobStatus?" + urlencode({"jobId": str(status["jobId"])})
        polled = await send(
            http, "GET", url, client_timeout=client_timeout, label=LABEL, classifier=_classify,
            now=now,
        )  # fmt: skip
        status = _job(polled.data)
    raise Unavailable("Bluesky is still processing the video; try again later")


def _job(data: Any) -> dict[str, Any]:
    # getJobStatus wraps the status as its lexicon says; uploadVideo answers it bare.
    if isinstance(data, dict) and isinstance(data.get("jobStatus"), dict):
        return dict(data["jobStatus"])
    return dict(data) if isinstance(data, dict) else {}
