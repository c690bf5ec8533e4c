"""``Reply`` to Telegram: HTML text and an inline keyboard whose callback data names the action."""

from __future__ import annotations

import html as html_lib
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.render import Button, Reply

PREFIX = "p"
MAX_TEXT = 4096
_CODE = re.compile(r"`([^`\n]+)`")


def html(text: str) -> str:
    """Escape for parse_mode=HTML and turn `code` spans into <code>; cut to Telegram's limit."""
    escaped = _CODE.sub(r"<code>\1</code>", html_lib.escape(text, quote=False))
    if len(escaped) <= MAX_TEXT:
        return escaped
    # Cutting inside a tag would make Telegram refuse the whole message: drop the markup.
    return html_lib.escape(text, quote=False)[: MAX_TEXT - 1] + "…"


def callback_data(button: Button) -> str:
    """``p:<action>:<post id>``: 46 bytes at most, within Telegram's 64."""
    return f"{PREFIX}:{button.action}:{button.post_id}"


def parse_callback(data: str | None) -> tuple[str, str] | None:
    """(action, post id) from our callback data; None for anything else."""
    parts = (data or "").split(":")
    if len(parts) != 3 or parts[0] != PREFIX:
        return None
    return parts[1], parts[2]


def markup(reply: Reply) -> InlineKeyboardMarkup | None:
    """One row per post, so a list of posts gets one line of buttons each."""
    if not reply.buttons:
        return None
    rows: dict[str, list[InlineKeyboardButton]] = {}
    for button in reply.buttons:
        label = ("✖ " if button.danger else "") + button.label
        rows.setdefault(button.post_id, []).append(
            InlineKeyboardButton(label, callback_data=callback_data(button))
        )
    return InlineKeyboardMarkup(list(rows.values()))
