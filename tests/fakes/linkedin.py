"""A fake LinkedIn API: versioned Posts, Images and Videos APIs, OpenID userinfo, organisation ACLs.

Written from LinkedIn's docs read 2026-12-07: "LinkedIn Marketing API Versioning" and
"Migrations" (learn.microsoft.com/en-us/linkedin/marketing/versioning, …/integrations/
migrations: each monthly version is served for about a year, e.g. 202411 sunset 2025-11-17,
202511 on 2026-11-16, 202603 on 2027-03-16), the Posts API, and "Getting Access to LinkedIn
APIs" (self-serve products grant ``openid profile email w_member_social``; organization scopes
need the Community Management API; ``r_member_social`` is closed to new apps).

Answers like ``api.linkedin.com``: a created post is ``201`` with an empty body and its URN in
``x-restli-id``; errors are ``{"message", "status", "serviceErrorCode"}``; a repeat of the same
commentary is ``422 Content is a duplicate of urn:…``. A request without ``LinkedIn-Version``
is a 400; a version not served on ``today`` (sunset a year after its month, on the 15th, or not
released yet) is ``426 {"status": 426, "code": "NONEXISTENT_VERSION", ...}``. A call outside the
token's scopes is 403 "Not enough permissions"; ``token_scopes`` (shared with
``FakeAuthServer``) records each token's scopes at grant, and the built-in ``li-token`` has the
self-serve and organization posting scopes but not ``r_member_social``.
``X-Outpost-Idempotency-Key`` is not a LinkedIn header: the fake only records it so tests can
tie a post to its destination.

Videos: ``initializeUpload`` checks ``fileSizeBytes`` (75 KB to 500 MB) and answers one
pre-signed ``/dms-uploads/…`` URL per 4 MB range; each ``PUT`` must carry exactly its range and
answers an ``ETag``; ``finalizeUpload`` needs the upload token and every ETag in order; the
video is then ``PROCESSING`` for ``video_processing_polls`` reads, and ``AVAILABLE`` (or
``PROCESSING_FAILED`` when ``fail_video_processing`` is set). A post may use only an
``AVAILABLE`` video.

Comments (Comments API, learn.microsoft.com/en-us/linkedin/marketing/community-management/
shares/comments-api, read 2026-12-07): ``POST /rest/socialActions/{share or ugcPost URN}/
comments`` with ``actor`` (the person or organisation commenting; ``w_member_social`` or
``w_organization_social``), ``object`` (the same URN) and ``message.text`` answers ``201`` with
the comment (``commentUrn``, ``urn:li:comment:(urn:li:activity:…,id)``) and its id in
``x-restli-id``. A post that does not exist is 404; a missing actor or message is 400; an
actor the token cannot act for is 403; a message over 1,250 characters is 422. Reading a
post's comments (``GET`` on the same path) needs ``r_organization_social`` for an
organisation's post and ``r_member_social`` for a member's, else 403. ``comments`` records
each one for tests.

Run alone with ``python -m tests.fakes.linkedin --port N``.
"""

from __future__ import annotations

import itertools
import secrets
import time
from datetime import date
from typing import Any, ClassVar

from aiohttp import web

from tests.fakes.base import RECORDED, FakeServer, run_main

PART_BYTES = 4 * 1024 * 1024
MIN_VIDEO, MAX_VIDEO = 75 * 1024, 500 * 1024 * 1024
SELF_SERVE = frozenset({"openid", "profile", "email", "w_member_social"})
ORGANIZATION = frozenset({"w_organization_social", "r_organization_social",
                          "r_organization_admin", "rw_organization_admin"})  # fmt: skip
TODAY = date(2026, 12, 7)


