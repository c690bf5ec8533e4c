"""A fake Bluesky video service (video.bsky.app): uploadVideo, then getJobStatus until done.

Answers like the real service as the Bluesky docs show it (docs.bsky.app, "Uploading Video"):
``POST /xrpc/app.bsky.video.uploadVideo?did=…&name=…`` with a service token minted by the
account's PDS (``aud`` the PDS's ``did:web``, ``lxm`` ``com.atproto.repo.uploadBlob``) and the
``video/mp4`` body answers a ``JobStatus`` (``app.bsky.video.defs#jobStatus``, unwrapped, as
the tutorial reads it); ``GET /xrpc/app.bsky.video.getJobStatus?jobId=…`` answers
``{"jobStatus": …}`` and needs no token. A job moves through ``JOB_STATE_CREATED`` and
``JOB_STATE_ENCODING`` for ``processing_polls`` reads, then stores the video on the PDS with
the service token and is ``JOB_STATE_COMPLETED`` with its ``blob``. The same video uploaded
again fails with ``already_exists`` but still carries the earlier blob, as the docs describe.
``fail_next_job()`` makes the next job end ``JOB_STATE_FAILED``.

Run alone with ``python -m tests.fakes.bluesky_video --port N`` (it then has no PDS to store to).
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from aiohttp import web

from tests.fakes.base import RECORDED, FakeServer, run_main
from tests.fakes.bluesky import FakeBluesky

MAX_VIDEO_BYTES = 100_000_000  # the service's limit per upload (100 MB)


class FakeBlueskyVideo(FakeServer):
    """The video service in front of one fake PDS."""

    name = "bluesky-video"

    def __init__(self, pds: FakeBluesky | None = None, seed: int = 0) -> None:
        super().__init__(seed)
        self.pds = pds or FakeBluesky()
        self.processing_polls = 2
        self.jobs: dict[str, dict[str, Any]] = {}
        self.done: dict[tuple[str, str], dict[str, Any]] = {}  # (did, sha256) -> blob
        self._fail: list[tuple[str, str]] = []

    def created_keys(self) -> list[str]:
        """The video service creates no posts."""
        return []

    def reset(self) -> None:
        """Forget jobs and recordings."""
        super().reset()
        self.jobs.clear()
        self.done.clear()
        self._fail.clear()

    def fail_next_job(self, code: str = "encoding_failure", message: str = "") -> None:
        """The next job ends ``JOB_STATE_FAILED`` with ``failureCode`` ``code``."""
        self._fail.append((code, message or "Video could not be processed"))

    def add_routes(self, app: web.Application) -> None:
        """The two calls a client makes."""
        app.router.add_post("/xrpc/app.bsky.video.uploadVideo", self._upload)
        app.router.add_get("/xrpc/app.bsky.video.getJobStatus", self._status)

    def xrpc_error(self, status: int, error: str, message: str) -> web.Response:
        """An XRPC error body."""
        return web.json_response({"error": error, "message": message}, status=status)

    @staticmethod
    def _public(job: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in job.items() if not k.startswith("_")}

    async def _upload(self, request: web.Request) -> web.Response:
        header = request.headers.get("Authorization", "")
        token = header[7:] if header.startswith("Bearer ") else ""
        did = request.query.get("did", "")
        if not token:
            return self.xrpc_error(401, "AuthMissing", "Authentication Required")
        grant = self.pds.service_tokens.get(token)
        if grant is None or grant["iss"] != did:
            return self.xrpc_error(401, "InvalidToken", "Token could not be verified")
        if request.content_type != "video/mp4":
            return self.xrpc_error(400, "InvalidRequest", "Wrong request encoding")
        data = request[RECORDED].body
        if not data or len(data) > MAX_VIDEO_BYTES:
            return self.xrpc_error(400, "InvalidRequest", "Video is too large or empty")
        job: dict[str, Any] = {"jobId": secrets.token_hex(8), "did": did,
                               "state": "JOB_STATE_CREATED", "progress": 0}  # fmt: skip
        job["_token"], job["_data"], job["_polls"] = token, data, self.processing_polls
        job["_fail"] = self._fail.pop(0) if self._fail else None
        self.jobs[job["jobId"]] = job
        return web.json_response(self._public(job))

    async def _status(self, request: web.Request) -> web.Response:
        job = self.jobs.get(request.query.get("jobId", ""))
        if job is None:
            return self.xrpc_error(400, "InvalidRequest", "Job not found")
        if job["state"] in ("JOB_STATE_CREATED", "JOB_STATE_ENCODING"):
            self._advance(job)
        return web.json_response({"jobStatus": self._public(job)})

    def _advance(self, job: dict[str, Any]) -> None:
        job["_polls"] -= 1
        if job["_polls"] >= 0:
            job["state"], job["progress"] = "JOB_STATE_ENCODING", 50
            return
        key = (job["did"], hashlib.sha256(job["_data"]).hexdigest())
        if job["_fail"] is not None:
            code, message = job["_fail"]
            job.update(state="JOB_STATE_FAILED", failureCode=code, error=message)
            return
        if key in self.done:
            job.update(state="JOB_STATE_FAILED", error="already_exists", blob=self.done[key])
            return
        stored = self.pds.store_with_service_token(job["_token"], job["_data"], "video/mp4")
        if isinstance(stored, tuple):
            job.update(state="JOB_STATE_FAILED", failureCode="pds_upload_failure",
                       error=f"{stored[1]}: {stored[2]}")  # fmt: skip
            return
        self.done[key] = stored
        job.update(state="JOB_STATE_COMPLETED", progress=100, blob=stored)


if __name__ == "__main__":
    run_main(FakeBlueskyVideo())
