"""What each ``outpost`` subcommand does once settings are loaded."""

from __future__ import annotations

import argparse
import sys
import uuid
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from app.serve import migrate, serve
from core.errors import ConfigError, OutpostError
from core.settings import Settings
from core.states import Role
from scheduler.accounts.access import rotate_keys
from scheduler.accounts.usecases import connect_with_token, list_accounts
from scheduler.api_tokens import create_token
from scheduler.health.checks import check_workspace, describe
from scheduler.media.ingest import ingest_path
from scheduler.reader import ParsedRequest, read_request
from scheduler.reader.limits import text_problems
from scheduler.roles import find_member, parse_role, set_role
from scheduler.runtime import Runtime, open_runtime
from scheduler.service import Scheduler


def parse_request(text: str, *, now: datetime, tz: str, lang: str | None = None) -> ParsedRequest:
    """``outpost parse``: the request as read, plus what the named networks would refuse."""
    result = read_request(text, now=now, tz=tz, lang=lang)
    too_long = text_problems(result)
    return replace(result, problems=result.problems + tuple(too_long)) if too_long else result


def describe_parse(result: ParsedRequest) -> str:
    lines = [
        f"when:         {result.when.isoformat() if result.when else '(none)'}",
        f"timezone:     {result.timezone}",
        f"recurrence:   {result.recurrence or '(once)'}",
        f"destinations: {', '.join(result.destinations) or '(none)'}",
        f"text:         {result.text}",
        f"language:     {result.lang}",
    ]
    lines += [f"problem:      {p}" for p in result.problems]
    return "\n".join(lines)


async def dispatch(settings: Settings, args: argparse.Namespace) -> int:
    command = args.command
    if command in ("run", "migrate"):
        await migrate(settings)
        if command == "migrate":
            print("database is at the newest schema")
            return 0
    if command in ("run", "web", "worker"):
        await serve(settings, with_web=command != "worker", with_worker=command != "web")
        return 0
    async with open_runtime(settings, pool_size=2) as runtime:
        return await _one_shot(runtime, args)


async def _one_shot(rt: Runtime, args: argparse.Namespace) -> int:
    command, action = args.command, getattr(args, "action", None)
    if command == "workspace" and action == "create":
        ws = await rt.workspaces.create(args.name, args.tz)
        print(f"workspace {ws.name} ({ws.id})")
    elif command == "token" and action == "create":
        ws = await rt.workspaces.by_name(args.workspace)
        token, _ = await create_token(rt, ws.id, args.name, args.scopes.split())
        print(token)
        print("Keep it now: Outpost stores only its hash.", file=sys.stderr)
    elif command == "accounts" and action == "add":
        await _add_account(rt, args)
    elif command == "accounts" and action == "list":
        spaces = (
            [await rt.workspaces.by_name(args.workspace)]
            if args.workspace
            else (await rt.workspaces.workspaces())
        )
        for ws in spaces:
            for acc in await list_accounts(rt, ws.id):
                print(f"{ws.name}\t{acc.platform}:{acc.handle}\t{acc.status}\t{acc.base_url}")
    elif command == "accounts" and action == "check":
        return await _check_accounts(rt, args)
    elif command == "keys" and action == "rotate":
        count = await rotate_keys(rt)
        print(f"re-encrypted {count} tokens; keys after the first in ENCRYPTION_KEYS may go")
    elif command == "schedule":
        await _schedule(rt, args)
    elif command == "posts":
        await _posts(rt, args)
    elif command == "cancel":
        post = await Scheduler(rt).cancel(None, _uuid(args.id))
        print(f"cancelled {post.id}")
    elif command == "workspace" and action == "approval":
        await _approval(rt, args)
    elif command == "members":
        await _members(rt, args)
    return 0


