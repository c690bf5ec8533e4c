"""Which language a chat is answered in: its setting, else the language of the message."""

from __future__ import annotations

import uuid

from core.i18n import LANGUAGES
from scheduler.reader.lang import detect
from scheduler.runtime import Runtime

AUTO = "auto"


def detected(text: str) -> str:
    """The language of a request, guessed as the reader does: from the words before the colon."""
    return detect(text.partition(":")[0])


async def chosen(rt: Runtime, workspace_id: uuid.UUID) -> str | None:
    """The workspace's language setting, or ``None`` for the language of each message."""
    return await rt.workspaces.language(workspace_id)


async def set_language(rt: Runtime, workspace_id: uuid.UUID, code: str) -> str | None:
    """Set ``code`` (or ``auto``: each message's own); returns it, or ``None`` for ``auto``.

    Raises ``ValueError`` for a language Outpost does not speak.
    """
    code = code.strip().lower()
    if code == AUTO:
        await rt.workspaces.set_language(workspace_id, None)
        return None
    if code not in LANGUAGES:
        raise ValueError(code)
    await rt.workspaces.set_language(workspace_id, code)
    return code
