"""Replies as Block Kit: a section of mrkdwn text and, when there are any, a row of buttons."""

from __future__ import annotations

from typing import Any

from bot import render
from bot.render import Button, Reply
from core.i18n import gettext as t
from scheduler.notifier import PostResult
from scheduler.views import PostView

ACTION_PREFIX = "outpost:"
SECTION_LIMIT = 3000  # Slack refuses a section text longer than this
Block = dict[str, Any]


def escape(text: str) -> str:
    """Slack's three control characters; everything else is shown as typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def action_id(button: Button) -> str:
    """Unique within a message even when several posts share an action (the posts list)."""
    return f"{ACTION_PREFIX}{button.action}:{button.post_id}"


def parse_action_id(value: str) -> tuple[str, str]:
    """(action, post id) from an ``action_id``; ("", "") when it is not ours."""
    if not value.startswith(ACTION_PREFIX):
        return "", ""
    action, _, post_id = value[len(ACTION_PREFIX):].partition(":")
    return action, post_id


def _button(button: Button) -> Block:
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": button.label[:75]},
        "action_id": action_id(button),
        "value": button.post_id,
    }
    if button.danger:
        element["style"] = "danger"
    elif button.action in ("post_now", "retry"):
        element["style"] = "primary"
    return element


def section(text: str) -> Block:
    """One mrkdwn section, cut to Slack's limit."""
    body = escape(text)
    if len(body) > SECTION_LIMIT:
        body = body[: SECTION_LIMIT - 1] + "…"
    return {"type": "section", "text": {"type": "mrkdwn", "text": body}}


def blocks_for(text: str, buttons: tuple[Button, ...] = ()) -> list[Block]:
    """Text and up to 25 buttons (Slack's limit per actions block)."""
    out = [section(text)]
    if buttons:
        out.append({"type": "actions", "elements": [_button(b) for b in buttons[:25]]})
    return out


def reply_blocks(reply: Reply) -> list[Block]:
    """A ``Reply`` as blocks."""
    return blocks_for(reply.text, reply.buttons)


def fallback(text: str) -> str:
    """The notification text Slack shows where blocks are not rendered."""
    return text[:3000]


def post_summary(post: PostView, tz: str, actor: str = "") -> str:
    """The summary message's text for the post as it stands now, in the post's language."""
    lang = post.origin.get("lang")
    who = f"<@{actor}>"
    if post.status in ("scheduled", "draft"):
        return render.scheduled(post, tz, lang).text
    heads = {
        "cancelled": "🚫 " + (t(lang, "Cancelled by {who}", who=who) if actor
                             else t(lang, "Cancelled")),
        "publishing": "⏳ " + (t(lang, "Publishing now by {who}…", who=who) if actor
                              else t(lang, "Publishing now…")),
        "published": "✅ " + t(lang, "Published"),
        "partially_published": "⚠️ " + t(lang, "Partly published"),
        "failed": "❌ " + t(lang, "Not published"),
    }  # fmt: skip
    head = heads.get(post.status, post.status)
    where = t(lang, "to {targets}", targets=render.targets(post))
    return f"{head}: {where}\n> {post.content[:300]}\nid: {post.id}"


def summary_blocks(post: PostView, tz: str, actor: str = "") -> list[Block]:
    """Blocks for the summary message: status, text and the buttons that still apply."""
    text = post_summary(post, tz, actor)
    blocks = blocks_for(text, render.post_buttons(post, post.origin.get("lang")))
    # The actor mention must stay a mention: rebuild the section without escaping it.
    if actor:
        blocks[0]["text"]["text"] = escape(text).replace(escape(f"<@{actor}>"), f"<@{actor}>")
    return blocks


def result_summary(res: PostResult) -> str:
    """The summary message's text once the post is finished."""
    head = render.result(res).splitlines()[0].rstrip(":")
    lang = res.origin.get("lang")
    where = t(lang, "to {targets}",
              targets=", ".join(f"{d.platform}:{d.handle}" for d in res.destinations))  # fmt: skip
    return f"{head}: {where}\n> {res.text[:300]}\nid: {res.post_id}"


def result_buttons(res: PostResult) -> tuple[Button, ...]:
    """Retry when something failed."""
    if res.retryable:
        return (Button(t(res.origin.get("lang"), "Retry"), "retry", res.post_id),)
    return ()
