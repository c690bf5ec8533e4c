"""Which language a chat is answered in: the chat's setting, else its workspace's, else the
language of the message."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from core.i18n import LANGUAGES
from scheduler.reader.lang import detect
from scheduler.runtime import Runtime

AUTO = "auto"


def chat_key(platform: str, team_id: str, origin: Mapping[str, Any]) -> str | None:
    """The chat a setting such as ``language es`` belongs to: a Slack channel or DM
    (``slack:T1:C1``), a Telegram chat (``telegram:42:42``); ``None`` when none is named."""
    where = origin.get("channel") or origin.get("chat_id")
    return f"{platform}:{team_id}:{where}" if where else None


def detected(text: str) -> str:
    """The language of a request, guessed as the reader does: from the words before the colon."""
    return detect(text.partition(":")[0])


async def chosen(rt: Runtime, workspace_id: uuid.UUID, chat: str | None = None) -> str | None:
    """``chat``'s language setting, else the workspace's, or ``None``: each message's own."""
    return await rt.workspaces.language(workspace_id, chat)


async def chat_language(rt: Runtime, workspace: str, chat: str | None) -> str | None:
    """Like ``chosen``, by the workspace's name, for answers that come before (or without)
    knowing who wrote: error reports."""
    return await rt.workspaces.language_named(workspace, chat)


async def set_language(
    rt: Runtime, workspace_id: uuid.UUID, code: str, chat: str | None = None
) -> str | None:
    """Set ``code`` (or ``auto``: clear the setting) for ``chat``, or for the whole workspace
    when ``chat`` is ``None``; returns the code, or ``None`` for ``auto``.

    Raises ``ValueError`` for a language Outpost does not speak.
    """
    code = code.strip().lower()
    if code != AUTO and code not in LANGUAGES:
        raise ValueError(code)
    language = None if code == AUTO else code
    if chat is None:
        await rt.workspaces.set_language(workspace_id, language)
    else:
        await rt.workspaces.set_chat_language(workspace_id, chat, language)
    return language
