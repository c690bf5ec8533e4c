"""A fake Telegram Bot API: the 15 methods of ``specs/telegram/bot-api.json`` and file downloads.

``/bot<token>/<method>`` takes JSON, form or multipart parameters (form values JSON-encoded, as
python-telegram-bot sends them), rejects unknown methods and missing required fields, and
answers ``{"ok": true, "result": ...}`` with objects that carry every required field of their
type in the spec. Errors are ``{"ok": false, "error_code", "description", "parameters"}``.
``/file/bot<token>/<path>`` serves files registered with ``add_file``. Every call is recorded.

Run alone with ``python -m tests.fakes.telegram --port N``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import os
import time
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

from aiohttp import web

from tests.fakes.base import RECORDED, FakeServer, run_main

SPEC = Path(os.environ.get("OUTPOST_SPECS", "/work/shared/specs")) / "telegram" / "bot-api.json"
TOKEN = "123456:TEST-bot-token_abcdefghijklmnopqrstuv"
BOT_ID = 123456
BOT_USERNAME = "OutpostTestBot"
MAX_DOWNLOAD = 20 * 1024 * 1024
SENDS = frozenset({"sendMessage", "sendPhoto", "sendVideo", "sendDocument", "sendMediaGroup"})
_DEFAULTS: dict[str, Any] = {"Integer": 0, "String": "", "Boolean": False, "Float": 0.0}


@cache
def spec() -> dict[str, Any]:
    """The trimmed Bot API spec."""
    loaded: dict[str, Any] = json.loads(SPEC.read_text())
    return loaded


def complete(type_name: str, value: dict[str, Any]) -> dict[str, Any]:
    """``value`` with every required field of ``type_name`` present (defaults where missing)."""
    kind = spec()["types"].get(type_name, {})
    out = dict(value)
    for field in kind.get("fields", []):
        name = field["name"]
        if name in out:
            child = field["types"][0]
            if isinstance(out[name], dict) and child in spec()["types"]:
                out[name] = complete(child, out[name])
            continue
        if field["required"]:
            first = field["types"][0]
            if first.startswith("Array of"):
                out[name] = []
            elif first in _DEFAULTS:
                out[name] = _DEFAULTS[first]
            else:
                out[name] = complete(first, {})
    return out


def _decode(value: Any) -> Any:
    """Form values arrive JSON-encoded unless they are plain strings."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text[:1] in "[{" or text in ("true", "false") or text.lstrip("-").isdigit():
        try:
            return json.loads(text)
        except ValueError:
            return value
    return value


class FakeTelegram(FakeServer):
    """One bot (``TOKEN``), its chats, members, files and everything it was asked to do."""

    name = "telegram"
    error_bodies: ClassVar[dict[str, tuple[int, dict[str, Any]]]] = {
        "400": (400, {"ok": False, "error_code": 400, "description": "Bad Request: message is too long"}),  # noqa: E501
        "401": (401, {"ok": False, "error_code": 401, "description": "Unauthorized"}),
        "403": (403, {"ok": False, "error_code": 403,
                      "description": "Forbidden: bot was kicked from the channel chat"}),
        "422": (400, {"ok": False, "error_code": 400, "description": "Bad Request: wrong file"}),
        "500": (500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}),
        "503": (503, {"ok": False, "error_code": 503, "description": "Service Unavailable"}),
    }  # fmt: skip

    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed)
        self.token = TOKEN
        self.chats: dict[str, dict[str, Any]] = {}
        self.members: dict[tuple[int, int], str] = {}
        self.files: dict[str, tuple[str, bytes, int]] = {}
        self.sent: list[dict[str, Any]] = []
        self.webhook: dict[str, Any] = {}
        self.updates: list[dict[str, Any]] = []
        self._message_ids = itertools.count(1000)
        self._file_ids = itertools.count(1)

    # --- set-up ----------------------------------------------------------------------------

    def add_chat(
        self, chat_id: int, kind: str = "private", *, title: str = "", username: str = ""
    ) -> dict[str, Any]:
        """Register a chat (private, group, supergroup, channel) getChat can answer for."""
        chat: dict[str, Any] = {"id": chat_id, "type": kind}
        if title:
            chat["title"] = title
        if username:
            chat["username"] = username
            self.chats["@" + username.lower()] = chat
        self.chats[str(chat_id)] = chat
        return chat

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        """``creator``, ``administrator``, ``member``, ``restricted``, ``left`` or ``kicked``."""
        self.members[(chat_id, user_id)] = status

    def add_file(self, data: bytes, *, size: int | None = None, name: str = "photo.jpg") -> str:
        """Register a downloadable file; returns its file_id. ``size`` can claim more bytes."""
        n = next(self._file_ids)
        file_id = f"FILE-{n}"
        self.files[file_id] = (f"photos/file_{n}_{name}", data, len(data) if size is None else size)
        return file_id

    def created_keys(self) -> list[str]:
        """Telegram takes no idempotency key: the text or caption of each post stands in."""
        return [m["_text"] for m in self.sent if m["_method"] in SENDS and m["_channel"]]

    def calls(self, method: str) -> list[dict[str, Any]]:
        """The decoded parameters of every call of ``method``, in order."""
        return [self.params(r) for r in self.requests if r.path.endswith("/" + method)]

    def reset(self) -> None:
        """Forget calls and messages (chats, members and files stay)."""
        super().reset()
        self.sent.clear()

    # --- routes ----------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/bot{token}/{method}", self._method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)

    @staticmethod
    def params(rec: Any) -> dict[str, Any]:
        """A recorded request's parameters, decoded."""
        raw = rec.json if isinstance(rec.json, dict) else (rec.form or {})
        if not raw and rec.query:
            raw = rec.query
        return {k: _decode(v) for k, v in raw.items()}

    def fail(self, code: int, description: str, retry_after: int | None = None) -> web.Response:
        """An error in the Bot API's shape."""
        body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        return web.json_response(body, status=code)

    def error(
        self, status: int, message: str, headers: dict[str, str] | None = None
    ) -> web.Response:
        return self.fail(status, message)

    def rate_limit_response(self, until: float) -> web.Response:
        wait = max(1, math.ceil(until - time.time()))
        return self.fail(429, f"Too Many Requests: retry after {wait}", wait)

    @staticmethod
    def ok(result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})

    async def _method(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return self.fail(401, "Unauthorized")
        name = request.match_info["method"]
        method = spec()["methods"].get(name)
        if method is None:
            return self.fail(404, "Not Found")
        params = self.params(request[RECORDED])
        for field in method.get("fields", []):
            if field["required"] and params.get(field["name"]) in (None, ""):
                return self.fail(400, f"Bad Request: {field['name']} is empty")
        handler = getattr(self, "_" + name)
        if name in SENDS:
            return await self.create_call(request, lambda: handler(params))
        result: web.StreamResponse = await handler(params)
        return result

    async def _download(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.Response(status=404, text="Not Found")
        for path, data, _ in self.files.values():
            if path == request.match_info["path"]:
                return web.Response(body=data, content_type="application/octet-stream")
        return web.Response(status=404, text="Not Found")

    # --- objects ---------------------------------------------------------------------------

    def me(self) -> dict[str, Any]:
        return complete("User", {"id": BOT_ID, "is_bot": True, "first_name": "Outpost",
                                 "username": BOT_USERNAME, "can_join_groups": True})  # fmt: skip

    def _chat(self, chat_id: Any) -> dict[str, Any] | None:
        return self.chats.get(str(chat_id).lower())

    def _message(self, params: dict[str, Any], method: str, **body: Any) -> dict[str, Any]:
        chat = self._chat(params["chat_id"]) or {"id": int(params["chat_id"]), "type": "private"}
        message = complete("Message", {
            "message_id": next(self._message_ids), "date": int(time.time()),
            "chat": chat, "from": self.me(), **body,
        })  # fmt: skip
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            message["reply_to_message"] = complete(
                "Message", {"message_id": reply.get("message_id"), "chat": chat}
            )
        if isinstance(params.get("reply_markup"), dict):
            message["reply_markup"] = params["reply_markup"]
        text = body.get("text", body.get("caption", ""))
        record = {"_method": method, "_text": text, "_channel": chat.get("type") == "channel"}
        self.sent.append({**record, **message, "params": params})
        return message

    def _attachment(self, kind: str, params: dict[str, Any], key: str) -> dict[str, Any]:
        ref = str(params.get(key, ""))
        n = next(self._file_ids)
        base = {"file_id": f"SENT-{n}", "file_unique_id": f"U{n}", "file_size": 1}
        if not ref.startswith("attach://") and ref in self.files:
            base["file_id"] = ref
        if kind == "photo":
            return {"photo": [complete("PhotoSize", {**base, "width": 1, "height": 1})]}
        return {kind: complete(kind.capitalize(), base)}

    # --- methods ---------------------------------------------------------------------------

    async def _getMe(self, params: dict[str, Any]) -> web.Response:
        return self.ok(self.me())

    async def _setWebhook(self, params: dict[str, Any]) -> web.Response:
        secret = str(params.get("secret_token", ""))
        if secret and not all(c.isalnum() or c in "_-" for c in secret):
            return self.fail(400, "Bad Request: secret token contains unallowed characters")
        self.webhook = dict(params)
        return self.ok(True)

    async def _deleteWebhook(self, params: dict[str, Any]) -> web.Response:
        self.webhook = {}
        return self.ok(True)

    async def _getUpdates(self, params: dict[str, Any]) -> web.Response:
        offset = int(params.get("offset") or 0)
        self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if not self.updates:
            # A long poll: hold the request a little instead of letting the client spin.
            await asyncio.sleep(min(float(params.get("timeout") or 0), 0.2))
        return self.ok(list(self.updates))

    async def _sendMessage(self, params: dict[str, Any]) -> web.Response:
        text = str(params["text"])
        if len(text) > 4096:
            return self.fail(400, "Bad Request: message is too long")
        return self.ok(self._message(params, "sendMessage", text=text))

    async def _send_media(self, params: dict[str, Any], kind: str, method: str) -> web.Response:
        caption = str(params.get("caption") or "")
        if len(caption) > 1024:
            return self.fail(400, "Bad Request: message caption is too long")
        body = self._attachment(kind, params, kind)
        if caption:
            body["caption"] = caption
        return self.ok(self._message(params, method, **body))

    async def _sendPhoto(self, params: dict[str, Any]) -> web.Response:
        return await self._send_media(params, "photo", "sendPhoto")

    async def _sendVideo(self, params: dict[str, Any]) -> web.Response:
        return await self._send_media(params, "video", "sendVideo")

    async def _sendDocument(self, params: dict[str, Any]) -> web.Response:
        return await self._send_media(params, "document", "sendDocument")

    async def _sendMediaGroup(self, params: dict[str, Any]) -> web.Response:
        media = params["media"]
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            return self.fail(400, "Bad Request: wrong number of media in the album")
        messages = []
        for item in media:
            kind = str(item.get("type", ""))
            if kind not in ("photo", "video", "document"):
                return self.fail(400, "Bad Request: unsupported media type in the album")
            body = self._attachment(kind, item, "media")
            if item.get("caption"):
                if len(str(item["caption"])) > 1024:
                    return self.fail(400, "Bad Request: message caption is too long")
                body["caption"] = item["caption"]
            body["media_group_id"] = "ALBUM-1"
            messages.append(self._message(params, "sendMediaGroup", **body))
        return self.ok(messages)

    async def _getFile(self, params: dict[str, Any]) -> web.Response:
        found = self.files.get(str(params["file_id"]))
        if found is None:
            return self.fail(400, "Bad Request: invalid file_id")
        path, _, size = found
        if size > MAX_DOWNLOAD:
            return self.fail(400, "Bad Request: file is too big")
        return self.ok(complete("File", {
            "file_id": params["file_id"], "file_unique_id": "U" + str(params["file_id"]),
            "file_size": size, "file_path": path,
        }))  # fmt: skip

    async def _getChat(self, params: dict[str, Any]) -> web.Response:
        chat = self._chat(params["chat_id"])
        if chat is None:
            return self.fail(400, "Bad Request: chat not found")
        return self.ok(complete("ChatFullInfo", chat))

    async def _getChatMember(self, params: dict[str, Any]) -> web.Response:
        chat = self._chat(params["chat_id"])
        if chat is None:
            return self.fail(400, "Bad Request: chat not found")
        user_id = int(params["user_id"])
        status = self.members.get((int(chat["id"]), user_id), "left")
        kinds = {"creator": "ChatMemberOwner", "administrator": "ChatMemberAdministrator",
                 "member": "ChatMemberMember", "restricted": "ChatMemberRestricted",
                 "left": "ChatMemberLeft", "kicked": "ChatMemberBanned"}  # fmt: skip
        user = (
            self.me()
            if user_id == BOT_ID
            else complete("User", {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"})
        )
        member = complete(kinds[status], {"status": status, "user": user})
        if status == "administrator":
            member["can_post_messages"] = True
        return self.ok(member)

    async def _answerCallbackQuery(self, params: dict[str, Any]) -> web.Response:
        return self.ok(True)

    async def _editMessageText(self, params: dict[str, Any]) -> web.Response:
        if params.get("text") in (None, ""):
            return self.fail(400, "Bad Request: text is empty")
        chat = self._chat(params.get("chat_id")) or {"id": params.get("chat_id"), "type": "private"}
        return self.ok(complete("Message", {
            "message_id": params.get("message_id"), "date": int(time.time()), "chat": chat,
            "text": params["text"],
        }))  # fmt: skip

    async def _deleteMessage(self, params: dict[str, Any]) -> web.Response:
        return self.ok(True)


if __name__ == "__main__":
    run_main(FakeTelegram())
