"""Replies as plain text with light markup that both Slack (mrkdwn) and Telegram (HTML after
escaping by the adapter) can show; adapters turn ``Reply`` into their own message format."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from core.i18n import N_, moment, translate
from core.i18n import gettext as t
from core.i18n import ngettext as nt
from scheduler.edge import PUBLISHERS
from scheduler.health.checks import AccountHealth
from scheduler.notifier import PostResult, StepResult
from scheduler.preview import DestinationPreview
from scheduler.recurrence_words import describe
from scheduler.views import AccountView, MemberView, PostView

EXAMPLE = N_("tomorrow 9am to mastodon: We're live!")


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


def when(at: datetime, tz: str, lang: str | None = None) -> str:
    local = at.astimezone(ZoneInfo(tz))
    return f"{moment(local, lang)} {local.tzname() or tz}"


def targets(post: PostView) -> str:
    return ", ".join(f"{d.platform}:{d.handle}" for d in post.destinations)


def rule_words(post: PostView, lang: str | None = None) -> str:
    """A recurring post's rule in words, read in the post's own zone."""
    local = post.scheduled_at.astimezone(ZoneInfo(post.timezone))
    return describe(post.recurrence or "", local, lang)


def example(lang: str | None = None) -> str:
    """A request written in ``lang``'s own words, so the example teaches what the reader reads."""
    return t(lang, EXAMPLE)


def scheduled(
    post: PostView, tz: str, lang: str | None = None, previews: Sequence[DestinationPreview] = ()
) -> Reply:
    described = sum(1 for m in post.media if m.alt)
    media = ""
    if post.media:
        media = "\n📎 " + nt(lang, "{n} file", "{n} files", len(post.media))
    if described:
        media += nt(
            lang, ", {n} with a description (alt text)", ", {n} with a description (alt text)",
            described,
        )  # fmt: skip
    repeat = ""
    if post.recurrence:
        repeat = "\n🔁 " + t(lang, "repeats ({rule})", rule=rule_words(post, lang))
    if post.evergreen_days:
        repeat += "\n♻️ " + t(lang, "evergreen: back in the queue at most every {days} days "
                                   "after it is published", days=post.evergreen_days)
    elif post.queued:
        repeat += "\n📥 " + t(lang, "in the queue (a slot)")
    head = t(lang, "🗓 Scheduled for {when} to {targets}.", when=when(post.scheduled_at, tz, lang),
             targets=targets(post))  # fmt: skip
    if post.status == "pending_approval":
        head = "⏳ " + t(lang, "Waiting for approval: {when} to {targets}. An owner or admin "
                               "has been asked; it is not published until one approves it.",
                         when=when(post.scheduled_at, tz, lang), targets=targets(post))
    elif post.status == "draft":
        return draft_saved(post, tz, lang)
    shown = destinations(previews, post.content, lang)
    text = f"{head}{repeat}\n> {post.content[:300]}{media}{shown}\nid: {post.id}"
    return Reply(text, post_buttons(post, lang), post=post)


def destinations(previews: Sequence[DestinationPreview], main: str, lang: str | None) -> str:
    """Per destination: its count against the limit, its own text or thread parts when they
    are not the main text, the first comment, the files, X's link flag, notes and problems."""
    lines: list[str] = []
    for d in previews:
        line = f"• {d.platform}:{d.handle} — {d.count}"
        if d.has_link:
            line += " · 🔗 " + t(lang, "has a link (X charges more for posts with links)")
        lines.append(line)
        if d.parts:
            lines.extend(f"   {n}/{len(d.parts)} › {p.text[:200]}"
                         for n, p in enumerate(d.parts, start=1))  # fmt: skip
        elif d.text != main:
            lines.append(f"   › {d.text[:300]}")
        if d.first_comment:
            lines.append("   💬 " + t(lang, "first comment: {text}", text=d.first_comment[:200]))
        if d.media:
            lines.append("   📎 " + ", ".join(d.media))
        lines.extend(f"   ℹ️ {translate(n, lang)}" for n in d.notes)
        lines.extend(f"   ⚠️ {translate(p, lang)}" for p in d.problems)
    return "\n" + "\n".join(lines) if lines else ""


