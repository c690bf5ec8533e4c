"""The platform-neutral conversation: who is talking, what they asked, what to answer.

Adapters (Slack, Telegram) build a ``ChatContext`` from the platform's payload, call
``handle``/``press``/``edit_time`` and render the ``Reply``. Nothing here knows a platform API.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot import render
from bot.commands import parse_command
from bot.render import Reply
from core.errors import Conflict, NotFound, OutpostError, RequestProblem
from publishers.registry import PUBLISHERS, canonical_platform
from scheduler.accounts import connect_link
from scheduler.health.checks import check_workspace
from scheduler.health.digest import subscribe
from scheduler.logins import create_login_link
from scheduler.reader import parse_time
from scheduler.runtime import Runtime
from scheduler.service import Scheduler
from storage.views import MediaView, WorkspaceView

ACTIONS = ("cancel", "edit_time", "post_now", "retry")


# A synced sender: their workspace, their user id and their own time zone (if set).
Member = tuple[WorkspaceView, uuid.UUID, str | None]


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
    # What ``Conversation.member`` found, when the adapter already asked (so it is not asked
    # twice); ``None`` means not known yet, or not asked.
    member: Member | None = None

    @property
    def workspace(self) -> str:
        return self.workspace_name or f"{self.platform}:{self.team_id}"


@dataclass(frozen=True)
class Identity:
    """The Outpost workspace and user behind a chat context, and the time zone to read in."""

    workspace_id: uuid.UUID
    user_id: uuid.UUID
    tz: str
    new_user: bool


def _valid_zone(name: str | None) -> str | None:
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


class Conversation:
    """Runs chat commands against the scheduler."""

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.scheduler = Scheduler(runtime)

    async def member(self, ctx: ChatContext) -> Member | None:
        """The sender as synced into the context's workspace, or ``None`` before first contact.

        Nearly every message comes from someone already synced: one statement for them.
        """
        return await self.rt.workspaces.known_member(
            ctx.workspace, ctx.platform, ctx.team_id, ctx.user_id
        )

    async def identify(self, ctx: ChatContext) -> Identity:
        """Seed flow 3.1: sync the user on first contact, then find their zone."""
        known = ctx.member or await self.member(ctx)
        if known is not None:
            ws, user_id, stored = known
            created = False
        else:
            ws = await self.rt.workspaces.ensure(ctx.workspace, _valid_zone(ctx.user_tz) or "UTC")
            user_id, created = await self.rt.workspaces.sync_chat_user(
                ws.id,
                ctx.platform,
                ctx.team_id,
                ctx.user_id,
                ctx.user_name,
                _valid_zone(ctx.user_tz),
            )
            stored = await self.rt.workspaces.user_timezone(user_id)
        tz = _valid_zone(stored) or _valid_zone(ctx.user_tz) or ws.timezone
        return Identity(ws.id, user_id, tz, created)

    async def handle(self, ctx: ChatContext, text: str, media: Sequence[MediaView] = ()) -> Reply:
        """Answer one message (or slash command) that may carry media."""
        me = await self.identify(ctx)
        command = parse_command(text)
        try:
            return await self._run(ctx, me, command.kind, command.arg, media)
        except RequestProblem as exc:
            return render.problem(exc.problems, exc.hint)
        except OutpostError as exc:
            return Reply(str(exc), private=True)

    async def _run(
        self, ctx: ChatContext, me: Identity, kind: str, arg: str, media: Sequence[MediaView]
    ) -> Reply:
        if kind == "help":
            return render.help_reply(arg)
        if kind == "timezone":
            return await self._timezone(me, arg)
        if kind == "accounts":
            # Each account's network is asked who it is (scheduler.health): ok or what to do.
            return render.account_health(await check_workspace(self.rt, me.workspace_id))
        if kind == "digest":
            return await self._digest(ctx, me, arg)
        if kind == "posts":
            posts = await self.scheduler.list(
                me.workspace_id, start=self.rt.clock.now(), statuses=("scheduled",), limit=10
            )
            return render.post_list(posts, me.tz)
        if kind == "calendar":
            url = await create_login_link(self.rt, me.workspace_id, me.user_id, next_path="/")
            return Reply(
                f"Your calendar: {url}\nThe link works once, for 15 minutes.", private=True
            )
        if kind == "connect":
            return self._connect(me, arg)
        if not ctx.can_schedule:
            return Reply("Only this chat's admins can schedule or change posts.", private=True)
        if kind == "cancel":
            return await self._cancel(me, arg)
        post = await self.scheduler.schedule(
            me.workspace_id,
            arg,
            tz=me.tz,
            user_id=me.user_id,
            media=media,
            origin=ctx.origin | {"platform": ctx.platform, "team_id": ctx.team_id},
        )
        return render.scheduled(post, me.tz)

    async def _digest(self, ctx: ChatContext, me: Identity, arg: str) -> Reply:
        choice = arg.strip().lower()
        if choice not in ("on", "off"):
            return Reply(
                "Say `digest on` for a weekly summary here, or `digest off`.", private=True
            )
        origin = ctx.origin | {"platform": ctx.platform, "team_id": ctx.team_id}
        if not await subscribe(self.rt, me.workspace_id, origin, me.tz, choice == "on"):
            return Reply("This chat cannot get the digest.", private=True)
        if choice == "on":
            return Reply(
                "Every Monday I'll post here what's scheduled for the week, what failed last "
                "week and why, and which accounts need attention. `digest off` stops it."
            )
        return Reply("No more weekly digests here. `digest on` brings them back.")

    async def _timezone(self, me: Identity, arg: str) -> Reply:
        zone = _valid_zone(arg.strip())
        if zone is None:
            return Reply(
                f"“{arg.strip()}” is not a time zone I know. Try `timezone Europe/Berlin` "
                f"or `timezone America/New_York`. Yours is {me.tz}.",
                private=True,
            )
        await self.rt.workspaces.set_user_timezone(me.user_id, zone)
        return Reply(f"Your time zone is now {zone}.", private=True)

    def _connect(self, me: Identity, arg: str) -> Reply:
        platform = canonical_platform(arg.strip()) if arg.strip() else ""
        if platform not in PUBLISHERS:
            known = ", ".join(sorted(PUBLISHERS))
            return Reply(
                f"Which network? e.g. `connect mastodon`. I can post to: {known}.", private=True
            )
        url = connect_link(self.rt, me.workspace_id, me.user_id, platform)
        return Reply(f"Connect {platform}: {url}\nThe link works for 15 minutes.", private=True)

    async def _cancel(self, me: Identity, arg: str) -> Reply:
        post_id = await self._post_id(me, arg)
        post = await self.scheduler.cancel(me.workspace_id, post_id)
        return Reply(f"Cancelled: {post.content[:80]} ({post.id})", private=True, post=post)

    async def _post_id(self, me: Identity, arg: str) -> uuid.UUID:
        text = arg.strip()
        if not text:
            raise RequestProblem(["Which post? Write `cancel` and its id (see `posts`)."])
        try:
            return uuid.UUID(text)
        except ValueError:
            pass
        # People paste the first characters of the id shown in `posts`.
        matches = [
            p.id
            for p in await self.scheduler.list(me.workspace_id, statuses=("scheduled",), limit=500)
            if str(p.id).startswith(text.lower())
        ]
        if len(matches) != 1:
            raise RequestProblem([f"No single scheduled post starts with “{text}”. See `posts`."])
        return matches[0]

    async def press(self, ctx: ChatContext, action: str, post_id: str) -> Reply:
        """A button: the post must belong to the presser's workspace, or nothing happens."""
        me = await self.identify(ctx)
        if action not in ACTIONS:
            return Reply("That button is no longer supported.", private=True)
        if not ctx.can_schedule:
            return Reply("Only this chat's admins can change posts.", private=True)
        try:
            pid = uuid.UUID(post_id)
            if action == "cancel":
                post = await self.scheduler.cancel(me.workspace_id, pid)
                return Reply(f"Cancelled: {post.content[:80]}", post=post)
            if action == "post_now":
                post = await self.scheduler.post_now(me.workspace_id, pid)
                return Reply("Publishing now…", post=post)
            if action == "retry":
                post = await self.scheduler.retry(me.workspace_id, pid)
                return Reply("Trying the failed destinations again…", post=post)
            post = await self.scheduler.get(me.workspace_id, pid)
            return Reply("Reply with the new time, e.g. “tomorrow 10am”.", post=post)
        except ValueError:
            return Reply("That button is broken; use `posts`.", private=True)
        except (NotFound, Conflict) as exc:
            return Reply(str(exc), private=True)

    async def edit_time(self, ctx: ChatContext, post_id: str, phrase: str) -> Reply:
        """Move a post to the time in ``phrase`` (read in the person's zone)."""
        me = await self.identify(ctx)
        if not ctx.can_schedule:
            return Reply("Only this chat's admins can change posts.", private=True)
        found = parse_time(phrase, now=self.rt.clock.now(), tz=me.tz)
        if found is None or found.problems:
            why = list(found.problems) if found else [f"I couldn't find a time in “{phrase}”."]
            return render.problem(why, 'Try: "tomorrow 10am" or "in 2 hours".')
        try:
            post = await self.scheduler.reschedule(me.workspace_id, uuid.UUID(post_id), found.when)
        except (NotFound, Conflict, RequestProblem, ValueError) as exc:
            return Reply(str(exc), private=True)
        return render.scheduled(post, me.tz)
