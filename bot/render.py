"""Replies as plain text with light markup that both Slack (mrkdwn) and Telegram (HTML after
escaping by the adapter) can show; adapters turn ``Reply`` into their own message format."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from publishers.registry import PUBLISHERS
from scheduler.health.checks import AccountHealth
from scheduler.notifier import PostResult
from storage.views import AccountView, PostView

EXAMPLE = "tomorrow 9am to mastodon: We're live!"
STATUS_WORDS = {
    "draft": "draft",
    "scheduled": "scheduled",
    "publishing": "publishing",
    "published": "published",
    "partially_published": "partly published",
    "failed": "failed",
    "cancelled": "cancelled",
}


@dataclass(frozen=True)
class Button:
    """An action on a post: ``cancel``, ``edit_time``, ``post_now`` or ``retry``."""

    label: str
    action: str
    post_id: str
    danger: bool = False


@dataclass(frozen=True)
class Reply:
    """What the bot says; ``private`` asks for an ephemeral message where the chat has them."""

    text: str
    buttons: tuple[Button, ...] = ()
    private: bool = False
    post: PostView | None = None
    lines: tuple[str, ...] = field(default_factory=tuple)


def when(moment: datetime, tz: str) -> str:
    local = moment.astimezone(ZoneInfo(tz))
    return local.strftime("%a %d %b %Y, %H:%M ") + (local.tzname() or tz)


def targets(post: PostView) -> str:
    return ", ".join(f"{d.platform}:{d.handle}" for d in post.destinations)


def scheduled(post: PostView, tz: str) -> Reply:
    described = sum(1 for m in post.media if m.alt)
    media = f"\n📎 {len(post.media)} file(s)" if post.media else ""
    if described:
        media += f", {described} with a description (alt text)"
    repeat = f"\n🔁 repeats ({post.recurrence})" if post.recurrence else ""
    text = (
        f"🗓 Scheduled for {when(post.scheduled_at, tz)} to {targets(post)}.{repeat}\n"
        f"> {post.content[:300]}{media}\nid: {post.id}"
    )
    return Reply(text, post_buttons(post), post=post)


def post_buttons(post: PostView) -> tuple[Button, ...]:
    pid = str(post.id)
    if post.status in ("scheduled", "draft"):
        return (
            Button("Cancel", "cancel", pid, danger=True),
            Button("Edit time", "edit_time", pid),
            Button("Post now", "post_now", pid),
        )
    if post.status in ("failed", "partially_published"):
        return (Button("Retry", "retry", pid),)
    return ()


def problem(problems: list[str], hint: str = "") -> Reply:
    bullet = "\n".join(f"• {p}" for p in problems)
    example = hint or f'Try: "{EXAMPLE}"'
    return Reply(f"I couldn't schedule that:\n{bullet}\n{example}", private=True)


def post_list(posts: list[PostView], tz: str) -> Reply:
    if not posts:
        return Reply(f'Nothing scheduled. Schedule one: "{EXAMPLE}"', private=True)
    lines = [
        f"• {when(p.scheduled_at, tz)} → {targets(p)}: {p.content[:60]} (id {p.id})"
        for p in posts
    ]
    buttons = tuple(Button(f"Cancel {str(p.id)[:8]}", "cancel", str(p.id), True) for p in posts)
    return Reply("Upcoming posts:\n" + "\n".join(lines), buttons, private=True)


def account_list(accounts: list[AccountView]) -> Reply:
    if not accounts:
        return Reply(
            "No accounts connected yet. Connect one with `connect mastodon` "
            f"(networks: {', '.join(sorted(PUBLISHERS))}).",
            private=True,
        )
    lines = [
        f"• {a.platform}:{a.handle}" + (" — reconnect needed" if a.status == "reconnect" else "")
        for a in accounts
    ]
    return Reply("Connected accounts:\n" + "\n".join(lines), private=True)


def account_health(results: list[AccountHealth]) -> Reply:
    """The ``accounts`` answer: each account, whether its network still takes it, what next."""
    if not results:
        return account_list([])
    lines = []
    for r in results:
        acc, health = r.account, r.health
        if r.ok:
            lines.append(f"• {acc.platform}:{acc.handle} — ok")
            continue
        line = f"• {acc.platform}:{acc.handle} — ⚠️ {health.status}: {health.reason}. {r.advice}"
        lines.append(line + (f" {r.link}" if r.link else ""))
    return Reply("Connected accounts:\n" + "\n".join(lines), private=True)


def result(res: PostResult) -> str:
    """The thread reply when a post is done: a link per destination, or why not and what next."""
    head = {
        "published": "✅ Published",
        "partially_published": "⚠️ Partly published",
        "failed": "❌ Not published",
    }.get(res.status, res.status)
    lines = [head + ":"]
    for d in res.destinations:
        if d.status == "success":
            lines.append(f"• {d.platform}:{d.handle} → {d.url or 'posted'}")
        elif d.status == "cancelled":
            lines.append(f"• {d.platform}:{d.handle} — cancelled")
        else:
            lines.append(f"• {d.platform}:{d.handle} — {d.error or 'failed'}")
    return "\n".join(lines)


HELP = (
    "Schedule a post by writing when, where, then the text after a colon:\n"
    f"• {EXAMPLE}\n"
    "• in 2 hours on mastodon: Launching today 🚀\n"
    "• every monday at 9:00 to linkedin: Weekly tip\n"
    "• now to all: Doors open\n"
    "Attach photos or a video to the same message to post them too; start the request with "
    "`fit` to let me convert photos a network refuses for their size or format "
    "(e.g. `fit tomorrow 9am to bluesky: Our new office`).\n"
    "Describe each photo or video for people who can't see it (alt text) with one line per "
    "file after the text, in the order they're attached: `alt: A bright room with six desks`, "
    "then `alt: …` for the next (or `alt 2: …` for the second file).\n"
    "Other commands: `posts` (upcoming), `cancel ID`, `timezone Europe/Berlin`, `accounts` "
    "(checks each one), `connect mastodon`, `calendar` (a login link), `digest on` (a weekly "
    "summary here), `help`."
)


def help_reply(unknown: str = "") -> Reply:
    lead = f"I don't know the command “{unknown}”.\n" if unknown else ""
    return Reply(lead + HELP, private=True)
