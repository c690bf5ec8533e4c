"""A fake Mastodon instance: statuses, media, instance limits, OAuth, as the spec shapes them.

Media follow docs.joinmastodon.org/methods/media (read 2026-12-07): ``POST /api/v2/media``
answers 202 with ``url: null`` while a video or GIF is processed, ``GET /api/v1/media/:id``
answers 206 until it is done (``media_processing_polls`` GETs; raise it to keep a file
processing for a while) and 404 for an unknown id; ``description`` (alt text) may hold 1500
characters (MediaAttachment's MAX_DESCRIPTION_LENGTH), more is 422. ``uploads()`` counts the
files received, so a test sees a file uploaded once only.

Run alone with ``python -m tests.fakes.mastodon --port N``.
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
from typing import Any

import jsonschema
from aiohttp import web

from tests.fakes.base import RECORDED, FakeServer, run_main

SPEC = Path(os.environ.get("OUTPOST_SPECS", "/work/shared/specs")) / "mastodon" / "openapi.json"
IDEMPOTENCY_TTL = 3600.0
VISIBILITIES = ("public", "unlisted", "private", "direct")
_URL = re.compile(r"https?://\S+")
MAX_DESCRIPTION = 1500


def iso(ts: float) -> str:
    """An ISO-8601 UTC timestamp with microseconds, as Mastodon writes X-RateLimit-Reset."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@cache
def status_request_schema() -> dict[str, Any]:
    """The ``POST /api/v1/statuses`` body schema, its refs resolvable against the spec."""
    spec = json.loads(SPEC.read_text())
    body = spec["paths"]["/api/v1/statuses"]["post"]["requestBody"]["content"]
    schema = dict(body["application/json"]["schema"])
    # The spec says oneOf, but a status with text and media matches both TextStatus and
    # MediaStatus, which real Mastodon accepts; anyOf states the intent.
    schema["anyOf"] = schema.pop("oneOf")
    schema["components"] = spec["components"]
    return schema


def schema_errors(body: Any) -> list[str]:
    """Why ``body`` does not match the spec's status request schema (empty when it does)."""
    if not SPEC.exists():
        return []
    validator = jsonschema.Draft202012Validator(status_request_schema())
    return [e.message for e in validator.iter_errors(body)]


