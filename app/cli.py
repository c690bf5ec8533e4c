"""The ``outpost`` command."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime

from app import commands
from core import aio
from core.clock import SystemClock
from core.errors import OutpostError
from core.logging import setup_logging
from core.settings import load_settings
from scheduler.reader.lang import CODES


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="outpost", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="migrate, then serve HTTP and run the worker in one process")
    sub.add_parser("web", help="serve HTTP only")
    sub.add_parser("worker", help="run the arq worker only")
    sub.add_parser("migrate", help="create the database if needed and upgrade it")

    p = sub.add_parser("parse", help="show how a request is understood; schedule nothing")
    p.add_argument("request", nargs="?")
    p.add_argument("--now", help="ISO-8601 time to read the request at (default: now)")
    p.add_argument("--tz", default="UTC", help="the user's IANA time zone")
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--lang", choices=CODES, help="language of the request (default: guessed per request)"
    )

    p = sub.add_parser("schedule", help="schedule a request from the shell")
    p.add_argument("request")
    p.add_argument("--workspace", required=True)
    p.add_argument("--media", action="append", default=[], metavar="FILE")
    p.add_argument("--tz", help="time zone (default: the workspace's)")

    p = sub.add_parser("posts", help="list posts")
    p.add_argument("--workspace")
    p.add_argument("--status", action="append", default=[])

    p = sub.add_parser("cancel", help="cancel a scheduled post")
    p.add_argument("id")

    p = sub.add_parser("workspace", help="manage workspaces")
    wsub = p.add_subparsers(dest="action", required=True)
    w = wsub.add_parser("create")
    w.add_argument("name")
    w.add_argument("--tz", default="UTC")
    w = wsub.add_parser("approval", help="require approval for posts by editors (or not)")
    w.add_argument("name")
    w.add_argument("state", choices=("on", "off"))
    w.add_argument("--account", help="only for posts to this account (platform:handle)")

    p = sub.add_parser("members", help="a workspace's members and their roles")
    p.add_argument("--workspace", required=True)
    p.add_argument("--set", nargs=2, metavar=("EMAIL_OR_ID", "ROLE"),
                   help="give a member a role: owner, admin, editor or viewer")

    p = sub.add_parser("token", help="manage API tokens")
    tsub = p.add_subparsers(dest="action", required=True)
    t = tsub.add_parser("create")
    t.add_argument("--workspace", required=True)
    t.add_argument("--name", default="cli")
    t.add_argument("--scopes", default="read write",
                   help='space-separated: read, write, approve (the token acts as an approver)')

    p = sub.add_parser("accounts", help="connected accounts")
    asub = p.add_subparsers(dest="action", required=True)
    a = asub.add_parser("add", help="connect a token-based account")
    a.add_argument("platform", help="the network, e.g. mastodon, bluesky, discord, webhook")
    a.add_argument("--workspace", required=True)
    a.add_argument(
        "--handle",
        required=True,
        help="the account's name, e.g. @me@mastodon.social; requests address it by this",
    )
    a.add_argument(
        "--base-url",
        default="",
        help="its server: a Mastodon instance, a Bluesky PDS, a Discord or webhook URL",
    )
    a.add_argument(
        "--token-stdin",
        action="store_true",
        help="read the token or secret from stdin (a webhook account given none gets a new "
        "signing secret, printed once)",
    )
    a.add_argument("--token", help="the token (prefer --token-stdin: argv is visible in ps)")
    a.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a platform setting, e.g. visibility=unlisted; repeat for more",
    )
    a = asub.add_parser("list", help="list connected accounts")
    a.add_argument("--workspace", help="only this workspace's (default: every workspace's)")

    a = asub.add_parser(
        "check",
        help="ask each account's network who it is (nothing is posted); exit 1 if any is not ok",
    )
    a.add_argument("--workspace", help="only this workspace's (default: every workspace's)")

    p = sub.add_parser("keys", help="encryption keys")
    ksub = p.add_subparsers(dest="action", required=True)
    ksub.add_parser("rotate", help="re-encrypt every stored token with the newest key")
    return parser


def parse_command(args: argparse.Namespace) -> int:
    """``outpost parse``: one request, or one per line from stdin as JSON lines."""
    now = datetime.fromisoformat(args.now) if args.now else SystemClock().now()
    if now.tzinfo is None:
        print("--now needs an offset, e.g. 2026-11-28T10:00:00+01:00", file=sys.stderr)
        return 2
    if args.request is None:
        for line in sys.stdin:
            result = commands.parse_request(line.rstrip("\n"), now=now, tz=args.tz, lang=args.lang)
            sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
        return 0
    result = commands.parse_request(args.request, now=now, tz=args.tz, lang=args.lang)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
        return 0 if not result.problems else 1
    print(commands.describe_parse(result))
    return 0 if not result.problems else 1


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "parse":
        return parse_command(args)
    try:
        settings = load_settings()
        setup_logging(settings.log_level)
        return aio.run(commands.dispatch(settings, args))
    except OutpostError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