async def _approval(rt: Runtime, args: argparse.Namespace) -> None:
    ws = await rt.workspaces.by_name(args.name)
    on = args.state == "on"
    if args.account:
        wanted = args.account.lower()
        found = [a for a in await rt.workspaces.accounts(ws.id)
                 if f"{a.platform}:{a.handle}".lower() == wanted]  # fmt: skip
        if not found:
            raise OutpostError(f"No account {args.account} in {ws.name}.",
                               "See `outpost accounts list`.")  # fmt: skip
        await rt.approvals.set_account_approval(ws.id, found[0].id, on)
        print(f"approval {args.state} for posts to {args.account} in {ws.name}")
        return
    await rt.approvals.set_workspace_approval(ws.id, on)
    print(f"approval {args.state} in {ws.name}")


async def _members(rt: Runtime, args: argparse.Namespace) -> None:
    ws = await rt.workspaces.by_name(args.workspace)
    members = await rt.approvals.members(ws.id)
    if args.set:
        key, role = args.set
        target = find_member(members, key)
        if target is None:
            raise OutpostError(f"No member {key!r} in {ws.name}.",
                               f"See `outpost members --workspace {ws.name}`.")  # fmt: skip
        # The shell is the operator's: it may make or unmake anyone, the last owner aside.
        await set_role(rt, ws.id, Role.OWNER, target, parse_role(role))
        members = await rt.approvals.members(ws.id)
    for m in members:
        chats = ",".join(f"{c[0]}:{c[2]}" for c in m.chats)
        print(f"{m.user_id}\t{m.role}\t{m.display_name or ''}\t{m.email or ''}\t{chats}")


def _uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise OutpostError(
            f"“{text}” is not a post id.", "Ids look like 3f2b…; see `outpost posts`."
        ) from None


async def _check_accounts(rt: Runtime, args: argparse.Namespace) -> int:
    spaces = (
        [await rt.workspaces.by_name(args.workspace)]
        if args.workspace
        else (await rt.workspaces.workspaces())
    )
    failing = 0
    for ws in spaces:
        for result in await check_workspace(rt, ws.id):
            failing += not result.ok
            print(f"{ws.name}\t{describe(result)}")
    return 1 if failing else 0


async def _add_account(rt: Runtime, args: argparse.Namespace) -> None:
    ws = await rt.workspaces.by_name(args.workspace)
    token = sys.stdin.readline().strip() if args.token_stdin else (args.token or "")
    platform = args.platform.lower()
    if platform not in rt.publishers:
        raise ConfigError(
            f"Outpost cannot post to {platform!r}.",
            "Supported: " + ", ".join(sorted(rt.publishers)) + ".",
        )
    if not token and platform != "webhook":
        raise ConfigError("This account needs a token.", "Pass it on stdin with --token-stdin.")
    if not args.handle:
        raise ConfigError("Name the account with --handle, e.g. --handle @me@mastodon.social.")
    settings = dict(s.split("=", 1) for s in args.setting if "=" in s)
    made = await connect_with_token(
        rt, ws.id, platform, args.handle, token, base_url=args.base_url, settings=settings
    )
    if made.secret is not None:
        print(f"signing secret (shown once): {made.secret}", file=sys.stderr)
    account = made.account
    print(f"connected {account.platform}:{account.handle} ({account.id})")


async def _schedule(rt: Runtime, args: argparse.Namespace) -> None:
    ws = await rt.workspaces.by_name(args.workspace)
    media = [await ingest_path(rt, ws.id, Path(p)) for p in args.media]
    post = await Scheduler(rt).schedule(
        ws.id, args.request, tz=args.tz or ws.timezone, media=media, origin={"platform": "cli"},
        role=Role.OWNER,  # the operator's shell
    )
    print(f"{post.id}\t{post.scheduled_at.isoformat()}")


async def _posts(rt: Runtime, args: argparse.Namespace) -> None:
    spaces = (
        [await rt.workspaces.by_name(args.workspace)]
        if args.workspace
        else (await rt.workspaces.workspaces())
    )
    for ws in spaces:
        for post in await Scheduler(rt).list(ws.id, statuses=args.status, limit=1000):
            where = ",".join(f"{d.platform}:{d.handle}={d.status}" for d in post.destinations)
            text = post.content.replace("\n", " ")[:50]
            print(f"{post.id}\t{post.scheduled_at.isoformat()}\t{post.status}\t{where}\t{text}")