class FakeMastodon(FakeServer):
    """One Mastodon instance with one account (``username``) and a set of valid tokens."""

    name = "mastodon"

    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed)
        self.tokens: set[str] = {"good-token"}
        self.username = "outpost"
        self.max_characters = 500
        self.media_processing_polls = 1  # GETs answered 206 before a video is ready
        self.statuses: list[dict[str, Any]] = []
        self.media: dict[str, dict[str, Any]] = {}
        self.deleted: list[str] = []
        self._keys: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}
        self._created_keys: list[str] = []
        self._ids = itertools.count(1)

    def created_keys(self) -> list[str]:
        """The Idempotency-Key of each created status ("" when none was sent)."""
        return list(self._created_keys)

    def uploads(self) -> int:
        """Files received by ``POST /api/v2/media``."""
        return sum(1 for r in self.requests if r.method == "POST" and r.path == "/api/v2/media")

    def reset(self) -> None:
        """Forget statuses, media and recordings."""
        super().reset()
        self.statuses.clear()
        self.media.clear()
        self.deleted.clear()
        self._keys.clear()
        self._created_keys.clear()

    def state(self) -> dict[str, Any]:
        """Recording plus statuses and media."""
        return {**super().state(), "statuses": self.statuses, "media": self.media}

    def configure(self, config: dict[str, Any]) -> None:
        """``max_characters``, ``media_processing_polls``, ``tokens``, ``username``."""
        super().configure(config)
        for key in ("max_characters", "media_processing_polls"):
            if key in config:
                setattr(self, key, int(config[key]))
        if "tokens" in config:
            self.tokens = set(config["tokens"])
        if "username" in config:
            self.username = str(config["username"])

    def add_routes(self, app: web.Application) -> None:
        """Routes from the spec subset."""
        r = app.router
        r.add_post("/api/v1/statuses", self._create_status)
        r.add_get("/api/v1/statuses/{id}", self._get_status)
        r.add_delete("/api/v1/statuses/{id}", self._delete_status)
        r.add_post("/api/v2/media", self._create_media)
        r.add_get("/api/v1/media/{id}", self._get_media)
        r.add_get("/api/v1/accounts/verify_credentials", self._verify_credentials)
        r.add_get("/api/v2/instance", self._instance)
        r.add_post("/api/v1/apps", self._create_app)
        r.add_post("/oauth/token", self._token)

    # --- plumbing --------------------------------------------------------------------------

    def _new_id(self) -> str:
        # Snowflake-like: milliseconds shifted left 16 bits plus a sequence.
        return str((int(time.time() * 1000) << 16) + next(self._ids) % 65536)

    def _window_reset(self) -> float:
        return self.rate_limited_until or (time.time() // 300 + 1) * 300

    def _rate_headers(self) -> dict[str, str]:
        remaining = 0 if time.time() < self.rate_limited_until else max(0, 300 - self.create_calls)
        return {
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": iso(self._window_reset()),
        }

    def rate_limit_response(self, until: float) -> web.Response:
        """429 with X-RateLimit-Reset as an ISO-8601 timestamp, like Mastodon."""
        headers = {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0"}
        headers["X-RateLimit-Reset"] = iso(until)
        return self.error(429, "Too many requests", headers)

    def _token_of(self, request: web.Request) -> str | None:
        auth = request.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else ""
        return token if token in self.tokens else None

    def _unauthorized(self) -> web.Response:
        return self.error(401, "The access token is invalid")

    def _account(self) -> dict[str, Any]:
        name = self.username
        # fmt: off
        return {
            "id": "1", "username": name, "acct": name, "display_name": name.title(),
            "url": f"{self.url}/@{name}", "created_at": "2024-01-01T00:00:00.000Z", "note": "",
            "followers_count": 0, "following_count": 0, "statuses_count": len(self.statuses),
        }
        # fmt: on

    # --- statuses --------------------------------------------------------------------------

    def _status_body(self, request: web.Request) -> dict[str, Any]:
        rec = request[RECORDED]
        if isinstance(rec.json, dict):
            return dict(rec.json)
        return {k.removesuffix("[]"): v for k, v in (rec.form or {}).items()}

    def _invalid(self, body: dict[str, Any]) -> str | None:
        errors = schema_errors(body)
        if errors:
            return "Validation failed: " + "; ".join(errors)
        text = str(body.get("status") or "")
        media_ids = body.get("media_ids") or []
        if not text.strip() and not media_ids:
            return "Validation failed: Text can't be blank"
        if body.get("visibility", "public") not in VISIBILITIES:
            return "Validation failed: Visibility is not included in the list"
        if len(_URL.sub("x" * 23, text)) > self.max_characters:
            return f"Validation failed: Text character limit of {self.max_characters} exceeded"
        if len(media_ids) > 4:
            return "Validation failed: Media attachments are limited to 4"
        for media_id in media_ids:
            media = self.media.get(str(media_id))
            if media is None:
                return "Validation failed: Media attachments are invalid"
            if media["url"] is None:
                return (
                    "Cannot attach files that have not finished processing. Try again in a moment!"
                )
        reply_to = body.get("in_reply_to_id")
        if reply_to and not any(s["id"] == reply_to for s in self.statuses):
            return "Validation failed: In reply to could not be found"
        return None

    async def _create_status(self, request: web.Request) -> web.StreamResponse:
        token = self._token_of(request)
        if token is None:
            return self._unauthorized()
        body = self._status_body(request)
        problem = self._invalid(body)
        if problem:
            return self.error(422, problem)
        key = request.headers.get("Idempotency-Key", "")
        created: dict[str, Any] = {}

        async def create() -> web.StreamResponse:
            # Like Mastodon: the same key and token within an hour returns the first status.
            seen = self._keys.get((token, key)) if key else None
            if seen and time.time() - seen[0] < IDEMPOTENCY_TTL:
                created.update(seen[1])
            else:
                status = self._make_status(body)
                self.statuses.append(status)
                self._created_keys.append(key)
                if key:
                    self._keys[(token, key)] = (time.time(), status)
                created.update(status)
            return web.json_response(created, headers=self._rate_headers())

        return await self.create_call(request, create)

    def _make_status(self, body: dict[str, Any]) -> dict[str, Any]:
        status_id, text = self._new_id(), str(body.get("status") or "")
        media = [self._public(self.media[str(i)]) for i in body.get("media_ids") or []]
        # fmt: off
        return {
            "id": status_id, "created_at": iso(time.time()), "account": self._account(),
            "uri": f"{self.url}/users/{self.username}/statuses/{status_id}",
            "url": f"{self.url}/@{self.username}/{status_id}",
            "content": f"<p>{text}</p>", "text": text,
            "visibility": body.get("visibility", "public"),
            "sensitive": bool(body.get("sensitive", False)),
            "spoiler_text": body.get("spoiler_text", ""),
            "in_reply_to_id": body.get("in_reply_to_id"), "language": body.get("language"),
            "media_attachments": media, "mentions": [], "tags": [], "emojis": [],
            "reblogs_count": 0, "favourites_count": 0, "replies_count": 0,
        }
        # fmt: on

    async def _get_status(self, request: web.Request) -> web.Response:
        for status in self.statuses:
            if status["id"] == request.match_info["id"]:
                return web.json_response(status, headers=self._rate_headers())
        return self.error(404, "Record not found")

    async def _delete_status(self, request: web.Request) -> web.Response:
        if self._token_of(request) is None:
            return self._unauthorized()
        for status in self.statuses:
            if status["id"] == request.match_info["id"]:
                self.statuses.remove(status)
                self.deleted.append(status["id"])
                return web.json_response(status)
        return self.error(404, "Record not found")

    # --- media -----------------------------------------------------------------------------

    async def _create_media(self, request: web.Request) -> web.Response:
        if self._token_of(request) is None:
            return self._unauthorized()
        file = (request[RECORDED].form or {}).get("file")
        if not isinstance(file, dict):
            return self.error(422, "Validation failed: File can't be blank")
        description = (request[RECORDED].form or {}).get("description")
        if isinstance(description, str) and len(description) > MAX_DESCRIPTION:
            return self.error(
                422, "Validation failed: Description is too long (maximum is 1500 characters)"
            )
        kind = str(file["content_type"]).split("/")[0]
        if kind not in ("image", "video"):
            return self.error(422, "Validation failed: File content type is invalid")
        media_id = self._new_id()
        ready = kind == "image" and file["content_type"] != "image/gif"
        media = {
            "id": media_id,
            "type": "image" if ready else ("gifv" if kind == "image" else "video"),
            "url": f"{self.url}/media/{media_id}" if ready else None,
            "preview_url": f"{self.url}/media/{media_id}/small",
            "remote_url": None,
            "description": (request[RECORDED].form or {}).get("description"),
            "blurhash": None,
            "meta": {"size": file["size"]},
            "_polls_left": 0 if ready else self.media_processing_polls,
        }
        self.media[media_id] = media
        return web.json_response(self._public(media), status=200 if ready else 202)

    async def _get_media(self, request: web.Request) -> web.Response:
        if self._token_of(request) is None:
            return self._unauthorized()
        media = self.media.get(request.match_info["id"])
        if media is None:
            return self.error(404, "Record not found")
        if media["url"] is None:
            if media["_polls_left"] > 0:
                media["_polls_left"] -= 1
                return web.json_response(self._public(media), status=206)
            media["url"] = f"{self.url}/media/{media['id']}"
        return web.json_response(self._public(media))

    @staticmethod
    def _public(media: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in media.items() if not k.startswith("_")}

    # --- accounts, instance, OAuth -----------------------------------------------------------

    async def _verify_credentials(self, request: web.Request) -> web.Response:
        if self._token_of(request) is None:
            return self._unauthorized()
        return web.json_response({**self._account(), "source": {"privacy": "public"}})

    async def _instance(self, request: web.Request) -> web.Response:
        statuses = {"max_characters": self.max_characters, "max_media_attachments": 4}
        statuses["characters_reserved_per_url"] = 23
        media = {"supported_mime_types": ["image/jpeg", "image/png", "image/gif", "video/mp4"]}
        media.update(image_size_limit=16 * 2**20, video_size_limit=99 * 2**20)
        config = {"statuses": statuses, "media_attachments": media}
        return web.json_response(
            {"domain": "127.0.0.1", "title": "Fake", "version": "4.5.0", "configuration": config}
        )

    async def _create_app(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"id": "563419", "name": "Outpost", "scopes": ["read", "write"],
             "client_id": "fake-client-id", "client_secret": "fake-client-secret",
             "redirect_uri": "urn:ietf:wg:oauth:2.0:oob"}
        )  # fmt: skip

    async def _token(self, request: web.Request) -> web.Response:
        token = "good-token"
        self.tokens.add(token)
        return web.json_response(
            {"access_token": token, "token_type": "Bearer", "scope": "read write",
             "created_at": int(time.time())}
        )  # fmt: skip


if __name__ == "__main__":
    run_main(FakeMastodon())
