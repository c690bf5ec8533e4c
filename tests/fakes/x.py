"""A fake X API v2: posts, media upload (simple and chunked, with processing), users/me.

``GET /2/users/{id}/tweets`` is not in the trimmed spec; it is written from X's documentation
(newest first, ``data`` list of ``{id, text, created_at}``, ``start_time`` filter) because the
publisher's duplicate check after an ambiguous outcome needs it. Like X, the fake answers
texts with t.co links in place of URLs, plus one t.co link per attached media.

Also from X's documentation, read 2026-12-07:

- "Rate limits" (docs.x.com/x-api/fundamentals/rate-limits): posting has a 24-hour cap per
  user and per app besides the 15-minute window. Once ``daily_cap`` posts were made, ``POST
  /2/tweets`` answers 429 with ``x-user-limit-24hour-limit``/``-remaining: 0``/``-reset``
  (epoch seconds, ``daily_reset_in`` from the first post of the day) next to an
  ``x-rate-limit-*`` window that is nowhere near spent.
- "Create Media metadata" (``POST /2/media/metadata``, docs.x.com/x-api/media/create-media-
  metadata; v1.1 ``media/metadata/create`` documents ``alt_text.text`` at most 1000
  characters): ``{"id", "metadata": {"alt_text": {"text"}}}`` for an uploaded image or GIF.

- "Post object" fields (docs.x.com/x-api/fundamentals/data-dictionary, read 2026-12-07):
  ``referenced_tweets`` lists ``{"type": "replied_to", "id"}`` for a reply when
  ``tweet.fields`` asks for it. A reply (``reply.in_reply_to_tweet_id``) to a post that does
  not exist is refused with 400, as X does for a deleted or invisible post; each post records
  what it answered (``in_reply_to``) so tests can check a thread's order.

Run alone with ``python -m tests.fakes.x --port N``.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import time
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import jsonschema
from aiohttp import web
from twitter_text import parse_tweet

from tests.fakes.base import RECORDED, FakeServer, run_main

SPEC = Path(os.environ.get("OUTPOST_SPECS", "/work/shared/specs")) / "x" / "openapi.json"
_URL = re.compile(r"https?://\S+")
USER_ID = "1500000000000000001"


def _problem(status: int, title: str, detail: str) -> dict[str, Any]:
    return {"title": title, "detail": detail, "type": "about:blank", "status": status}


@cache
def _spec() -> dict[str, Any]:
    return dict(json.loads(SPEC.read_text()))


def schema_errors(name: str, body: Any) -> list[str]:
    """Why ``body`` does not match ``components.schemas[name]`` of the X spec."""
    spec = _spec()
    schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    validator = jsonschema.Draft202012Validator(schema)
    return [e.message for e in validator.iter_errors(body)]


class FakeX(FakeServer):
    """One X account (``username``) behind a set of valid bearer tokens."""

    name = "x"
    error_bodies: ClassVar[dict[str, tuple[int, dict[str, Any]]]] = {
        "400": (400, {"errors": [{"message": "Invalid request"}], "title": "Invalid Request",
                      "detail": "One or more parameters to your request was invalid.",
                      "type": "https://api.x.com/2/problems/invalid-request"}),
        "401": (401, _problem(401, "Unauthorized", "Unauthorized")),
        "403": (403, _problem(403, "Forbidden", "You are not permitted to perform this action.")),
        "422": (400, _problem(400, "Invalid Request", "Text is not valid.")),
        "500": (500, _problem(500, "Internal Server Error", "Internal error")),
        "503": (503, _problem(503, "Service Unavailable", "Service Unavailable")),
    }  # fmt: skip

    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed)
        self.tokens: set[str] = {"x-user-token"}
        self.username = "outpost"
        self.processing_polls = 1  # STATUS answers "in_progress" this many times per video
        self.posts: list[dict[str, Any]] = []
        self.media: dict[str, dict[str, Any]] = {}
        self.daily_cap: int | None = None  # posts per 24 hours for the user; None: no cap
        self.daily_reset_in = 6 * 3600.0
        self._day_started: float | None = None
        self._day_count = 0
        self._ids = itertools.count(1)

    def created_keys(self) -> list[str]:
        """X takes no idempotency key: the text of each created post stands in for it."""
        return [p["_sent_text"] for p in self.posts]

    def reset(self) -> None:
        """Forget posts, media and recordings."""
        super().reset()
        self.posts.clear()
        self.media.clear()

    def state(self) -> dict[str, Any]:
        """Recording plus posts and media."""
        return {**super().state(), "posts": self.posts, "media": self.media}

    def configure(self, config: dict[str, Any]) -> None:
        """``tokens``, ``username``, ``processing_polls``."""
        super().configure(config)
        if "tokens" in config:
            self.tokens = set(config["tokens"])
        if "username" in config:
            self.username = str(config["username"])
        if "processing_polls" in config:
            self.processing_polls = int(config["processing_polls"])

    def add_routes(self, app: web.Application) -> None:
        """Routes of the trimmed spec, plus the user timeline."""
        r = app.router
        r.add_post("/2/tweets", self._create_post)
        r.add_delete("/2/tweets/{id}", self._delete_post)
        r.add_post("/2/media/upload", self._simple_upload)
        r.add_get("/2/media/upload", self._status)
        r.add_post("/2/media/upload/initialize", self._initialize)
        r.add_post("/2/media/upload/{id}/append", self._append)
        r.add_post("/2/media/upload/{id}/finalize", self._finalize)
        r.add_post("/2/media/metadata", self._metadata)
        r.add_get("/2/users/me", self._me)
        r.add_get("/2/users/{id}/tweets", self._timeline)

    # --- plumbing --------------------------------------------------------------------------

    def _new_id(self) -> str:
        # Snowflake: milliseconds since the Twitter epoch, shifted 22 bits, plus a sequence.
        return str(((int(time.time() * 1000) - 1288834974657) << 22) + next(self._ids))

    def problem(self, status: int, title: str, detail: str) -> web.Response:
        """An error in X's problem shape, with its rate-limit headers."""
        return web.json_response(
            _problem(status, title, detail), status=status, headers=self._rate_headers()
        )

    def _rate_headers(self) -> dict[str, str]:
        reset = self.rate_limited_until or (time.time() // 900 + 1) * 900
        remaining = 0 if time.time() < self.rate_limited_until else 100
        return {"x-rate-limit-limit": "100", "x-rate-limit-remaining": str(remaining),
                "x-rate-limit-reset": str(int(reset))}  # fmt: skip

    def _whole_second_window(self, until: float) -> int:
        """The window ends on the whole epoch second the header names, as on the real API."""
        second = round(until)
        if self.rate_limited_until == until:
            self.rate_limited_until = float(second)
            if self.rate_limit_windows and self.rate_limit_windows[-1] == until:
                self.rate_limit_windows[-1] = float(second)
        return second

    def rate_limit_response(self, until: float) -> web.Response:
        """429 with ``x-rate-limit-reset`` in epoch seconds (rounded up), like X."""
        headers = {"x-rate-limit-limit": "100", "x-rate-limit-remaining": "0",
                   "x-rate-limit-reset": str(self._whole_second_window(until))}  # fmt: skip
        body = _problem(429, "Too Many Requests", "Too Many Requests")
        return web.json_response(body, status=429, headers=headers)

    def _authorized(self, request: web.Request) -> bool:
        auth = request.headers.get("Authorization", "")
        return auth.startswith("Bearer ") and auth[7:] in self.tokens

    def _unauthorized(self) -> web.Response:
        return self.problem(401, "Unauthorized", "Unauthorized")

    # --- posts -----------------------------------------------------------------------------

    def _invalid(self, body: Any) -> web.Response | None:
        errors = schema_errors("CreatePostsRequest", body) if isinstance(body, dict) else ["{}"]
        if errors:
            return self.problem(400, "Invalid Request", "; ".join(errors))
        text = str(body.get("text", ""))
        media_ids = (body.get("media") or {}).get("media_ids", [])
        if not text.strip() and not media_ids:
            return self.problem(400, "Invalid Request", "Text or media is required.")
        if text and not parse_tweet(text).valid:
            return self.problem(403, "Forbidden", "Your Tweet text is too long.")
        for media_id in media_ids:
            media = self.media.get(media_id)
            if media is None or media["state"] != "succeeded":
                return self.problem(400, "Invalid Request", f"Media id {media_id} is not ready")
        reply = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        if reply and not any(p["id"] == reply for p in self.posts):
            return self.problem(400, "Invalid Request", "The post you are replying to is gone.")
        return None

    async def _create_post(self, request: web.Request) -> web.StreamResponse:
        if not self._authorized(request):
            return self._unauthorized()
        body = request[RECORDED].json
        invalid = self._invalid(body)
        if invalid is not None:
            return invalid
        text = str(body.get("text", ""))
        if text and any(p["_sent_text"] == text for p in self.posts):
            return self.problem(
                403, "Forbidden", "You are not allowed to create a Tweet with duplicate content."
            )
        capped = self._daily_capped()
        if capped is not None:
            return capped
        created: dict[str, Any] = {}

        async def create() -> web.StreamResponse:
            post = self._make_post(body)
            self.posts.append(post)
            created.update(id=post["id"], text=post["text"], edit_history_tweet_ids=[post["id"]])
            return web.json_response({"data": created}, status=201, headers=self._rate_headers())

        return await self.create_call(request, create)

    def _daily_capped(self) -> web.Response | None:
        """429 with the 24-hour headers once the user's daily cap is used up."""
        if self.daily_cap is None:
            return None
        now = time.time()
        if self._day_started is None or now >= self._day_started + self.daily_reset_in:
            self._day_started, self._day_count = now, 0
        if self._day_count < self.daily_cap:
            self._day_count += 1
            return None
        reset = int(self._day_started + self.daily_reset_in)
        headers = {**self._rate_headers(), "x-user-limit-24hour-limit": str(self.daily_cap),
                   "x-user-limit-24hour-remaining": "0",
                   "x-user-limit-24hour-reset": str(reset)}  # fmt: skip
        body = _problem(429, "Too Many Requests", "Too Many Requests")
        return web.json_response(body, status=429, headers=headers)

    def _make_post(self, body: dict[str, Any]) -> dict[str, Any]:
        post_id, text = self._new_id(), str(body.get("text", ""))
        media_ids = list((body.get("media") or {}).get("media_ids", []))
        echoed = _URL.sub(lambda _: f"https://t.co/{next(self._ids):010d}", text)
        echoed = echoed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        echoed += "".join(f" https://t.co/m{m[-6:]}" for m in media_ids)
        reply = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return {
            "id": post_id, "text": echoed.strip(), "_sent_text": text, "media_ids": media_ids,
            "in_reply_to": reply,
            "created_at": now,
        }  # fmt: skip

    async def _delete_post(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._unauthorized()
        before = len(self.posts)
        self.posts = [p for p in self.posts if p["id"] != request.match_info["id"]]
        return web.json_response({"data": {"deleted": len(self.posts) < before}})

    async def _timeline(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._unauthorized()
        if request.match_info["id"] != USER_ID:
            return self.problem(404, "Not Found Error", "Could not find user.")
        since = request.query.get("start_time", "")
        limit = int(request.query.get("max_results", "10"))
        posts = [p for p in reversed(self.posts) if p["created_at"] >= since][:limit]
        fields = set(request.query.get("tweet.fields", "").split(","))
        data = [{"id": p["id"], "text": p["text"], "edit_history_tweet_ids": [p["id"]]}
                | ({"created_at": p["created_at"]} if "created_at" in fields else {})
                | ({"referenced_tweets": [{"type": "replied_to", "id": p["in_reply_to"]}]}
                   if "referenced_tweets" in fields and p["in_reply_to"] else {})
                for p in posts]  # fmt: skip
        meta = {"result_count": len(data)}
        if data:
            meta |= {"newest_id": data[0]["id"], "oldest_id": data[-1]["id"]}
        return web.json_response({"data": data, "meta": meta} if data else {"meta": meta})

    async def _me(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._unauthorized()
        user = {"id": USER_ID, "name": self.username.title(), "username": self.username}
        return web.json_response({"data": user})

    # --- media -----------------------------------------------------------------------------

    def _media_data(self, media: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = {"id": media["id"], "media_key": f"3_{media['id']}",
                                "size": media["size"], "expires_after_secs": 86400}  # fmt: skip
        if media["category"] != "tweet_image":
            info: dict[str, Any] = {"state": media["state"]}
            if media["state"] in ("pending", "in_progress"):
                info["check_after_secs"] = 1
                info["progress_percent"] = 0 if media["state"] == "pending" else 50
            data["processing_info"] = info
        return data

    async def _simple_upload(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._unauthorized()
        form = request[RECORDED].form or {}
        problems = schema_errors(
            "MediaUploadRequest",
            {k: v if isinstance(v, str) else "(file)" for k, v in form.items()},
        )
        if problems or form.get("media_category") not in ("tweet_image", "dm_image"):
            return self.problem(400, "Invalid Request", "; ".join(problems) or "media_category")
        file = form["media"]
        if not isinstance(file, dict) or not str(file["content_type"]).startswith("image/"):
            return self.problem(400, "Invalid Request", "media must be an image file")
        media = {"id": self._new_id(), "size": file["size"], "category": "tweet_image",
                 "state": "succeeded", "received": file["size"], "polls": 0}  # fmt: skip
        self.media[media["id"]] = media
        return web.json_response({"data": self._media_data(media)})

    async def _initialize(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._unauthorized()
        body = request[RECORDED].json
        problems = schema_errors("InitializeMediaUploadRequest", body)
        if problems:
            return self.problem(400, "Invalid Request", "; ".join(problems))
        media = {"id": self._new_id(), "size": int(body.get("total_bytes", 0)),
                 "category": body.get("media_category", "tweet_video"), "state": "initialized",
                 "received": 0, "segments": [], "polls": self.processing_polls}  # fmt: skip
        self.media[media["id"]] = media
        return web.json_response({"data": {"id": media["id"], "media_key": f"7_{media['id']}",
                                           "expires_after_secs": 86400}})  # fmt: skip

    async def _append(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._unauthorized()
        media = self.media.get(request.match_info["id"])
        form = request[RECORDED].form or {}
        if media is None or media["state"] != "initialized":
            return self.problem(400, "Invalid Request", "Unknown or finished upload session")
        file = form.get("media")
        if not isinstance(file, dict) or "segment_index" not in form:
            return self.problem(400, "Invalid Request", "media and segment_index are required")
        media["received"] += file["size"]
        media["segments"].append(int(form["segment_index"]))
        return web.json_response({"data": {"expires_at": int(time.time()) + 86400}})

    async def _finalize(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._unauthorized()
        media = self.media.get(request.match_info["id"])
        if media is None or media["state"] != "initialized":
            return self.problem(400, "Invalid Request", "Unknown or finished upload session")
        if media["received"] != media["size"] or media["segments"] != sorted(media["segments"]):
            return self.problem(400, "Invalid Request", "File size does not match total_bytes")
        media["state"] = "pending" if media["polls"] else "succeeded"
        return web.json_response({"data": self._media_data(media)})

    async def _metadata(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._unauthorized()
        body = request[RECORDED].json
        media = self.media.get(str((body or {}).get("id", ""))) if isinstance(body, dict) else None
        if media is None:
            return self.problem(400, "Invalid Request", "id must be an uploaded media id")
        alt = ((body.get("metadata") or {}).get("alt_text") or {}).get("text")
        if not isinstance(alt, str) or len(alt) > 1000:
            return self.problem(400, "Invalid Request", "alt_text.text must be 1000 or fewer")
        if media["category"] == "tweet_video":
            return self.problem(400, "Invalid Request", "alt text is for images and GIFs")
        media["alt_text"] = alt
        data = {"id": media["id"], "associated_metadata": {"alt_text": {"text": alt}}}
        return web.json_response({"data": data})

    async def _status(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._unauthorized()
        if request.query.get("command") != "STATUS":
            return self.problem(400, "Invalid Request", "command must be STATUS")
        media = self.media.get(request.query.get("media_id", ""))
        if media is None:
            return self.problem(404, "Not Found Error", "Could not find media.")
        if media["state"] in ("pending", "in_progress"):
            media["polls"] -= 1
            media["state"] = "in_progress" if media["polls"] > 0 else "succeeded"
        return web.json_response({"data": self._media_data(media)})


if __name__ == "__main__":
    run_main(FakeX())
