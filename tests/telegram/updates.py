"""Update JSON as Telegram sends it, and helpers to post it to the webhook and read replies."""

from __future__ import annotations

import itertools
import time
from typing import Any

from aiohttp.test_utils import TestClient

from scheduler.runtime import Runtime
from tests.fakes.telegram import FakeTelegram

SECRET = "webhook-Secret_123"
USER = 4242
OTHER = 5151
GROUP = -1001234567890


def user(uid: int = USER, first: str = "Ada") -> dict[str, Any]:
    return {"id": uid, "is_bot": False, "first_name": first, "username": f"user{uid}",
            "language_code": "en"}  # fmt: skip


def private(uid: int = USER) -> dict[str, Any]:
    return {"id": uid, "type": "private", "first_name": "Ada", "username": f"user{uid}"}


def group(chat_id: int = GROUP) -> dict[str, Any]:
    return {"id": chat_id, "type": "supergroup", "title": "Launch team"}


class Updates:
    """Numbers updates and messages like Telegram does."""

    def __init__(self) -> None:
        self._updates = itertools.count(700_000)
        self._messages = itertools.count(10)

    def message(
        self,
        *,
        text: str | None = None,
        caption: str | None = None,
        photo: tuple[str, int] | None = None,
        video: tuple[str, int] | None = None,
        album: str | None = None,
        chat: dict[str, Any] | None = None,
        sender: dict[str, Any] | None = None,
        kind: str = "message",
        message_id: int | None = None,
    ) -> dict[str, Any]:
        """An update carrying a message (or an ``edited_message``)."""
        body: dict[str, Any] = {
            "message_id": message_id or next(self._messages),
            "from": sender or user(),
            "chat": chat or private(),
            "date": int(time.time()),
        }
        if text is not None:
            body["text"] = text
            if text.startswith("/"):
                length = len(text.split(" ", 1)[0])
                body["entities"] = [{"offset": 0, "length": length, "type": "bot_command"}]
        if caption is not None:
            body["caption"] = caption
        if photo is not None:
            file_id, size = photo
            body["photo"] = [
                {"file_id": file_id + "-small", "file_unique_id": "s" + file_id, "width": 90,
                 "height": 67, "file_size": 900},
                {"file_id": file_id, "file_unique_id": "u" + file_id, "width": 32, "height": 24,
                 "file_size": size},
            ]  # fmt: skip
        if video is not None:
            file_id, size = video
            body["video"] = {"file_id": file_id, "file_unique_id": "u" + file_id, "width": 640,
                             "height": 360, "duration": 12, "mime_type": "video/mp4",
                             "file_size": size}  # fmt: skip
        if album is not None:
            body["media_group_id"] = album
        if kind == "edited_message":
            body["edit_date"] = int(time.time())
        return {"update_id": next(self._updates), kind: body}

    def press(
        self, data: str, message: dict[str, Any], sender: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A callback query on ``message`` (a message the bot sent)."""
        return {
            "update_id": next(self._updates),
            "callback_query": {
                "id": f"cb{next(self._messages)}",
                "from": sender or user(),
                "message": message,
                "chat_instance": "-8374",
                "data": data,
            },
        }


async def post(
    client: TestClient[Any, Any], update: dict[str, Any], secret: str | None = SECRET
) -> int:
    """Deliver ``update`` to the webhook as Telegram would; the HTTP status."""
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    resp = await client.post("/telegram/webhook", json=update, headers=headers)
    await resp.read()
    return resp.status


def replies(fake: FakeTelegram, chat_id: int | None = None) -> list[dict[str, Any]]:
    """Every sendMessage the bot made (to ``chat_id``), decoded."""
    calls = fake.calls("sendMessage")
    return [c for c in calls if chat_id is None or int(c["chat_id"]) == chat_id]


def sent_message(fake: FakeTelegram, needle: str) -> dict[str, Any]:
    """The message object the fake returned for the bot's message containing ``needle``."""
    for message in fake.sent:
        if needle in str(message.get("text", "")):
            return {k: v for k, v in message.items() if not k.startswith("_") and k != "params"}
    raise AssertionError(f"no sent message contains {needle!r}")


async def connect_mastodon(rt: Runtime, workspace: str, url: str) -> None:
    ws = await rt.workspaces.ensure(workspace)
    await rt.workspaces.add_account(
        ws.id, "mastodon", "@outpost@fake.social", rt.cipher.encrypt("good-token"), base_url=url
    )
