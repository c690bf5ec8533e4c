"""A fake Slack Web API: methods answer ``{"ok": true, ...}`` or ``{"ok": false, "error"}``.

Required parameters come from ``specs/slack/web-api.json``; methods the frozen spec lacks
(``files.getUploadURLExternal``, ``files.completeUploadExternal``, ``oauth.v2.access``,
``conversations.history``) follow Slack's method docs. Every call is recorded; ``calls(m)``
gives the parameters of each call to method ``m``. Private file downloads check the bot
token, and ``/response/{id}`` plays a slash command's ``response_url``.

Channel publishing follows Slack's docs as read on 2026-12-07:

- "Rate limits" (docs.slack.dev/apis/web-api/rate-limits) and the changelog "Rate limit
  changes for non-Marketplace apps" (2025-05-29): an app distributed outside the Marketplace
  (an OAuth install, here any token ``oauth.v2.access`` gave out or ``add_install`` made)
  gets one ``conversations.history`` call per minute per workspace and at most 15 messages;
  a second call within the minute is HTTP 429 ``ratelimited`` with ``Retry-After``.
  Single-workspace (internal) apps keep Tier 3.
- ``chat.postMessage`` takes a channel ID or a ``#name`` and answers with the channel's ID;
  ``files.completeUploadExternal``'s ``channel_id`` must be an ID: a name is
  ``invalid_channel``, an unknown ID ``channel_not_found``.
- ``conversations.info`` takes a channel ID and answers ``{"ok": true, "channel": {...}}``,
  else ``channel_not_found`` (specs/slack/web-api.json).
- ``files.getUploadURLExternal`` takes ``alt_txt`` (the image description), at most 1000
  characters, else ``alt_txt_too_large``.
Run alone with ``python -m tests.fakes.slack --port N``.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import re
import time
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

from aiohttp import web

from tests.fakes.base import RECORDED, FakeServer, Recorded, run_main

SPEC = Path(os.environ.get("OUTPOST_SPECS", "/work/shared/specs")) / "slack" / "web-api.json"
EXTRA_REQUIRED = {
    "files.getUploadURLExternal": ("filename", "length"),
    "files.completeUploadExternal": ("files",),
    "oauth.v2.access": ("code",),
    "conversations.history": ("channel",),
}
# Methods that create a message, wrapped with the base class's faults and rate limits.
CREATING = frozenset({"chat.postMessage"})
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")
# Non-Marketplace apps: conversations.history once a minute, at most 15 messages.
UNLISTED_HISTORY_SECONDS = 60.0
UNLISTED_HISTORY_LIMIT = 15
MAX_ALT_TXT = 1000


@cache
def required_params() -> dict[str, tuple[str, ...]]:
    """Each method's required parameters (``token`` aside) from the spec."""
    spec = json.loads(SPEC.read_text())
    out: dict[str, tuple[str, ...]] = dict(EXTRA_REQUIRED)
    for path, ops in spec["paths"].items():
        for op in ops.values():
            out[path.lstrip("/")] = tuple(
                p["name"]
                for p in op.get("parameters", [])
                if p.get("required") and p["name"] != "token"
            )
    return out


def ok(**fields: Any) -> web.Response:
    """A successful answer."""
    return web.json_response({"ok": True, **fields})


def fail(error: str, **fields: Any) -> web.Response:
    """Slack's failure: HTTP 200 with ``ok: false``."""
    return web.json_response({"ok": False, "error": error, **fields})