def preview(
    at: datetime | None, previews: Sequence[DestinationPreview], problems: Sequence[str],
    tz: str, lang: str | None = None,
) -> Reply:  # fmt: skip
    """``preview …``: what would be sent where, and what stands in the way; nothing stored."""
    moment_ = when(at, tz, lang) if at else t(lang, "no time")
    head = "👀 " + t(lang, "Preview for {when} (nothing is scheduled):", when=moment_)
    body = destinations(previews, "", lang)
    if problems:
        body += "\n" + t(lang, "It would not be scheduled:") + "\n" + "\n".join(
            f"• {translate(p, lang)}" for p in problems
        )
    return Reply(head + body, private=True)


def post_buttons(post: PostView, lang: str | None = None) -> tuple[Button, ...]:
    pid = str(post.id)
    if post.status in ("pending_approval", "draft"):
        return (Button(t(lang, "Cancel"), "cancel", pid, danger=True),)
    if post.status == "scheduled":
        skip = (Button(t(lang, "Skip next"), "skip", pid),) if post.recurrence else ()
        return (
            Button(t(lang, "Cancel"), "cancel", pid, danger=True),
            Button(t(lang, "Edit time"), "edit_time", pid),
            Button(t(lang, "Post now"), "post_now", pid),
            *skip,
        )
    if post.retryable:
        return (Button(t(lang, "Retry"), "retry", pid),)
    return ()


def author(post: PostView, lang: str | None = None) -> str:
    """How a post's author is named in a reply: a mention where the chat has one."""
    user = str(post.origin.get("user") or "")
    if post.origin.get("platform") == "slack" and user:
        return f"<@{user}>"
    return str(post.origin.get("user_name") or t(lang, "Someone"))


def draft_saved(post: PostView, tz: str, lang: str | None = None) -> Reply:
    """A draft was saved: what it holds, and how to schedule it."""
    pid = str(post.id)[:8]
    if post.untimed:
        head = "📝 " + t(lang, "Draft saved (no time yet).")
    else:
        head = "📝 " + t(lang, "Draft saved for {when}.", when=when(post.scheduled_at, tz, lang))
    where = targets(post) or t(lang, "no destination yet")
    tip = t(lang, "Schedule it with `schedule {id} tomorrow 9am` (add `to mastodon` if it has "
                  "no destination); `drafts` lists drafts.", id=pid)
    text = f"{head} → {where}\n> {post.content[:300]}\n{tip}\nid: {post.id}"
    return Reply(text, post_buttons(post, lang), post=post)


def draft_list(posts: Sequence[PostView], tz: str, lang: str | None = None) -> Reply:
    if not posts:
        return Reply(t(lang, "No drafts. Save one with `draft: text` or "
                             "`draft to mastodon: text`."), private=True)  # fmt: skip
    lines = []
    for p in posts:
        at = t(lang, "no time") if p.untimed else when(p.scheduled_at, tz, lang)
        lines.append(f"• {str(p.id)[:8]} — {at} → {targets(p) or '?'}: {p.content[:60]}")
    tip = t(lang, "Schedule one with `schedule ID tomorrow 9am`.")
    return Reply(t(lang, "Drafts:") + "\n" + "\n".join(lines) + "\n" + tip, private=True)


def approval_request(post: PostView, tz: str, lang: str | None = None) -> Reply:
    """What approvers are asked, with Approve / Edit / Reject."""
    pid = str(post.id)
    text = "🔔 " + t(lang, "{author} asks to publish on {when} to {targets}:",
                     author=author(post, lang), when=when(post.scheduled_at, tz, lang),
                     targets=targets(post))
    text += f"\n> {post.content[:300]}\nid: {post.id}"
    return Reply(text, (
        Button(t(lang, "Approve"), "approve", pid),
        Button(t(lang, "Edit"), "edit", pid),
        Button(t(lang, "Reject"), "reject", pid, danger=True),
    ), post=post)  # fmt: skip


def approval_outcome(kind: str, post: PostView, tz: str, actor: str, reason: str,
                     lang: str | None = None) -> str:  # fmt: skip
    """What the author is told when their waiting post is decided or expires."""
    if kind == "approved":
        return "✅ " + t(lang, "Approved by {who}: scheduled for {when}.", who=actor,
                         when=when(post.scheduled_at, tz, lang))
    if kind == "rejected":
        return "🚫 " + t(lang, "Rejected by {who}: {reason}\nIt is a draft again: fix it and "
                               "`schedule {id} TIME`.", who=actor, reason=reason,
                         id=str(post.id)[:8])
    return "⌛ " + t(lang, "Nobody approved it before its time: it is a draft again. Schedule "
                           "it with `schedule {id} TIME`.", id=str(post.id)[:8])


def member_name(member: MemberView) -> str:
    return member.display_name or member.email or str(member.user_id)[:8]