def version_active(version: str, today: date) -> bool:
    """Whether LinkedIn serves ``version`` (YYYYMM) on ``today``: released, and not yet sunset."""
    if len(version) < 6 or not version[:6].isdigit():
        return False
    year, month = int(version[:4]), int(version[4:6])
    released = year * 12 + month - 1
    now = today.year * 12 + today.month - 1
    if released > now or not 1 <= month <= 12:
        return False
    # Sunset about a year after release, in the middle of the month (202411 on 2025-11-17).
    return now - released < 12 or (now - released == 12 and today.day < 15)


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
        self.today = TODAY
        # Scopes per token, recorded at grant; a token missing here has none.
        self.token_scopes: dict[str, set[str]] = {
            "li-token": set(SELF_SERVE) | {"w_organization_social", "r_organization_admin"}
        }
        self.person_id = "abc123"
        self.org_id = "2414183"
        self.org_vanity = "acme-corp"
        self.acls_unavailable = False  # the organization lookup answers 500
        self.image_processing_polls = 1
        self.posts: list[dict[str, Any]] = []
        self.images: dict[str, dict[str, Any]] = {}
        self.videos: dict[str, dict[str, Any]] = {}
        self.video_processing_polls = 1
        self.fail_video_processing = False
        self._created_keys: list[str] = []
        self.comments: list[dict[str, Any]] = []
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
        self.comments.clear()

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
        r.add_post("/rest/socialActions/{urn}/comments", self._create_comment)
        r.add_get("/rest/socialActions/{urn}/comments", self._list_comments)
        r.add_post("/rest/images", self._init_image)
        r.add_put("/upload/{image}", self._upload_image)
        r.add_get("/rest/images/{urn}", self._get_image)
        r.add_post("/rest/videos", self._video_action)
        r.add_put("/dms-uploads/{video}/part/{n}", self._upload_part)
        r.add_get("/rest/videos/{urn}", self._get_video)
        r.add_get("/v2/userinfo", self._userinfo)
        r.add_get("/rest/organizationAcls", self._org_acls)
        r.add_get("/rest/organizations/{id}", self._organization)

    def _check(
        self, request: web.Request, versioned: bool = True, scopes: frozenset[str] = frozenset()
    ) -> web.Response | None:
        """Token, version and protocol headers, and (any of) ``scopes`` granted to the token."""
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            return self.error(401, "Invalid access token")
        version = request.headers.get("LinkedIn-Version", "")
        if versioned and not version:
            return self.error(400, "A version must be present. Please specify a version")
        if versioned and not version_active(version, self.today):
            body = {"status": 426, "code": "NONEXISTENT_VERSION",
                    "message": f"Requested version {version}00 is not active"}  # fmt: skip
            return web.json_response(body, status=426)
        if versioned and request.headers.get("X-Restli-Protocol-Version") != "2.0.0":
            return self.error(400, "X-Restli-Protocol-Version 2.0.0 is required")
        if scopes and not scopes & self.token_scopes.get(auth[7:], set()):
            wanted = " or ".join(sorted(scopes))
            return self.error(403, f"Not enough permissions to access this resource ({wanted})")
        return None

    @staticmethod
    def _write_scope(author: Any) -> frozenset[str]:
        if str(author).startswith("urn:li:organization:"):
            return frozenset({"w_organization_social"})
        return frozenset({"w_member_social"})

    def _authors(self) -> set[str]:
        return {f"urn:li:person:{self.person_id}", f"urn:li:organization:{self.org_id}"}

    async def _create_post(self, request: web.Request) -> web.StreamResponse:
        body = request[RECORDED].json or {}
        refused = self._check(request, scopes=self._write_scope(body.get("author")))
        if refused is not None:
            return refused
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

    async def _create_comment(self, request: web.Request) -> web.StreamResponse:
        body = request[RECORDED].json or {}
        actor = body.get("actor")
        refused = self._check(request, scopes=self._write_scope(actor))
        if refused is not None:
            return refused
        urn = request.match_info["urn"]
        if not actor or not isinstance(body.get("message"), dict):
            return self.error(400, "Field /actor and /message are required")
        if actor not in self._authors():
            return self.error(403, "Not enough permissions to comment as this actor")
        if body.get("object") not in (None, urn):
            return self.error(400, "/object does not match the URN in the path")
        if not any(p["id"] == urn for p in self.posts):
            return self.error(404, f"Not found: {urn}")
        text = str(body["message"].get("text") or "")
        if not text.strip():
            return self.error(400, "Field /message/text is required")
        if len(text) > 1250:
            return self.error(422, "Comment text is too long")
        key = request.headers.get("X-Outpost-Idempotency-Key", "")

        async def create() -> web.StreamResponse:
            number = next(self._ids)
            activity = urn.rsplit(":", 1)[-1]
            comment_urn = f"urn:li:comment:(urn:li:activity:{activity},{number})"
            comment = {
                "id": str(number), "commentUrn": comment_urn,
                "actor": actor, "object": urn, "message": {"text": text},
                "created": {"time": int(time.time() * 1000)}, "_key": key,
            }  # fmt: skip
            self.comments.append(comment)
            shown = {k: v for k, v in comment.items() if not k.startswith("_")}
            return web.json_response(shown, status=201, headers={"x-restli-id": comment["id"]})

        return await self.create_call(request, create)

    async def _list_comments(self, request: web.Request) -> web.Response:
        urn = request.match_info["urn"]
        author = next((str(p["author"]) for p in self.posts if p["id"] == urn), "")
        # An organisation's post is read with r_organization_social; a member's needs
        # r_member_social, which LinkedIn no longer grants to new apps.
        organization = author.startswith("urn:li:organization:")
        wanted = "r_organization_social" if organization else "r_member_social"
        refused = self._check(request, scopes=frozenset({wanted}))
        if refused is not None:
            return refused
        mine = [{k: v for k, v in c.items() if not k.startswith("_")}
                for c in self.comments if c["object"] == urn]  # fmt: skip
        return web.json_response({"elements": mine, "paging": {"count": len(mine), "start": 0}})

    async def _find_posts(self, request: web.Request) -> web.Response:
        # Reading posts back needs r_member_social (closed to new apps) or r_organization_social.
        author = request.query.get("author", "")
        read = "r_organization_social" if "organization" in author else "r_member_social"
        refused = self._check(request, scopes=frozenset({read}))
        if refused is not None:
            return refused
        if request.query.get("q") != "author":
            return self.error(400, "Unsupported finder")
        author = request.query.get("author", "")
        count = int(request.query.get("count", "10"))
        mine = [p for p in reversed(self.posts) if p["author"] == author][:count]
        return web.json_response({"elements": mine, "paging": {"start": 0, "count": count}})

    async def _init_image(self, request: web.Request) -> web.Response:
        owner = ((request[RECORDED].json or {}).get("initializeUploadRequest") or {}).get("owner")
        refused = self._check(request, scopes=self._write_scope(owner))
        if refused is not None:
            return refused
        if request.query.get("action") != "initializeUpload":
            return self.error(400, "Unsupported action")
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
        body = request[RECORDED].json or {}
        init = body.get("initializeUploadRequest")
        either = frozenset({"w_member_social", "w_organization_social"})
        scopes = self._write_scope(init.get("owner")) if isinstance(init, dict) else either
        refused = self._check(request, scopes=scopes)
        if refused is not None:
            return refused
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
        refused = self._check(request, versioned=False, scopes=frozenset({"openid"}))
        if refused is not None:
            return refused
        return web.json_response(
            {"sub": self.person_id, "name": "Ada Lovelace", "given_name": "Ada",
             "family_name": "Lovelace", "email": "ada@example.com", "email_verified": True}
        )  # fmt: skip

    async def _org_acls(self, request: web.Request) -> web.Response:
        admin = frozenset({"r_organization_admin", "rw_organization_admin"})
        refused = self._check(request, scopes=admin)
        if refused is not None:
            return refused
        if self.acls_unavailable:
            return self.error(500, "Internal Server Error")
        acl = {
            "roleAssignee": f"urn:li:person:{self.person_id}",
            "organization": f"urn:li:organization:{self.org_id}",
            "role": "ADMINISTRATOR",
            "state": "APPROVED",
        }
        return web.json_response({"elements": [acl], "paging": {"start": 0, "count": 10}})

    async def _organization(self, request: web.Request) -> web.Response:
        admin = frozenset({"r_organization_admin", "rw_organization_admin"})
        refused = self._check(request, scopes=admin)
        if refused is not None:
            return refused
        if request.match_info["id"] != self.org_id:
            return self.error(404, "Organization not found")
        return web.json_response(
            {"id": int(self.org_id), "localizedName": "Acme Corp", "vanityName": self.org_vanity}
        )


if __name__ == "__main__":
    run_main(FakeLinkedIn())
