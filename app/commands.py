"""The ``outpost`` commands that open the runtime, make one change and exit."""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from pathlib import Path

from core import aio
from core.errors import ConfigError, OutpostError
from core.logging import setup_logging
from core.settings import Settings, load_settings
from core.states import Role
from scheduler.accounts.access import rotate_keys
from scheduler.accounts.usecases import connect_with_token, list_accounts
from scheduler.api_tokens import create_token, parse_lifetime
from scheduler.health.checks import check_workspace, describe
from scheduler.logins import create_login_link
from scheduler.media.ingest import ingest_path
from scheduler.plans import check_approval_allowed, plan_usage, set_plan
from scheduler.roles import find_member, parse_role, set_role
from scheduler.runtime import Runtime, open_runtime
from scheduler.service import Scheduler
from scheduler.signin import member_link


def one_shot_command(args: argparse.Namespace) -> int:
    """Commands that open the whole runtime for one change and exit."""
    settings = load_settings()
    setup_logging(settings.log_level)
    return aio.run(_with_runtime(settings, args))


async def _with_runtime(settings: Settings, args: argparse.Namespace) -> int:
    async with open_runtime(settings, pool_size=2) as runtime:
        return await _one_shot(runtime, args)


def _first_line() -> str:
    """The first line of stdin, read a byte at a time: what follows is the MCP protocol, and
    a buffered read would swallow the start of it."""
    taken = bytearray()
    while (byte := os.read(sys.stdin.fileno(), 1)) not in (b"", b"\n"):
        taken += byte
        if len(taken) > 1000:
            break
    return taken.decode(errors="replace").strip()


def mcp_command(args: argparse.Namespace) -> int:
    """``outpost mcp``: the MCP server on stdin/stdout until the client hangs up."""
    settings = load_settings()
    setup_logging(settings.log_level)
    return aio.run(_mcp(settings, args))


async def _mcp(settings: Settings, args: argparse.Namespace) -> int:
    from mcpserver.stdio import serve_stdio  # the MCP SDK loads only for this command

    secret = os.environ.get("OUTPOST_TOKEN", "").strip() or _first_line()
    if not secret:
        raise ConfigError("No API token.", "Set OUTPOST_TOKEN (make one with "
                          "`outpost token create --workspace NAME --expires 30d`).")  # fmt: skip
    async with open_runtime(settings, pool_size=2) as runtime:
        await serve_stdio(runtime, args.workspace, secret)
    return 0


async def _one_shot(rt: Runtime, args: argparse.Namespace) -> int:
    command, action = args.command, getattr(args, "action", None)
    if command == "workspace" and action == "create":
        ws = await rt.workspaces.create(args.name, args.tz)
        print(f"workspace {ws.name} ({ws.id})")
    elif command == "workspace" and action == "plan":
        ws = await rt.workspaces.by_name(args.name)
        if args.plan:
            await set_plan(rt, ws.name, args.plan)
        found = await plan_usage(rt, ws.id)
        plan, used = found.plan, found.usage
        print(f"workspace {ws.name}: plan {plan.name}")
        for label, count, limit in (
            ("connected accounts", used.accounts, plan.accounts),
            ("posts this month", used.posts_this_month, plan.posts_per_month),
            ("members", used.members, plan.members),
        ):
            print(f"  {label}: {count} of {'no limit' if limit is None else limit}")
        upload = "no limit" if plan.upload_mb is None else f"{plan.upload_mb:g} MB"
        print(f"  largest upload: {upload}\n  approval: {'yes' if plan.approval else 'no'}")
    elif command == "token" and action == "create":
        ws = await rt.workspaces.by_name(args.workspace)
        expires = rt.clock.now() + parse_lifetime(args.expires) if args.expires else None
        token, view = await create_token(rt, ws.id, args.name, args.scopes.split(), expires)
        print(token)
        if view.expires_at is not None:
            print(f"It expires at {view.expires_at.isoformat()}.", file=sys.stderr)
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
    elif command == "login":
        ws_id, user_id = await member_link(rt, args.workspace, args.member)
        print(await create_login_link(rt, ws_id, user_id))
    elif command == "keys" and action == "rotate":
        count = await rotate_keys(rt)
        print(f"re-encrypted {count} tokens; keys after the first in ENCRYPTION_KEYS may go")
    elif command == "schedule":
        await _schedule(rt, args)
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
    if on:
        await check_approval_allowed(rt, ws.id)
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