def member_list(members: Sequence[MemberView], lang: str | None = None) -> Reply:
    lines = [f"• {member_name(m)} — {m.role}" for m in members]
    tip = t(lang, "Change one with `role NAME admin` (owner, admin, editor, viewer).")
    return Reply(t(lang, "Members:") + "\n" + "\n".join(lines) + "\n" + tip, private=True)


def problem(problems: Sequence[str], hint: str = "", lang: str | None = None) -> Reply:
    bullet = "\n".join(f"• {translate(p, lang)}" for p in problems)
    tip = translate(hint, lang) if hint else t(lang, 'Try: "{example}"', example=example(lang))
    return Reply(t(lang, "I couldn't schedule that:") + f"\n{bullet}\n{tip}", private=True)


def post_list(posts: list[PostView], tz: str, lang: str | None = None) -> Reply:
    if not posts:
        return Reply(t(lang, 'Nothing scheduled. Schedule one: "{example}"',
                       example=example(lang)), private=True)  # fmt: skip
    lines = [
        f"• {when(p.scheduled_at, tz, lang)} → {targets(p)}: {p.content[:60]} (id {p.id})"
        + (f"\n  🔁 {rule_words(p, lang)}" if p.recurrence else "")
        for p in posts
    ]
    buttons = tuple(
        Button(t(lang, "Cancel {id}", id=str(p.id)[:8]), "cancel", str(p.id), True) for p in posts
    )
    return Reply(t(lang, "Upcoming posts:") + "\n" + "\n".join(lines), buttons, private=True)


def account_list(accounts: list[AccountView], lang: str | None = None) -> Reply:
    if not accounts:
        return Reply(
            t(lang, "No accounts connected yet. Connect one with `connect mastodon` "
                    "(networks: {networks}).", networks=", ".join(sorted(PUBLISHERS))),
            private=True,
        )  # fmt: skip
    again = " — " + t(lang, "reconnect needed")
    lines = [
        f"• {a.platform}:{a.handle}" + (again if a.status == "reconnect" else "")
        for a in accounts
    ]
    return Reply(t(lang, "Connected accounts:") + "\n" + "\n".join(lines), private=True)


def account_health(results: list[AccountHealth], lang: str | None = None) -> Reply:
    """The ``accounts`` answer: each account, whether its network still takes it, what next.

    The network's own reason stays as the network wrote it; the verdict and advice are ours.
    """
    if not results:
        return account_list([], lang)
    lines = []
    for r in results:
        acc, health = r.account, r.health
        if r.ok:
            lines.append(f"• {acc.platform}:{acc.handle} — " + t(lang, "ok"))
            continue
        verdict, advice = translate(r.verdict, lang), translate(r.advice, lang)
        line = f"• {acc.platform}:{acc.handle} — ⚠️ {verdict}: {health.reason}. {advice}"
        lines.append(line + (f" {r.link}" if r.link else ""))
    return Reply(t(lang, "Connected accounts:") + "\n" + "\n".join(lines), private=True)


def result(res: PostResult, lang: str | None = None) -> str:
    """The thread reply when a post is done: a link per destination, or why not and what next.

    In the language the request was written in (``origin["lang"]``) unless ``lang`` is given.
    """
    lang = lang or res.origin.get("lang")
    head = {
        "published": "✅ " + t(lang, "Published"),
        "partially_published": "⚠️ " + t(lang, "Partly published"),
        "failed": "❌ " + t(lang, "Not published"),
    }.get(res.status, res.status)
    if not res.destinations:
        return head  # a notice or a digest: the headline is the whole message
    lines = [head + ":"]
    for d in res.destinations:
        if d.status == "success":
            link = d.url or t(lang, "posted")
            lines.append(f"• {d.platform}:{d.handle} → {link}")
            lines.extend(f"  {line}" for line in steps(d.steps, lang))
        elif d.status == "cancelled":
            lines.append(f"• {d.platform}:{d.handle} — " + t(lang, "cancelled"))
        else:
            why = translate(d.error, lang) if d.error else t(lang, "failed")
            lines.append(f"• {d.platform}:{d.handle} — {why}")
    return "\n".join(lines)