class FakeSlack(FakeServer):
    """One Slack org: tokens, users, channels' messages, files, OAuth codes."""

    name = "slack"
    error_bodies: ClassVar[dict[str, tuple[int, dict[str, Any]]]] = {
        "400": (200, {"ok": False, "error": "msg_too_long"}),
        "401": (200, {"ok": False, "error": "invalid_auth"}),
        "403": (200, {"ok": False, "error": "not_in_channel"}),
        "422": (200, {"ok": False, "error": "invalid_blocks"}),
        "500": (500, {"ok": False, "error": "internal_error"}),
        "503": (503, {"ok": False, "error": "service_unavailable"}),
    }

    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed)
        self.tokens: dict[str, str] = {"xoxb-good": "T0001"}
        self.client_id, self.client_secret = "111.222", "client-secret"
        self.codes: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.messages: list[dict[str, Any]] = []
        self.ephemeral: list[dict[str, Any]] = []
        self.files: dict[str, dict[str, Any]] = {}
        self.uploads: dict[str, bytes] = {}
        self.responses: list[dict[str, Any]] = []
        self.invalid: list[str] = []
        # Channel IDs and names, for "#name" in chat.postMessage.
        self.channels: dict[str, str] = {"C0LAUNCHES": "launches"}
        # Tokens of installs distributed outside the Marketplace (OAuth), and when each team
        # last called conversations.history.
        self.unlisted: set[str] = set()
        self.history_at: dict[str, float] = {}
        self.refusals: dict[str, str] = {}  # method -> error code answered once
        self._ids = itertools.count(1)

    # --- test helpers ----------------------------------------------------------------------

    def api_url(self) -> str:
        """The Web API base, for ``SLACK_API_URL``."""
        return self.url + "/api/"

    def calls(self, method: str) -> list[dict[str, Any]]:
        """Parameters of each call to ``method``, in order."""
        return [params(r) for r in self.requests if r.path == f"/api/{method}"]

    def add_user(self, user_id: str, team_id: str = "T0001", tz: str = "Europe/Berlin") -> None:
        """A member ``users.info`` knows, with a time zone."""
        self.users[user_id] = {
            "id": user_id,
            "team_id": team_id,
            "name": user_id.lower(),
            "real_name": f"User {user_id}",
            "tz": tz,
            "tz_label": tz,
            "tz_offset": 3600,
            "is_bot": False,
            "deleted": False,
        }

    def add_file(
        self, name: str, data: bytes, mimetype: str, size: int | None = None
    ) -> dict[str, Any]:
        """A file shared in Slack; returns the object events carry."""
        file_id = f"F{next(self._ids):09d}"
        path = f"/files-pri/T0001-{file_id}/download/{name}"
        public = {
            "id": file_id,
            "name": name,
            "title": name,
            "mimetype": mimetype,
            "filetype": name.rsplit(".", 1)[-1],
            "size": len(data) if size is None else size,
            "url_private": self.url + path,
            "url_private_download": self.url + path,
        }
        self.files[file_id] = {**public, "_data": data, "_path": path}
        return public

    def add_install(self, token: str, team_id: str) -> None:
        """A bot token from an OAuth install outside the Marketplace (the stricter limits)."""
        self.tokens[token] = team_id
        self.unlisted.add(token)

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """Replies in the thread under ``ts``."""
        return [m for m in self.messages if m["channel"] == channel and m.get("thread_ts") == ts]

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        """A message as it is now (after updates)."""
        return next(m for m in self.messages if m["channel"] == channel and m["ts"] == ts)

    def created_keys(self) -> list[str]:
        """The Outpost idempotency key in each message's metadata ("" when none)."""
        return [
            str(((m.get("metadata") or {}).get("event_payload") or {}).get("key", ""))
            for m in self.messages
            if m.get("thread_ts") is None
        ]

    def reset(self) -> None:
        """Forget messages and recordings."""
        super().reset()
        for store in (self.messages, self.ephemeral, self.responses, self.invalid):
            store.clear()
        self.uploads.clear()
        self.history_at.clear()

    # --- plumbing --------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        """``/api/{method}``, private file downloads, upload URLs and response URLs."""
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_get("/files-pri/{team_file}/download/{name}", self._download)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_post("/response/{id}", self._response)

    def rate_limit_response(self, until: float) -> web.Response:
        """Slack's 429: ``Retry-After`` in seconds."""
        wait = max(1, round(until - time.time()))
        return web.json_response(
            {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(wait)}
        )

    def _ts(self) -> str:
        return f"{int(time.time())}.{next(self._ids):06d}"

    @staticmethod
    def _token(request: web.Request, args: dict[str, Any]) -> str:
        auth = request.headers.get("Authorization", "")
        return auth[7:] if auth.startswith("Bearer ") else str(args.get("token", ""))

    def _team(self, request: web.Request, args: dict[str, Any]) -> str | None:
        return self.tokens.get(self._token(request, args))

    def _channel_id(self, given: str) -> str | None:
        """The ID ``chat.postMessage`` resolves ``given`` (an ID or a ``#name``) to."""
        name = given.removeprefix("#")
        if not given.startswith("#") and name not in self.channels.values():
            return given  # an ID (channel, DM or user), passed through as Slack does
        return next((cid for cid, known in self.channels.items() if known == name), None)

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        args = params(request[RECORDED])
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return fail("unknown_method")
        missing = [p for p in required_params().get(method, ()) if p not in args]
        if missing:
            self.invalid.append(f"{method}: missing {', '.join(missing)}")
            return fail(
                "invalid_arguments",
                response_metadata={
                    "messages": [f"[ERROR] missing required field: {m}" for m in missing]
                },
            )
        if method == "oauth.v2.access":
            return await self._m_oauth_v2_access(request, args)
        team = self._team(request, args)
        if team is None:
            return fail(
                "not_authed" if not request.headers.get("Authorization") else "invalid_auth"
            )
        if "blocks" in args and not _blocks_ok(args["blocks"]):
            self.invalid.append(f"{method}: invalid blocks")
            return fail("invalid_blocks")
        if method in self.refusals:
            return fail(self.refusals.pop(method))
        if method == "conversations.history":
            return self._history(team, args, self._token(request, args) in self.unlisted)
        if method in CREATING:
            return await self.create_call(request, lambda: handler(team, args))
        answer: web.StreamResponse = await handler(team, args)
        return answer

    # --- methods ---------------------------------------------------------------------------

    async def _m_auth_test(self, team: str, args: dict[str, Any]) -> web.Response:
        return ok(
            url=f"{self.url}/",
            team="Acme",
            user="outpost",
            team_id=team,
            user_id="UBOT00001",
            bot_id="BBOT00001",
            is_enterprise_install=False,
        )

    async def _m_conversations_info(self, team: str, args: dict[str, Any]) -> web.Response:
        # Takes a conversation ID (specs/slack/web-api.json); a name or an unknown ID is
        # ``channel_not_found``, the spec's typical error.
        channel = str(args.get("channel") or "")
        if channel not in self.channels:
            return fail("channel_not_found")
        name = self.channels[channel]
        return ok(channel={"id": channel, "name": name, "name_normalized": name,
                           "is_channel": True, "is_archived": False, "is_member": True,
                           "is_private": False})  # fmt: skip

    async def _m_chat_postMessage(self, team: str, args: dict[str, Any]) -> web.Response:
        if not args.get("text") and not args.get("blocks"):
            return fail("no_text")
        channel = self._channel_id(str(args["channel"])) or ""
        if not channel or channel.startswith("CMISSING"):
            return fail("channel_not_found")
        message = {
            "channel": channel,
            "ts": self._ts(),
            "text": args.get("text", ""),
            "blocks": _json(args.get("blocks")) or [],
            "thread_ts": args.get("thread_ts"),
            "metadata": _json(args.get("metadata")),
            "team": team,
            "files": [],
        }
        self.messages.append(message)
        return ok(channel=channel, ts=message["ts"], message=_public(message))

    async def _m_chat_update(self, team: str, args: dict[str, Any]) -> web.Response:
        for message in self.messages:
            if message["channel"] == args["channel"] and message["ts"] == args["ts"]:
                message["text"] = args.get("text", message["text"])
                message["blocks"] = _json(args.get("blocks")) or message["blocks"]
                return ok(channel=message["channel"], ts=message["ts"], text=message["text"])
        return fail("message_not_found")

    async def _m_chat_postEphemeral(self, team: str, args: dict[str, Any]) -> web.Response:
        entry = {
            "channel": args["channel"],
            "user": args["user"],
            "text": args.get("text", ""),
            "blocks": _json(args.get("blocks")) or [],
            "thread_ts": args.get("thread_ts"),
        }
        self.ephemeral.append(entry)
        return ok(message_ts=self._ts())

    async def _m_chat_getPermalink(self, team: str, args: dict[str, Any]) -> web.Response:
        channel, ts = str(args["channel"]), str(args["message_ts"])
        if not any(m["channel"] == channel and m["ts"] == ts for m in self.messages):
            return fail("message_not_found")
        return ok(
            channel=channel, permalink=f"{self.url}/archives/{channel}/p{ts.replace('.', '')}"
        )

    async def _m_users_info(self, team: str, args: dict[str, Any]) -> web.Response:
        user = self.users.get(str(args.get("user", "")))
        return ok(user=user) if user else fail("user_not_found")

    async def _m_views_open(self, team: str, args: dict[str, Any]) -> web.Response:
        view = _json(args["view"])
        if not isinstance(view, dict) or view.get("type") != "modal":
            return fail("invalid_arguments")
        return ok(view={**view, "id": f"V{next(self._ids):09d}", "team_id": team})

    async def _m_files_info(self, team: str, args: dict[str, Any]) -> web.Response:
        found = self.files.get(str(args.get("file", "")))
        if found is None:
            return fail("file_not_found")
        return ok(file={k: v for k, v in found.items() if not k.startswith("_")})

    async def _m_files_getUploadURLExternal(self, team: str, args: dict[str, Any]) -> web.Response:
        if len(str(args.get("alt_txt", ""))) > MAX_ALT_TXT:
            return fail("alt_txt_too_large")
        file_id = f"F{next(self._ids):09d}"
        self.files[file_id] = {
            "id": file_id,
            "name": args["filename"],
            "size": int(args["length"]),
            "alt_txt": str(args.get("alt_txt", "")),
            "_pending": True,
        }
        return ok(upload_url=f"{self.url}/upload/{file_id}", file_id=file_id)

    async def _m_files_completeUploadExternal(
        self, team: str, args: dict[str, Any]
    ) -> web.Response:
        entries = _json(args["files"]) or []
        channel_id = str(args.get("channel_id") or "")
        if channel_id and not CHANNEL_ID.match(channel_id):
            return fail("invalid_channel")
        if channel_id.startswith("CMISSING"):
            return fail("channel_not_found")
        done = []
        for entry in entries:
            found = self.files.get(str(entry.get("id")))
            if found is None or entry["id"] not in self.uploads:
                return fail("file_not_found")
            found.pop("_pending", None)
            done.append({"id": entry["id"], "title": entry.get("title", found["name"])})
        if args.get("channel_id"):
            self.messages.append(
                {
                    "channel": args["channel_id"],
                    "ts": self._ts(),
                    "text": args.get("initial_comment", ""),
                    "blocks": [],
                    "thread_ts": args.get("thread_ts"),
                    "metadata": None,
                    "team": team,
                    "files": [d["id"] for d in done],
                }
            )
        return ok(files=done)

    async def _m_conversations_history(self, team: str, args: dict[str, Any]) -> web.Response:
        return self._history(team, args, unlisted=False)

    def _history(self, team: str, args: dict[str, Any], unlisted: bool) -> web.Response:
        limit = int(args.get("limit", 100))
        if unlisted:
            now = time.time()
            last = self.history_at.get(team)
            if last is not None and now - last < UNLISTED_HISTORY_SECONDS:
                wait = max(1, round(UNLISTED_HISTORY_SECONDS - (now - last)))
                return web.json_response(
                    {"ok": False, "error": "ratelimited"},
                    status=429,
                    headers={"Retry-After": str(wait)},
                )
            self.history_at[team] = now
            limit = min(limit, UNLISTED_HISTORY_LIMIT)
        oldest = float(args.get("oldest", 0) or 0)
        found = [
            _public(m, bool(args.get("include_all_metadata")))
            for m in reversed(self.messages)
            if m["channel"] == args["channel"]
            and m.get("thread_ts") is None
            and float(m["ts"]) >= oldest
        ]
        return ok(messages=found[:limit], has_more=len(found) > limit)

    async def _m_oauth_v2_access(self, request: web.Request, args: dict[str, Any]) -> web.Response:
        auth = request.headers.get("Authorization", "")
        pair = base64.b64decode(auth[6:]).decode() if auth.startswith("Basic ") else ""
        given = (args.get("client_id"), args.get("client_secret"))
        if pair != f"{self.client_id}:{self.client_secret}" and given != (
            self.client_id,
            self.client_secret,
        ):
            return fail("invalid_client_id")
        grant = self.codes.pop(str(args["code"]), None)
        if grant is None:
            return fail("invalid_code")
        self.add_install(grant["access_token"], grant["team"]["id"])
        return ok(**grant)

    def add_code(self, code: str, team_id: str, token: str, user_id: str = "UINSTALL1") -> None:
        """An OAuth code that ``oauth.v2.access`` exchanges for a bot token of ``team_id``."""
        self.codes[code] = {
            "app_id": "A0OUTPOST",
            "authed_user": {"id": user_id},
            "scope": "commands,chat:write",
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": "UBOT00002",
            "team": {"id": team_id, "name": "Beta"},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    # --- files and response URLs -----------------------------------------------------------

    async def _download(self, request: web.Request) -> web.StreamResponse:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            # Slack answers a browser login page, not an error code.
            return web.Response(text="<html>Sign in to Slack</html>", content_type="text/html")
        for found in self.files.values():
            if found.get("_path") == request.path:
                return web.Response(body=found["_data"], content_type=found["mimetype"])
        return web.Response(status=404, text="not found")

    async def _upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        if file_id not in self.files:
            return web.Response(status=404, text="not found")
        self.uploads[file_id] = request[RECORDED].body
        return web.Response(text=f"OK - {len(self.uploads[file_id])}")

    async def _response(self, request: web.Request) -> web.Response:
        body = request[RECORDED].json or {}
        self.responses.append({"id": request.match_info["id"], **body})
        return web.Response(text="ok")


def params(rec: Recorded) -> dict[str, Any]:
    """A call's parameters, from the query, a form or a JSON body."""
    out: dict[str, Any] = dict(rec.query)
    if isinstance(rec.form, dict):
        out.update(rec.form)
    if isinstance(rec.json, dict):
        out.update(rec.json)
    return out


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _blocks_ok(value: Any) -> bool:
    blocks = _json(value)
    return isinstance(blocks, list) and all(isinstance(b, dict) and "type" in b for b in blocks)


def _public(message: dict[str, Any], with_metadata: bool = False) -> dict[str, Any]:
    out = {
        "type": "message",
        "ts": message["ts"],
        "text": message["text"],
        "blocks": message["blocks"],
        "bot_id": "BBOT00001",
    }
    if with_metadata and message.get("metadata"):
        out["metadata"] = message["metadata"]
    return out


if __name__ == "__main__":
    run_main(FakeSlack())
