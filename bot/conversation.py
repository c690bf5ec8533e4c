"""The platform-neutral conversation: who is talking, what they asked, what to answer.

Adapters (Slack, Telegram) build a ``ChatContext`` from the platform's payload, call
``handle``/``press``/``edit_time`` and render the ``Reply``. Nothing here knows a platform API.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bot import queue, render, team, threads
from bot.channel import about_chat, defaults_command
from bot.commands import parse_command
from bot.render import Reply
from core.errors import Conflict, NotFound, OutpostError, RequestProblem
from core.i18n import DEFAULT, LANGUAGES, msg, translate
from core.i18n import gettext as t
from scheduler import chat_threads, series
from scheduler.accounts.access import connect_link
from scheduler.channels import Chat, chat_defaults
from scheduler.drafts import Draft
from scheduler.edge import PUBLISHERS, canonical_platform
from scheduler.health.checks import check_workspace
from scheduler.health.digest import subscribe
from scheduler.language import chat_key, chat_language, chosen, detected, set_language
from scheduler.logins import create_login_link
from scheduler.members import Identity, Member, Speaker, known_member, set_timezone, valid_zone
from scheduler.members import identify as identify_member
from scheduler.reader import parse_time
from scheduler.roles import can_schedule, check_can_schedule
from scheduler.runtime import Runtime
from scheduler.service import Scheduler
from scheduler.signin import invite
from scheduler.views import MediaView

ACTIONS = ("cancel", "edit_time", "post_now", "retry", "approve", "reject", "edit", "skip")
# The buttons a viewer may not press (all but the approvers' ones, checked in ``bot.team``).
CHANGES = ("cancel", "edit_time", "post_now", "retry", "skip")
# ``language es workspace``: the setting is the workspace's, not only this chat's.
WORKSPACE_WORD = "workspace"


@dataclass(frozen=True)
class ChatContext:
    """Who wrote, in which team or chat, and where replies go."""

    platform: str
    team_id: str
    user_id: str
    user_name: str | None = None
    user_tz: str | None = None
    origin: dict[str, Any] = field(default_factory=dict)
    can_schedule: bool = True
    workspace_name: str = ""
    # What the platform grants (``Speaker.platform_role``): a Telegram group's admins are
    # editors, its other members viewers (until given a role); None elsewhere.
    platform_role: str | None = None
    # What ``Conversation.member`` found, when the adapter already asked (so it is not asked
    # twice); ``None`` means not known yet, or not asked.
    member: Member | None = None

    @property
    def workspace(self) -> str:
        return self.workspace_name or f"{self.platform}:{self.team_id}"

    @property
    def chat_id(self) -> str:
        """The channel (Slack) or chat (Telegram) the message came from, if known."""
        return str(self.origin.get("channel") or self.origin.get("chat_id") or "")

    @property
    def chat(self) -> str | None:
        """The chat a setting such as ``language es`` belongs to: a Slack channel or DM, a
        Telegram chat; ``None`` when the context names none."""
        return chat_key(self.platform, self.team_id, self.origin)

    @property
    def speaker(self) -> Speaker:
        # A context that says the platform forbids scheduling is a viewer's.
        floor = self.platform_role or (None if self.can_schedule else "viewer")
        return Speaker(self.workspace, self.platform, self.team_id, self.user_id,
                       self.user_name, self.user_tz, floor)  # fmt: skip


class Conversation:
    """Runs chat commands against the scheduler."""

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.scheduler = Scheduler(runtime)

    async def member(self, ctx: ChatContext) -> Member | None:
        """The sender as synced into the context's workspace, or ``None`` before first contact.

        Nearly every message comes from someone already synced: one statement for them.
        """
        return await known_member(self.rt, ctx.speaker)

    async def identify(self, ctx: ChatContext) -> Identity:
        """Seed flow 3.1: sync the user on first contact, then find their zone."""
        return await identify_member(self.rt, ctx.speaker, ctx.member)

    def place(self, ctx: ChatContext, me: Identity) -> Chat:
        """The chat a message came from, as the use cases name it."""
        return Chat(me.workspace_id, ctx.platform, ctx.team_id, ctx.chat_id)

    async def setup(self, ctx: ChatContext, me: Identity) -> tuple[str, tuple[uuid.UUID, ...]]:
        """The zone requests here are read in and their default destinations: the chat's
        own when it has them (``scheduler.channels``), else the person's zone and none."""
        found = await chat_defaults(self.rt, self.place(ctx, me))
        if found is None:
            return me.tz, ()
        return found.timezone or me.tz, found.destinations

    async def understand(
        self, ctx: ChatContext, me: Identity, request: str, media: Sequence[MediaView] = ()
    ) -> Draft:
        """Check a request as it would be scheduled here, storing nothing (the preview)."""
        tz, defaults = await self.setup(ctx, me)
        return await self.scheduler.understand(
            me.workspace_id, request, tz=tz, media=media, defaults=defaults
        )

    async def handle(self, ctx: ChatContext, text: str, media: Sequence[MediaView] = ()) -> Reply:
        """Answer one message (or slash command) that may carry media."""
        me = await self.identify(ctx)
        command = parse_command(text)
        lang = await self.language(ctx, me, text)
        try:
            return await self._run(ctx, me, command.kind, command.arg, media, lang)
        except RequestProblem as exc:
            return render.problem(exc.problems, exc.hint, lang)
        except OutpostError as exc:
            return Reply(translate(exc.message, lang) + _hint(exc, lang), private=True)

    async def language(self, ctx: ChatContext, me: Identity, text: str) -> str:
        """The language to answer ``text`` in: the chat's setting, else the workspace's, else
        the request's own.

        Named commands (``posts``, ``cancel 3f2b``) are English words followed by ids and zone
        names, which say nothing of the person's language: English, unless the chat set one.
        """
        return await chosen(self.rt, me.workspace_id, ctx.chat) or _guessed(text)

    async def reply_language(self, ctx: ChatContext, text: str) -> str:
        """``language`` before (or without) knowing who wrote, e.g. for an error report: by
        the workspace's name, so nobody is created or synced to say something went wrong."""
        return await chat_language(self.rt, ctx.workspace, ctx.chat) or _guessed(text)

    async def _run(
        self, ctx: ChatContext, me: Identity, kind: str, arg: str, media: Sequence[MediaView],
        lang: str,
    ) -> Reply:  # fmt: skip
        if kind == "help":
            reply = render.help_reply(arg, lang)
            extra = await about_chat(self.rt, self.place(ctx, me), lang, plan=False)
            people = t(lang, "Owners and admins: `invite name@example.com editor` lets someone "
                             "sign in to the calendar (admin, editor or viewer).")  # fmt: skip
            return replace(reply, text=f"{reply.text}\n\n{people}\n\n{extra}")
        if kind == "defaults":
            return await defaults_command(self.rt, self.place(ctx, me), me, arg, lang)
        if kind == "timezone":
            return await self._timezone(me, arg, lang)
        if kind == "language":
            return await self._language(ctx, me, arg, lang)
        if kind == "accounts":
            # Each account's network is asked who it is (scheduler.health): ok or what to do.
            reply = render.account_health(await check_workspace(self.rt, me.workspace_id), lang)
            extra = await about_chat(self.rt, self.place(ctx, me), lang, plan=True)
            return replace(reply, text=f"{reply.text}\n\n{extra}")
        if kind == "digest":
            return await self._digest(ctx, me, arg, lang)
        if kind == "posts":
            posts = await self.scheduler.list(
                me.workspace_id, start=self.rt.clock.now(), statuses=("scheduled",), limit=10
            )
            return render.post_list(posts, me.tz, lang)
        if kind == "calendar":
            url = await create_login_link(self.rt, me.workspace_id, me.user_id, next_path="/")
            return Reply(
                t(lang, "Your calendar: {url}\nThe link works once, for 15 minutes.", url=url),
                private=True,
            )
        if kind == "connect":
            return self._connect(me, arg, lang)
        if kind == "invite":
            return await self._invite(me, arg, lang)
        if kind in team.KINDS:
            return await team.run(self, ctx, me, kind, arg, media, lang)
        if kind in ("slots", "move", "evergreen"):
            return await queue.run(self, me, kind, arg, lang)
        if kind == "preview":
            return await threads.preview(self, ctx, me, arg, media, lang)
        check_can_schedule(me.role)
        if kind == "thread":
            return await threads.start(self, ctx, me, arg, media, lang)
        if kind == "cancel":
            return await self._cancel(me, arg, lang)
        if kind == "skip":
            return await self._skip(me, arg, lang)
        tz, defaults = await self.setup(ctx, me)
        post = await self.scheduler.schedule(
            me.workspace_id,
            arg,
            tz=tz,
            user_id=me.user_id,
            media=media,
            defaults=defaults,
            # The thread reply, written later by a worker, speaks the same language; ``chat``
            # finds the chat's approver (``scheduler.channels.post_channel_approver``).
            origin=ctx.origin
            | {
                "platform": ctx.platform,
                "team_id": ctx.team_id,
                "lang": lang,
                "chat": ctx.chat_id,
                "user_name": ctx.user_name,
            },
            role=me.role,
        )
        return await threads.summary(self, post, tz, lang)

    async def follow_thread(
        self, ctx: ChatContext, root: str, key: str, text: str, by_reply: bool = False
    ) -> Reply | None:
        """A message that may continue a thread being collected (``bot.threads``): its
        answer, or None when ``root`` is no such thread."""
        return await threads.follow(self, ctx, root, key, text, by_reply)

    async def thread_answered(self, ctx: ChatContext, key: str, answer_key: str) -> None:
        """The bot answered message ``key`` with ``answer_key``: if ``key`` belongs to a
        thread being collected, a reply to the answer continues it too."""
        where = (ctx.platform, ctx.team_id, ctx.chat_id, key)
        await chat_threads.said(self.scheduler, where, answer_key)

    async def _digest(self, ctx: ChatContext, me: Identity, arg: str, lang: str) -> Reply:
        choice = arg.strip().lower()
        if choice not in ("on", "off"):
            return Reply(
                t(lang, "Say `digest on` for a weekly summary here, or `digest off`."),
                private=True,
            )
        origin = ctx.origin | {"platform": ctx.platform, "team_id": ctx.team_id}
        if not await subscribe(self.rt, me.workspace_id, origin, me.tz, choice == "on"):
            return Reply(t(lang, "This chat cannot get the digest."), private=True)
        if choice == "on":
            return Reply(t(lang,
                "Every Monday I'll post here what's scheduled for the week, what failed last "
                "week and why, and which accounts need attention. `digest off` stops it."
            ))  # fmt: skip
        return Reply(t(lang, "No more weekly digests here. `digest on` brings them back."))

    async def _timezone(self, me: Identity, arg: str, lang: str) -> Reply:
        zone = valid_zone(arg.strip())
        if zone is None:
            return Reply(
                t(lang, "“{zone}” is not a time zone I know. Try `timezone Europe/Berlin` "
                        "or `timezone America/New_York`. Yours is {yours}.",
                  zone=arg.strip(), yours=me.tz),
                private=True,
            )  # fmt: skip
        await set_timezone(self.rt, me.user_id, zone)
        return Reply(t(lang, "Your time zone is now {zone}.", zone=zone), private=True)

    async def _language(self, ctx: ChatContext, me: Identity, arg: str, lang: str) -> Reply:
        """``language es`` sets this chat, ``language es workspace`` the whole workspace; a
        chat's setting wins over the workspace's, which wins over each message's language."""
        words = arg.split()
        whole = len(words) == 2 and words[1].lower() == WORKSPACE_WORD
        chat = None if whole or ctx.chat is None else ctx.chat
        try:
            if len(words) != (2 if whole else 1):
                raise ValueError(arg)
            code = await set_language(self.rt, me.workspace_id, words[0], chat)
        except ValueError:
            return Reply(
                t(lang, "I can answer in: {languages}. Write e.g. `language es` for this chat, "
                        "`language es workspace` for the whole workspace, or `language auto` "
                        "to answer each message in its own language.",
                  languages=", ".join(LANGUAGES)),
                private=True,
            )  # fmt: skip
        if code is None:
            left = None if whole else await chosen(self.rt, me.workspace_id, ctx.chat)
            if left is not None:
                return Reply(t(left, "This chat follows the workspace's language again: "
                                     "I'll answer in English here."), private=True)  # fmt: skip
            return Reply(t(lang, "I'll answer each message in the language it is written in."),
                         private=True)  # fmt: skip
        if chat is None:
            return Reply(t(code, "I'll answer in English in this workspace, except in chats "
                                 "that set their own language."), private=True)  # fmt: skip
        return Reply(t(code, "I'll answer in English in this chat."), private=True)

    async def _invite(self, me: Identity, arg: str, lang: str) -> Reply:
        email, _, role = arg.strip().partition(" ")
        made = await invite(self.rt, me.workspace_id, me.user_id, email, role)
        url = self.rt.settings.base_url + "/login"
        return Reply(
            t(lang, "Invited {email} as {role}. They join this workspace the first time they "
                    "sign in with that address at {url} (within 7 days).",
              email=made.email, role=made.role, url=url),
            private=True,
        )  # fmt: skip

    def _connect(self, me: Identity, arg: str, lang: str) -> Reply:
        platform = canonical_platform(arg.strip()) if arg.strip() else ""
        if platform not in PUBLISHERS:
            known = ", ".join(sorted(PUBLISHERS))
            return Reply(
                t(lang, "Which network? e.g. `connect mastodon`. I can post to: {known}.",
                  known=known),
                private=True,
            )  # fmt: skip
        url = connect_link(self.rt, me.workspace_id, me.user_id, platform)
        return Reply(t(lang, "Connect {platform}: {url}\nThe link works for 15 minutes.",
                       platform=platform, url=url), private=True)  # fmt: skip

    async def _cancel(self, me: Identity, arg: str, lang: str) -> Reply:
        post_id = await self._post_id(me, arg, ("scheduled", "draft", "pending_approval"))
        post = await self.scheduler.cancel(me.workspace_id, post_id)
        return Reply(t(lang, "Cancelled: {text} ({id})", text=post.content[:80], id=post.id),
                     private=True, post=post)  # fmt: skip

    async def _skip(self, me: Identity, arg: str, lang: str | None) -> Reply:
        """``skip ID``: a recurring post's next occurrence is skipped; the series goes on."""
        post_id = await self._post_id(me, arg, ("scheduled", "pending_approval"))
        before = await self.scheduler.get(me.workspace_id, post_id)
        post = await series.skip(self.rt, me.workspace_id, post_id, role=me.role)
        return Reply(t(lang, "Skipped {skipped}; the next one is {next}: {text} ({id})",
                       skipped=render.when(before.scheduled_at, me.tz, lang),
                       next=render.when(post.scheduled_at, me.tz, lang), text=post.content[:80],
                       id=post.id), private=True, post=post)  # fmt: skip

    async def _post_id(
        self, me: Identity, arg: str, statuses: Sequence[str] = ("scheduled",)
    ) -> uuid.UUID:
        text = arg.strip()
        if not text:
            raise RequestProblem([msg("Which post? Write `cancel` and its id (see `posts`).")])
        try:
            return uuid.UUID(text)
        except ValueError:
            pass
        # People paste the first characters of the id shown in `posts`.
        matches = [
            p.id
            for p in await self.scheduler.list(me.workspace_id, statuses=statuses, limit=500)
            if str(p.id).startswith(text.lower())
        ]
        if len(matches) != 1:
            raise RequestProblem(
                [msg("No single post starts with “{start}”. See `posts` or `drafts`.", start=text)]
            )
        return matches[0]

    async def press(self, ctx: ChatContext, action: str, post_id: str) -> Reply:
        """A button: the post must belong to the presser's workspace, or nothing happens."""
        me = await self.identify(ctx)
        lang = await chosen(self.rt, me.workspace_id, ctx.chat)
        if action not in ACTIONS:
            return Reply(t(lang, "That button is no longer supported."), private=True)
        if action in CHANGES and not can_schedule(me.role):
            return Reply(t(lang, "You are a viewer here: you can look at posts but not change "
                                 "them."), private=True)  # fmt: skip
        try:
            pid = uuid.UUID(post_id)
            # Without a setting, a post's buttons answer in the language it was asked in.
            lang = lang or (await self.scheduler.get(me.workspace_id, pid)).origin.get("lang")
            if action == "cancel":
                post = await self.scheduler.cancel(me.workspace_id, pid)
                return Reply(t(lang, "Cancelled: {text}", text=post.content[:80]), post=post)
            if action == "skip":
                return await self._skip(me, post_id, lang)
            if action in team.BUTTONS:
                return await team.press(self, ctx, me, action, pid, lang)
            if action == "post_now":
                post = await self.scheduler.post_now(
                    me.workspace_id, pid, role=me.role, user_id=me.user_id
                )
                return Reply(t(lang, "Publishing now…"), post=post)
            if action == "retry":
                post = await self.scheduler.retry(me.workspace_id, pid)
                return Reply(t(lang, "Trying again what did not go out…"), post=post)
            post = await self.scheduler.get(me.workspace_id, pid)
            return Reply(t(lang, "Reply with the new time, e.g. “tomorrow 10am”."), post=post)
        except ValueError:
            return Reply(t(lang, "That button is broken; use `posts`."), private=True)
        except RequestProblem as exc:
            return Reply("\n".join(translate(p, lang) for p in exc.problems) + _hint(exc, lang),
                         private=True)  # fmt: skip
        except (NotFound, Conflict) as exc:
            return Reply(translate(exc.message, lang) + _hint(exc, lang), private=True)

    async def edit_time(self, ctx: ChatContext, post_id: str, phrase: str) -> Reply:
        """Move a post to the time in ``phrase`` (read in the person's zone)."""
        me = await self.identify(ctx)
        lang = await chosen(self.rt, me.workspace_id, ctx.chat) or detected(phrase)
        if not can_schedule(me.role):
            return Reply(t(lang, "You are a viewer here: you can look at posts but not change "
                                 "them."), private=True)  # fmt: skip
        tz, _ = await self.setup(ctx, me)
        found = parse_time(phrase, now=self.rt.clock.now(), tz=tz)
        if found is None or found.problems:
            why = (list(found.problems) if found
                   else [msg("I couldn't find a time in “{phrase}”.", phrase=phrase)])  # fmt: skip
            return render.problem(why, t(lang, 'Try: "tomorrow 10am" or "in 2 hours".'), lang)
        try:
            post = await self.scheduler.reschedule(
                me.workspace_id, uuid.UUID(post_id), found.when, role=me.role, user_id=me.user_id
            )
        except RequestProblem as exc:
            return render.problem(exc.problems, exc.hint, lang)
        except (NotFound, Conflict, ValueError) as exc:
            return Reply(str(exc), private=True)
        return render.scheduled(post, tz, lang)


def _guessed(text: str) -> str:
    """The language of a message without a setting: its request's, where it carries one
    (``thread``, ``preview`` and ``draft`` are followed by a request in the person's words).
    Other named commands (``posts``, ``cancel 3f2b``) are English words with ids and zone
    names: they say nothing of the person's language."""
    command = parse_command(text)
    return detected(command.arg) if command.kind in _REQUESTS else DEFAULT


_REQUESTS = frozenset({"schedule", "draft", "thread", "preview", "submit"})


def _hint(exc: OutpostError, lang: str | None) -> str:
    return f" {translate(exc.hint, lang)}" if exc.hint else ""
