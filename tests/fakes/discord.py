"""A fake Discord webhook API: execute (JSON or multipart with ``payload_json``), get, messages.

Serves ``/api/webhooks/{id}/{token}`` and ``/api/v10/webhooks/{id}/{token}``. The execute body
is checked against the spec's ``IncomingWebhookRequestPartial`` (content at most 2000,
an attachment's ``description`` (alt text) at most 1024, ...).

File size, from Discord's API reference "Uploading Files" and the help article "File Upload
Limit" (support.discord.com), read 2026-12-07: each file may be 10 MiB in a server without
boosts (50 MiB at boost level 2, 100 MiB at level 3); a larger one is refused with 413
``{"message": "Request entity too large", "code": 40005}``. ``upload_limit`` sets the level.

Run alone with ``python -m tests.fakes.discord --port N``.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import jsonschema
from aiohttp import web

from tests.fakes.base import RECORDED, FakeServer, run_main

SPEC = Path(os.environ.get("OUTPOST_SPECS", "/work/shared/specs")) / "discord" / "openapi.json"
WEBHOOK_ID = "1300000000000000001"
GUILD_ID = "1100000000000000001"
CHANNEL_ID = "1200000000000000001"
UNBOOSTED_UPLOAD = 10 * 1024 * 1024


@cache
def execute_schema() -> dict[str, Any]:
    """The execute-webhook body schema, its refs resolvable against the spec."""
    spec = json.loads(SPEC.read_text())
    return {"$ref": "#/components/schemas/IncomingWebhookRequestPartial",
            "components": spec["components"]}  # fmt: skip


class FakeDiscord(FakeServer):
    """One channel webhook with one token."""

    name = "discord"
    error_bodies: ClassVar[dict[str, tuple[int, dict[str, Any]]]] = {
        "400": (400, {"message": "Cannot send an empty message", "code": 50006}),
        "401": (401, {"message": "Invalid Webhook Token", "code": 50027}),
        "403": (403, {"message": "Missing Permissions", "code": 50013}),
        "422": (400, {"message": "Invalid Form Body", "code": 50035,
                      "errors": {"content": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH",
                                 "message": "Must be 2000 or fewer in length."}]}}}),
        "500": (500, {"message": "500: Internal Server Error", "code": 0}),
        "503": (503, {"message": "upstream connect error", "code": 0}),
    }  # fmt: skip

    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed)
        self.token = "wh-secret-token"
        self.deleted = False
        self.upload_limit = UNBOOSTED_UPLOAD  # per file; raise it to play a boosted server
        self.messages: list[dict[str, Any]] = []
        self._ids = itertools.count(1)

    def webhook_path(self) -> str:
        """The path of the webhook URL, token included."""
        return f"/api/webhooks/{WEBHOOK_ID}/{self.token}"

    def created_keys(self) -> list[str]:
        """Webhooks take no idempotency key: each message's content stands in for it."""
        return [m["content"] for m in self.messages]

    def reset(self) -> None:
        """Forget messages and recordings."""
        super().reset()
        self.messages.clear()

    def state(self) -> dict[str, Any]:
        """Recording plus messages."""
        return {**super().state(), "messages": self.messages}

    def add_routes(self, app: web.Application) -> None:
        """Webhook routes, with and without the API version."""
        for prefix in ("/api", "/api/v10"):
            base = prefix + "/webhooks/{webhook_id}/{token}"
            app.router.add_post(base, self._execute)
            app.router.add_get(base, self._get_webhook)
            app.router.add_get(base + "/messages/{message_id}", self._get_message)

    def _rate_headers(self, reset_after: float = 1.0) -> dict[str, str]:
        return {"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "4",
                "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
                "X-RateLimit-Reset-After": f"{reset_after:.3f}",
                "X-RateLimit-Bucket": "b1c2d3e4f5"}  # fmt: skip

    def rate_limit_response(self, until: float) -> web.Response:
        """429 with a RatelimitedResponse body, Retry-After and the X-RateLimit headers."""
        after = max(0.0, until - time.time())
        headers = {**self._rate_headers(after), "X-RateLimit-Remaining": "0",
                   "Retry-After": str(int(after + 0.999)), "X-RateLimit-Scope": "user"}  # fmt: skip
        body = {"message": "You are being rate limited.", "retry_after": round(after, 3),
                "global": False, "code": 0}  # fmt: skip
        return web.json_response(body, status=429, headers=headers)

    def _check(self, request: web.Request) -> web.Response | None:
        if request.match_info["webhook_id"] != WEBHOOK_ID or self.deleted:
            return web.json_response({"message": "Unknown Webhook", "code": 10015}, status=404)
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"message": "Invalid Webhook Token", "code": 50027}, status=401
            )
        return None

    def _payload(self, request: web.Request) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        rec = request[RECORDED]
        if rec.form is not None:
            files = [v for k, v in rec.form.items() if k.startswith("files[")]
            raw = rec.form.get("payload_json")
            if isinstance(raw, bytes | bytearray):
                raw = raw.decode()
            return (json.loads(raw) if isinstance(raw, str) else {}), files
        return (rec.json if isinstance(rec.json, dict) else None), []

    async def _execute(self, request: web.Request) -> web.StreamResponse:
        refused = self._check(request)
        if refused is not None:
            return refused
        body, files = self._payload(request)
        if body is None:
            return web.json_response(
                {"message": "Cannot send an empty message", "code": 50006}, status=400
            )
        errors = [
            e.message for e in jsonschema.Draft202012Validator(execute_schema()).iter_errors(body)
        ]
        if errors:
            return web.json_response({"message": "Invalid Form Body", "code": 50035,
                                      "errors": {"_errors": errors}}, status=400)  # fmt: skip
        if not (body.get("content") or "").strip() and not files and not body.get("embeds"):
            return web.json_response(
                {"message": "Cannot send an empty message", "code": 50006}, status=400
            )
        if len(files) > 10 or any(f["size"] > self.upload_limit for f in files):
            return web.json_response(
                {"message": "Request entity too large", "code": 40005}, status=413
            )
        wait = request.query.get("wait", "false").lower() == "true"

        async def create() -> web.StreamResponse:
            message = self._message(body, files)
            self.messages.append(message)
            if not wait:
                return web.Response(status=204, headers=self._rate_headers())
            return web.json_response(message, headers=self._rate_headers())

        return await self.create_call(request, create)

    def _message(self, body: dict[str, Any], files: list[dict[str, Any]]) -> dict[str, Any]:
        message_id = str(((int(time.time() * 1000) - 1420070400000) << 22) + next(self._ids))
        described = {str(a.get("id")): a.get("description") for a in body.get("attachments") or []}
        attachments = [{"id": str(int(message_id) + n + 1), "filename": f["filename"],
                        "size": f["size"], "content_type": f["content_type"],
                        "url": f"{self.url}/attachments/{CHANNEL_ID}/{message_id}/{f['filename']}"}
                       | ({"description": described[str(n)]} if described.get(str(n)) else {})
                       for n, f in enumerate(files)]  # fmt: skip
        return {
            "id": message_id, "type": 0, "channel_id": CHANNEL_ID, "webhook_id": WEBHOOK_ID,
            "content": body.get("content") or "", "attachments": attachments, "embeds": [],
            "mentions": [], "mention_roles": [], "mention_everyone": False, "pinned": False,
            "tts": False, "flags": 0, "components": [],
            "timestamp": datetime.now(UTC).isoformat(), "edited_timestamp": None,
            "author": {"id": WEBHOOK_ID, "username": body.get("username") or "Outpost",
                       "discriminator": "0000", "avatar": None, "bot": True},
        }  # fmt: skip

    async def _get_webhook(self, request: web.Request) -> web.Response:
        refused = self._check(request)
        if refused is not None:
            return refused
        return web.json_response({
            "id": WEBHOOK_ID, "type": 1, "name": "Outpost", "avatar": None,
            "channel_id": CHANNEL_ID, "guild_id": GUILD_ID, "application_id": None,
            "token": self.token,
        }, headers=self._rate_headers())  # fmt: skip

    async def _get_message(self, request: web.Request) -> web.Response:
        refused = self._check(request)
        if refused is not None:
            return refused
        for message in self.messages:
            if message["id"] == request.match_info["message_id"]:
                return web.json_response(message)
        return web.json_response({"message": "Unknown Message", "code": 10008}, status=404)


if __name__ == "__main__":
    run_main(FakeDiscord())
