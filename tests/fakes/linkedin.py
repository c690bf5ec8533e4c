"""A fake LinkedIn API: versioned Posts, Images and Videos APIs, OpenID userinfo, organisation ACLs.

Answers like ``api.linkedin.com``: a created post is ``201`` with an empty body and its URN in
``x-restli-id``; errors are ``{"message", "status", "serviceErrorCode"}``; a repeat of the same
commentary is ``422 Content is a duplicate of urn:…``. Requests without ``LinkedIn-Version`` or
``X-Restli-Protocol-Version`` get the 400/426 LinkedIn sends. ``X-Outpost-Idempotency-Key`` is
not a LinkedIn header: the fake only records it so tests can tie a post to its destination.

Videos: ``initializeUpload`` checks ``fileSizeBytes`` (75 KB to 500 MB) and answers one
pre-signed ``/dms-uploads/…`` URL per 4 MB range; each ``PUT`` must carry exactly its range and
answers an ``ETag``; ``finalizeUpload`` needs the upload token and every ETag in order; the
video is then ``PROCESSING`` for ``video_processing_polls`` reads, and ``AVAILABLE`` (or
``PROCESSING_FAILED`` when ``fail_video_processing`` is set). A post may use only an
``AVAILABLE`` video.

Run alone with ``python -m tests.fakes.linkedin --port N``.
"""

from __future__ import annotations

import itertools
import secrets
import time
from typing import Any, ClassVar

from aiohttp import web

from tests.fakes.base import RECORDED, FakeServer, run_main

PART_BYTES = 4 * 1024 * 1024
MIN_VIDEO, MAX_VIDEO = 75 * 1024, 500 * 1024 * 1024