def steps(done: Sequence[StepResult], lang: str | None = None) -> list[str]:
    """A published destination's thread and first comment: what went out, what did not, why."""
    lines: list[str] = []
    posts = [s for s in done if s.kind != "comment"]
    out = [s for s in posts if s.status == "sent"]
    if len(posts) > 1 and len(out) < len(posts):
        said = (t(lang, "parts 1–{out} of {n} out", out=len(out), n=len(posts)) if len(out) > 1
                else t(lang, "only the first of {n} parts is out", n=len(posts)))  # fmt: skip
        lines.append("⚠️ " + said)
        for s in posts:
            if s.status == "failed":
                why = translate(s.error, lang) if s.error else t(lang, "failed")
                lines.append(t(lang, "part {n} failed: {why}", n=s.seq, why=why))
    for s in done:
        if s.kind != "comment":
            continue
        if s.status == "sent":
            said = "💬 " + t(lang, "first comment posted")
            lines.append(f"{said} → {s.url}" if s.url else said)
        elif s.status == "failed":
            why = translate(s.error, lang) if s.error else t(lang, "failed")
            lines.append("💬 " + t(lang, "first comment failed: {why}", why=why))
        else:
            why = translate(s.error, lang) if s.error else t(lang, "not sent")
            lines.append("💬 " + t(lang, "first comment not posted: {why}", why=why))
    return lines


HELP = N_(
    "Schedule a post by writing when, where, then the text after a colon:\n"
    "• {example}\n"
    "• in 2 hours on mastodon: Launching today 🚀\n"
    "• every monday at 9:00 to linkedin: Weekly tip\n"
    "• now to all: Doors open\n"
    "Attach photos or a video to the same message to post them too; start the request with "
    "`fit` to let me convert photos a network refuses for their size or format "
    "(e.g. `fit tomorrow 9am to bluesky: Our new office`).\n"
    "Describe each photo or video for people who can't see it (alt text) with one line per "
    "file after the text, in the order they're attached: `alt: A bright room with six desks`, "
    "then `alt: …` for the next (or `alt 2: …` for the second file).\n"
    "Other commands: `posts` (upcoming), `cancel ID`, `timezone Europe/Berlin`, `accounts`, "
    "`connect mastodon`, `calendar` (a login link), `digest on` (a weekly summary in this "
    "chat; `digest off` stops it), `language es` (answer in Spanish in this chat; "
    "`language es workspace` for the whole workspace; `language auto` answers in the "
    "language of each message), `help`."
)


HELP_TEAM = N_(
    "Drafts and approval: `draft: text` or `draft to mastodon: text` saves a draft, `drafts` "
    "lists them, `schedule ID tomorrow 9am` schedules one. Owners and admins: `approval on` "
    "makes editors' posts wait for their Approve (`approve ID`, `reject ID reason`); `role` "
    "lists members, `role @someone editor` gives a role (owner, admin, editor, viewer)."
)

HELP_QUEUE = N_(
    "The queue: `queue to linkedin: text` (or `next slot to x: text`) takes the next free "
    "slot of every destination; `friday to x: text` takes Friday's first free slot. `slots` "
    "lists the slots, owners and admins set them with `slots linkedin mon-fri 9:00, 13:00` "
    "(no account: the workspace's) and remove them with `slots linkedin clear`. `move ID up` "
    "or `move ID down` swaps a queued post with its neighbour; `queue pull forward on` moves "
    "the rest of a queue up when a queued post is cancelled. `queue evergreen 30d to x: text` "
    "comes back into the queue at most every 30 days after it is published, until "
    "`evergreen stop ID`."
)


HELP_SERIES = N_(
    "Recurring posts: `skip ID` skips the next occurrence and keeps the series; `cancel ID` "
    "ends the series. In the calendar, each occurrence can be skipped or edited on its own."
)


HELP_VERSIONS = N_(
    "Versions and threads: after the text, a line `x: shorter text` or `linkedin: the longer "
    "one` gives that network its own text, and `first comment: …` is posted as the first "
    "reply or comment. A line `---` splits the text into a thread; or write `thread tomorrow "
    "9am to x, bluesky: first part`, reply with each next part, then `done` (`cancel` drops "
    "it). `preview tomorrow 9am to x: …` shows what each network would get and stores nothing."
)


def help_reply(unknown: str = "", lang: str | None = None) -> Reply:
    lead = ""
    if unknown:
        lead = t(lang, "I don't know the command “{command}”.", command=unknown) + "\n"
    body = "\n".join([t(lang, HELP, example=example(lang)), t(lang, HELP_VERSIONS),
                       t(lang, HELP_SERIES), t(lang, HELP_TEAM), t(lang, HELP_QUEUE)])  # fmt: skip
    return Reply(lead + body, private=True)
