"""The tools and resources: each a thin call into the ``scheduler`` use cases, answering in
the REST API's JSON shapes (``webhooks.render``) so an agent reads one vocabulary."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated, Any, TypeVar

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations
from pydantic import Field

from core.errors import OutpostError
from core.states import PostStatus
from mcpserver.calls import KEY_NOTE, Who, need, once, parse_time, refusal
from scheduler import edits
from scheduler.accounts.usecases import list_accounts
from scheduler.drafts import Draft, check_zone
from scheduler.edits import Change
from scheduler.health.checks import check_workspace
from scheduler.media.fetch import ingest_url
from scheduler.runtime import Runtime
from scheduler.service import Scheduler
from scheduler.views import MediaView, PostView, TokenView
from webhooks.render import account_json, iso, media_json, post_json, preview_json

T = TypeVar("T")
INSTRUCTIONS = (
    "Outpost schedules posts to the workspace's connected social accounts. Call `accounts` "
    "to see where posts can go, `preview` before `schedule` to see each destination's text "
    "and problems, and pass an `idempotency_key` to every tool that changes something so a "
    "retry cannot post twice. Edits carry the post's `revision` from `get_post`; a 'conflict' "
    "answer names the current one."
)

Request = Annotated[
    str | None,
    Field(description="The post as a sentence, e.g. 'tomorrow 9am to mastodon: We're live!' "
          "(time, destinations before the colon, text after). Give this or text+when+"
          "destinations."),
]  # fmt: skip
Text = Annotated[str | None, Field(description="The post's text (with `when`, `destinations`).")]
When = Annotated[str | None, Field(description="ISO-8601 time with an offset.")]
Destinations = Annotated[
    list[str] | None,
    Field(description="Accounts as `platform` or `platform:handle` (see `accounts`), or 'all'."),
]
MediaIds = Annotated[
    list[str] | None, Field(description="Media ids from `upload_media_from_url`, in order.")
]
Parts = Annotated[
    list[str] | None,
    Field(description="A thread's posts in order (instead of `text`): each a reply to the one "
          "before on X, Bluesky, Mastodon and Threads, joined into one post elsewhere."),
]  # fmt: skip
FirstComment = Annotated[
    str | None,
    Field(description="Posted right after the post: a reply on X, Bluesky, Mastodon and "
          "Threads, a comment on LinkedIn, Facebook and Instagram."),
]  # fmt: skip
Key = Annotated[str | None, Field(description="Send the same key when retrying this call.")]
PostId = Annotated[str, Field(description="The post's id.")]
Revision = Annotated[
    int | None,
    Field(description="The post's `revision` you based this on; refused if it changed since."),
]
WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True)
READ = ToolAnnotations(read_only_hint=True)


def build_server(rt: Runtime, who: Who) -> MCPServer[Any]:
    """The MCP server over ``rt``; ``who`` says which token each call comes with."""
    server: MCPServer[Any] = MCPServer(
        "outpost", instructions=INSTRUCTIONS, version="1", log_level="WARNING"
    )
    scheduler = Scheduler(rt)

    async def caller(ctx: Context, scope: str) -> TokenView:
        token = await who(ctx)
        need(token, scope)
        return token

    async def guarded(work: Awaitable[T]) -> T:
        try:
            return await work
        except OutpostError as exc:
            raise refusal(exc) from None

    async def post_id_of(raw: str) -> uuid.UUID:
        try:
            return uuid.UUID(raw)
        except ValueError:
            raise ToolError(f"not found: no post with id {raw!r}.") from None

    async def media_of(token: TokenView, ids: list[str] | None) -> list[MediaView] | None:
        if ids is None:
            return None
        try:
            wanted = [uuid.UUID(i) for i in ids]
        except ValueError:
            raise ToolError(
                "invalid request: media ids are UUIDs from upload_media_from_url."
            ) from None
        return list(await guarded(rt.library.get_many(token.workspace_id, wanted)))

    async def draft(token: TokenView, request: str | None, text: str | None, when: str | None,
                    destinations: list[str] | None, media: list[str] | None,
                    timezone: str | None) -> Draft:  # fmt: skip
        workspace = await rt.workspaces.by_id(token.workspace_id)
        files = await media_of(token, media) or []
        if request is not None:
            zone = check_zone(timezone or workspace.timezone)
            return await scheduler.understand(workspace.id, request, tz=zone, media=files)
        if text is None or when is None or not destinations:
            raise ToolError("invalid request: give `request`, or `text`, `when` and "
                            "`destinations`.")  # fmt: skip
        moment = parse_time(when, "when", rt.clock.now())
        return await scheduler.draft_fields(workspace.id, text=text, when=moment,
                                            destinations=destinations, tz=workspace.timezone,
                                            media=files)  # fmt: skip

    @server.tool(annotations=READ)
    async def preview(
        ctx: Context,
        request: Request = None,
        text: Text = None,
        when: When = None,
        destinations: Destinations = None,
        media_ids: MediaIds = None,
        timezone: str | None = None,
    ) -> dict[str, Any]:
        """Check a post without storing anything: when it would go, per destination the text
        as it will be sent, its length against the limit, and every problem."""  # fmt: skip
        token = await caller(ctx, "read")
        found = await guarded(draft(token, request, text, when, destinations, media_ids,
                                    timezone))  # fmt: skip
        return preview_json(edits.preview_of(scheduler, found))

    @server.tool(
        annotations=WRITE,
        description="Schedule a post, from a sentence (`request`) "
        "or from `text`, `when` and `destinations`. Answers the stored post." + KEY_NOTE,
    )
    async def schedule(ctx: Context, request: Request = None, text: Text = None,
                       when: When = None, destinations: Destinations = None,
                       media_ids: MediaIds = None, timezone: str | None = None,
                       idempotency_key: Key = None, parts: Parts = None,
                       first_comment: FirstComment = None) -> dict[str, Any]:  # fmt: skip
        token = await caller(ctx, "write")
        args = {"request": request, "text": text, "when": when, "destinations": destinations,
                "media_ids": media_ids, "timezone": timezone, "parts": parts,
                "first_comment": first_comment}  # fmt: skip
        origin = {"platform": "mcp", "token_id": str(token.id)}

        async def run() -> dict[str, Any]:
            workspace = await rt.workspaces.by_id(token.workspace_id)
            files = await media_of(token, media_ids) or []
            post: PostView
            if request is not None:
                zone = check_zone(timezone or workspace.timezone)
                post = await scheduler.schedule(workspace.id, request, tz=zone, media=files,
                                                origin=origin)  # fmt: skip
            else:
                if (text is None and not parts) or when is None or not destinations:
                    raise ToolError("invalid request: give `request`, or `text` (or `parts`), "
                                    "`when` and `destinations`.")  # fmt: skip
                post = await scheduler.schedule_fields(
                    workspace.id, text=text or "", when=parse_time(when, "when", rt.clock.now()),
                    destinations=destinations, tz=workspace.timezone, media=files, origin=origin,
                    parts=parts or (), first_comment=first_comment,
                )  # fmt: skip
            return post_json(post)

        return await once(rt, token, "schedule", args, idempotency_key, run)

    @server.tool(annotations=READ)
    async def list_posts(
        ctx: Context,
        start: When = None,
        end: When = None,
        status: list[str] | None = None,
        q: str | None = None,
        cursor: str | None = None,
        limit: int = 20,
    ) -> dict[str, Any]:
        """Posts by due time: optionally in [start, end), with these statuses, whose text
        contains `q`. Pass `next_cursor` back as `cursor` for the next page."""  # fmt: skip
        token = await caller(ctx, "read")
        now = rt.clock.now()
        unknown = [s for s in status or [] if s not in set(PostStatus)]
        if unknown:
            raise ToolError(f"invalid request: unknown status {unknown[0]!r}; one of "
                            f"{', '.join(PostStatus)}.")  # fmt: skip
        posts, next_cursor = await guarded(edits.page(
            scheduler, token.workspace_id, start=parse_time(start, "start", now) if start else None,
            end=parse_time(end, "end", now) if end else None, statuses=status or [], text=q,
            cursor=cursor, limit=max(1, min(limit, 100)),
        ))  # fmt: skip
        return {"items": [post_json(p) for p in posts], "next_cursor": next_cursor}

    @server.tool(annotations=READ)
    async def get_post(ctx: Context, post_id: PostId) -> dict[str, Any]:
        """One post with its destinations (and their links once published), media and
        `revision`."""
        token = await caller(ctx, "read")
        post = await guarded(scheduler.get(token.workspace_id, await post_id_of(post_id)))
        return post_json(post)

    def mutation(name: str, summary: str) -> Callable[[Callable[..., Any]], Any]:
        return server.tool(name=name, annotations=WRITE, description=summary + KEY_NOTE)

    @mutation("edit_post", "Change a scheduled post's text, time, destinations or media (each "
              "optional; media_ids=[] removes the files). Destinations and media cannot change "
              "once one destination has published or is publishing. With dry_run, answers the "
              "preview and changes nothing.")  # fmt: skip
    async def edit_post(ctx: Context, post_id: PostId, text: Text = None, when: When = None,
                        destinations: Destinations = None, media_ids: MediaIds = None,
                        revision: Revision = None, dry_run: bool = False,
                        idempotency_key: Key = None) -> dict[str, Any]:  # fmt: skip
        token = await caller(ctx, "read" if dry_run else "write")
        target = await post_id_of(post_id)

        async def change() -> Change:
            return Change(text=text, destinations=destinations, revision=revision,
                          when=parse_time(when, "when", rt.clock.now()) if when else None,
                          media=await media_of(token, media_ids))  # fmt: skip

        if dry_run:
            shown = await guarded(
                edits.preview_change(scheduler, token.workspace_id, target, await change())
            )
            return preview_json(shown)

        async def run() -> dict[str, Any]:
            return post_json(await edits.revise(scheduler, token.workspace_id, target,
                                                await change()))  # fmt: skip

        args = {"post_id": post_id, "text": text, "when": when, "destinations": destinations,
                "media_ids": media_ids, "revision": revision}  # fmt: skip
        return await once(rt, token, "edit_post", args, idempotency_key, run)

    @mutation("reschedule_post", "Move a scheduled post to `when`.")
    async def reschedule_post(ctx: Context, post_id: PostId, when: str,
                              revision: Revision = None,
                              idempotency_key: Key = None) -> dict[str, Any]:  # fmt: skip
        token = await caller(ctx, "write")
        target = await post_id_of(post_id)

        async def run() -> dict[str, Any]:
            moment = parse_time(when, "when", rt.clock.now())
            change = Change(when=moment, revision=revision)
            return post_json(await edits.revise(scheduler, token.workspace_id, target, change))

        args = {"post_id": post_id, "when": when, "revision": revision}
        return await once(rt, token, "reschedule_post", args, idempotency_key, run)

    @mutation("publish_now", "Publish a scheduled post now.")
    async def publish_now(ctx: Context, post_id: PostId, revision: Revision = None,
                          idempotency_key: Key = None) -> dict[str, Any]:  # fmt: skip
        token = await caller(ctx, "write")
        target = await post_id_of(post_id)

        async def run() -> dict[str, Any]:
            return post_json(await edits.publish_now(scheduler, token.workspace_id, target,
                                                     revision))  # fmt: skip

        args = {"post_id": post_id, "revision": revision}
        return await once(rt, token, "publish_now", args, idempotency_key, run)

    @mutation("cancel_post", "Cancel a scheduled post; nothing of it is published.")
    async def cancel_post(ctx: Context, post_id: PostId,
                          idempotency_key: Key = None) -> dict[str, Any]:  # fmt: skip
        token = await caller(ctx, "write")
        target = await post_id_of(post_id)

        async def run() -> dict[str, Any]:
            return post_json(await scheduler.cancel(token.workspace_id, target))

        return await once(rt, token, "cancel_post", {"post_id": post_id}, idempotency_key, run)

    @mutation("retry_post", "Retry the failed destinations of a post.")
    async def retry_post(ctx: Context, post_id: PostId,
                         idempotency_key: Key = None) -> dict[str, Any]:  # fmt: skip
        token = await caller(ctx, "write")
        target = await post_id_of(post_id)

        async def run() -> dict[str, Any]:
            return post_json(await scheduler.retry(token.workspace_id, target))

        return await once(rt, token, "retry_post", {"post_id": post_id}, idempotency_key, run)

    @mutation(
        "upload_media_from_url",
        "Fetch a photo or video from a public http(s) URL and "
        "store it; answers its id for `media_ids`. Private and local addresses are "
        "refused; the file is identified by its content, within the size limit.",
    )
    async def upload_media_from_url(ctx: Context, url: str,
                                    idempotency_key: Key = None) -> dict[str, Any]:  # fmt: skip
        token = await caller(ctx, "write")

        async def run() -> dict[str, Any]:
            return media_json(await ingest_url(rt, token.workspace_id, url))

        return await once(rt, token, "upload_media_from_url", {"url": url}, idempotency_key,
                          run)  # fmt: skip

    @server.tool(annotations=READ)
    async def accounts(ctx: Context, check: bool = False) -> dict[str, Any]:
        """Connected accounts (where posts can go) and their health: `status` as stored
        (active, reconnect...), and with check=true each network is asked who it is now
        (nothing is posted) and answers ok, reconnect, outdated or unreachable."""
        token = await caller(ctx, "read")
        items = [account_json(a) for a in await list_accounts(rt, token.workspace_id)]
        if check:
            results = {str(r.account.id): r for r in await check_workspace(rt, token.workspace_id)}
            for item in items:
                found = results.get(item["id"])
                if found is not None:
                    item["health"] = {"status": found.health.status, "reason": found.health.reason,
                                      "advice": found.advice, "link": found.link}  # fmt: skip
        return {"items": items}

    @server.resource("outpost://posts/{post_id}", mime_type="application/json")
    async def post_resource(post_id: str, ctx: Context) -> str:
        """One post as JSON."""
        token = await caller(ctx, "read")
        post = await guarded(scheduler.get(token.workspace_id, await post_id_of(post_id)))
        return json.dumps(post_json(post))

    @server.resource("outpost://calendar/{days}", mime_type="application/json")
    async def calendar(days: str, ctx: Context) -> str:
        """The posts due from now over the next `days` days (1-60), oldest first."""
        token = await caller(ctx, "read")
        if not days.isdigit() or not 1 <= int(days) <= 60:
            raise ToolError("The calendar window is 1 to 60 days, e.g. outpost://calendar/7.")
        now = rt.clock.now()
        end = now + timedelta(days=int(days))
        posts, _ = await edits.page(scheduler, token.workspace_id, start=now, end=end, limit=200)
        return json.dumps({"start": iso(now), "end": iso(end),
                           "items": [post_json(p) for p in posts]})  # fmt: skip

    return server