class FakeLinkedIn(FakeServer):
    """One member (``person_id``) who administers one organisation (``org_id``)."""

    name = "linkedin"
    error_bodies: ClassVar[dict[str, tuple[int, dict[str, Any]]]] = {
        "400": (400, {"message": "Invalid commentary", "status": 400, "serviceErrorCode": 100}),
        "401": (401, {"message": "Invalid access token", "status": 401, "serviceErrorCode": 65600}),
        "403": (
            403,
            {
                "message": "Not enough permissions to access: partnerApiPostsExternal.CREATE",
                "status": 403,
                "serviceErrorCode": 100,
            },
        ),
        "422": (422, {"message": "Commentary is too long", "status": 422}),
        "500": (500, {"message": "Internal Server Error", "status": 500}),
        "503": (503, {"message": "Service Unavailable", "status": 503}),
    }

    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed)
        self.tokens: set[str] = {"li-token"}
        self.person_id = "abc123"
        self.org_id = "2414183"
        self.org_vanity = "acme-corp"
        self.image_processing_polls = 1
        self.posts: list[dict[str, Any]] = []
        self.images: dict[str, dict[str, Any]] = {}
        self.videos: dict[str, dict[str, Any]] = {}
        self.video_processing_polls = 1
        self.fail_video_processing = False
        self._created_keys: list[str] = []
        self._ids = itertools.count(7100000000000000001)

    def created_keys(self) -> list[str]:
        """The recorded ``X-Outpost-Idempotency-Key`` of each created post."""
        return list(self._created_keys)

    def reset(self) -> None:
        """Forget posts, images and recordings."""
        super().reset()
        self.posts.clear()
        self.images.clear()
        self.videos.clear()
        self._created_keys.clear()

    def error(
        self, status: int, message: str, headers: dict[str, str] | None = None
    ) -> web.Response:
        """LinkedIn's error shape."""
        body = {"message": message, "status": status, "serviceErrorCode": 0}
        return web.json_response(body, status=status, headers=headers)

    def rate_limit_response(self, until: float) -> web.Response:
        """429 with the seconds to wait in Retry-After."""
        wait = max(0, round(until - time.time()))
        return self.error(429, "Resource level throttle limit reached", {"Retry-After": str(wait)})

    def add_routes(self, app: web.Application) -> None:
        """Posts, images, member and organisation look-ups."""
        r = app.router
        r.add_post("/rest/posts", self._create_post)
        r.add_get("/rest/posts", self._find_posts)
        r.add_post("/rest/images", self._init_image)
        r.add_put("/upload/{image}", self._upload_image)
        r.add_get("/rest/images/{urn}", self._get_image)
        r.add_post("/rest/videos", self._video_action)
        r.add_put("/dms-uploads/{video}/part/{n}", self._upload_part)
        r.add_get("/rest/videos/{urn}", self._get_video)
        r.add_get("/v2/userinfo", self._userinfo)
        r.add_get("/rest/organizationAcls", self._org_acls)
        r.add_get("/rest/organizations/{id}", self._organization)

    def _check(self, request: web.Request, versioned: bool = True) -> web.Response | None:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            return self.error(401, "Invalid access token")
        if versioned and not request.headers.get("LinkedIn-Version", "").isdigit():
            return self.error(400, "A version must be present. Please specify a version")
        if versioned and request.headers.get("X-Restli-Protocol-Version") != "2.0.0":
            return self.error(400, "X-Restli-Protocol-Version 2.0.0 is required")
        return None

    def _authors(self) -> set[str]:
        return {f"urn:li:person:{self.person_id}", f"urn:li:organization:{self.org_id}"}

    async def _create_post(self, request: web.Request) -> web.StreamResponse:
        refused = self._check(request)
        if refused is not None:
            return refused
        body = request[RECORDED].json or {}
        if body.get("author") not in self._authors():
            return self.error(403, "Not enough permissions to post as this author")
        commentary = str(body.get("commentary", ""))
        if len(commentary) > 3000:
            return self.error(422, "Commentary is too long")
        content = body.get("content") or {}
        ids = [content["media"]["id"]] if "media" in content else []
        ids += [i["id"] for i in content.get("multiImage", {}).get("images", [])]
        for media in ids:
            known = self.videos if media.startswith("urn:li:video:") else self.images
            if known.get(media, {}).get("status") != "AVAILABLE":
                return self.error(422, f"Media {media} is not available")
        for post in self.posts:
            if post["commentary"] == commentary and post["author"] == body["author"]:
                return self.error(422, f"Content is a duplicate of {post['id']}")
        key = request.headers.get("X-Outpost-Idempotency-Key", "")
        made: dict[str, str] = {}

        async def create() -> web.StreamResponse:
            urn = f"urn:li:share:{next(self._ids)}"
            post = {"id": urn, "createdAt": int(time.time() * 1000), **body}
            post["commentary"] = commentary
            self.posts.append(post)
            self._created_keys.append(key)
            made["urn"] = urn
            return web.Response(status=201, headers={"x-restli-id": urn})

        return await self.create_call(request, create)

    async def _find_posts(self, request: web.Request) -> web.Response:
        refused = self._check(request)
        if refused is not None:
            return refused
        if request.query.get("q") != "author":
            return self.error(400, "Unsupported finder")
        author = request.query.get("author", "")
        count = int(request.query.get("count", "10"))
        mine = [p for p in reversed(self.posts) if p["author"] == author][:count]
        return web.json_response({"elements": mine, "paging": {"start": 0, "count": count}})

    async def _init_image(self, request: web.Request) -> web.Response:
        refused = self._check(request)
        if refused is not None:
            return refused
        if request.query.get("action") != "initializeUpload":
            return self.error(400, "Unsupported action")
        owner = ((request[RECORDED].json or {}).get("initializeUploadRequest") or {}).get("owner")
        if owner not in self._authors():
            return self.error(403, "Not enough permissions to upload as this owner")
        image = f"urn:li:image:D4E{next(self._ids)}"
        self.images[image] = {"id": image, "status": "WAITING_UPLOAD", "owner": owner}
        value = {
            "uploadUrlExpiresAt": int(time.time() * 1000) + 86_400_000,
            "uploadUrl": f"{self.url}/upload/{image}",
            "image": image,
        }
        return web.json_response({"value": value})

    async def _upload_image(self, request: web.Request) -> web.Response:
        image = self.images.get(request.match_info["image"])
        if self._check(request, versioned=False) is not None or image is None:
            return self.error(401, "Invalid upload")
        image["size"] = len(request[RECORDED].body)
        image["status"] = "PROCESSING"
        image["_polls"] = self.image_processing_polls
        return web.Response(status=201)

    async def _get_image(self, request: web.Request) -> web.Response:
        refused = self._check(request)
        if refused is not None:
            return refused
        image = self.images.get(request.match_info["urn"])
        if image is None:
            return self.error(404, "Image not found")
        if image["status"] == "PROCESSING":
            if image["_polls"] <= 0:
                image["status"] = "AVAILABLE"
            image["_polls"] -= 1
        return web.json_response({k: v for k, v in image.items() if not k.startswith("_")})

    async def _video_action(self, request: web.Request) -> web.Response:
        refused = self._check(request)
        if refused is not None:
            return refused
        body = request[RECORDED].json or {}
        action = request.query.get("action")
        if action == "initializeUpload":
            return self._init_video(body.get("initializeUploadRequest") or {})
        if action == "finalizeUpload":
            return self._finalize_video(body.get("finalizeUploadRequest") or {})
        return self.error(400, "Unsupported action")

    def _init_video(self, init: dict[str, Any]) -> web.Response:
        if init.get("owner") not in self._authors():
            return self.error(403, "Not enough permissions to upload as this owner")
        size = init.get("fileSizeBytes")
        if not isinstance(size, int) or not MIN_VIDEO <= size <= MAX_VIDEO:
            return self.error(400, "fileSizeBytes must be between 75 KB and 500 MB")
        key = f"C5F10AQ{next(self._ids)}"
        urn = f"urn:li:video:{key}"
        parts = [(first, min(first + PART_BYTES, size) - 1) for first in range(0, size, PART_BYTES)]
        self.videos[urn] = {"id": urn, "owner": init["owner"], "status": "WAITING_UPLOAD",
                            "_key": key, "_parts": parts, "_etags": {}, "_token":
                            secrets.token_hex(8) if len(parts) > 1 else ""}  # fmt: skip
        instructions = [{"uploadUrl": f"{self.url}/dms-uploads/{key}/part/{n}",
                         "firstByte": first, "lastByte": last}
                        for n, (first, last) in enumerate(parts)]  # fmt: skip
        value = {"uploadUrlsExpireAt": int(time.time() * 1000) + 86_400_000, "video": urn,
                 "uploadInstructions": instructions,
                 "uploadToken": self.videos[urn]["_token"]}  # fmt: skip
        return web.json_response({"value": value})

    def _video_by_key(self, key: str) -> dict[str, Any] | None:
        return next((v for v in self.videos.values() if v["_key"] == key), None)

    async def _upload_part(self, request: web.Request) -> web.Response:
        video = self._video_by_key(request.match_info["video"])
        n = int(request.match_info["n"])
        if video is None or not 0 <= n < len(video["_parts"]):
            return self.error(404, "Upload URL not found or expired")
        first, last = video["_parts"][n]
        if len(request[RECORDED].body) != last - first + 1:
            return self.error(400, f"Part {n} must be bytes {first}-{last}")
        etag = f"/ETag{secrets.token_hex(6)}/"
        video["_etags"][n] = etag
        return web.Response(status=200, headers={"ETag": etag})

    def _finalize_video(self, final: dict[str, Any]) -> web.Response:
        video = self.videos.get(str(final.get("video", "")))
        if video is None:
            return self.error(404, "Video not found")
        if final.get("uploadToken", "") != video["_token"]:
            return self.error(400, "Invalid uploadToken")
        expected = [video["_etags"].get(n) for n in range(len(video["_parts"]))]
        if None in expected or final.get("uploadedPartIds") != expected:
            return self.error(400, "uploadedPartIds do not match the uploaded parts")
        video["status"], video["_polls"] = "PROCESSING", self.video_processing_polls
        return web.Response(status=200)

    async def _get_video(self, request: web.Request) -> web.Response:
        refused = self._check(request)
        if refused is not None:
            return refused
        video = self.videos.get(request.match_info["urn"])
        if video is None:
            return self.error(404, "Video not found")
        if video["status"] == "PROCESSING":
            video["_polls"] -= 1
            if video["_polls"] < 0:
                failed = self.fail_video_processing
                video["status"] = "PROCESSING_FAILED" if failed else "AVAILABLE"
                if failed:
                    video["processingFailureReason"] = "Video format is not supported"
        return web.json_response({k: v for k, v in video.items() if not k.startswith("_")})

    async def _userinfo(self, request: web.Request) -> web.Response:
        refused = self._check(request, versioned=False)
        if refused is not None:
            return refused
        return web.json_response(
            {"sub": self.person_id, "name": "Ada Lovelace", "given_name": "Ada",
             "family_name": "Lovelace", "email": "ada@example.com", "email_verified": True}
        )  # fmt: skip

    async def _org_acls(self, request: web.Request) -> web.Response:
        refused = self._check(request)
        if refused is not None:
            return refused
        acl = {
            "roleAssignee": f"urn:li:person:{self.person_id}",
            "organization": f"urn:li:organization:{self.org_id}",
            "role": "ADMINISTRATOR",
            "state": "APPROVED",
        }
        return web.json_response({"elements": [acl], "paging": {"start": 0, "count": 10}})

    async def _organization(self, request: web.Request) -> web.Response:
        refused = self._check(request)
        if refused is not None:
            return refused
        if request.match_info["id"] != self.org_id:
            return self.error(404, "Organization not found")
        return web.json_response(
            {"id": int(self.org_id), "localizedName": "Acme Corp", "vanityName": self.org_vanity}
        )


if __name__ == "__main__":
    run_main(FakeLinkedIn())
