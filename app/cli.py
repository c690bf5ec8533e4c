"""The ``outpost`` command."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from core.errors import OutpostError


def _language(code: str) -> str:
    # Checked here, not with ``choices``: the list lives with the reader, which ``--help``
    # should not have to import.
    from scheduler.reader.lang import CODES

    if code not in CODES:
        raise argparse.ArgumentTypeError(f"{code!r} is not one of {', '.join(CODES)}")
    return code


def _positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return number


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="outpost", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="migrate, then serve HTTP and run the worker in one process")
    p = sub.add_parser("web", help="serve HTTP only")
    p.add_argument(
        "--processes",
        type=_positive,
        metavar="N",
        help="serve from N processes sharing the port (default: WEB_PROCESSES, else 1)",
    )
    sub.add_parser("worker", help="run the arq worker only")
    sub.add_parser("migrate", help="create the database if needed and upgrade it")

    p = sub.add_parser("parse", help="show how a request is understood; schedule nothing")
    p.add_argument("request", nargs="?")
    p.add_argument("--now", help="ISO-8601 time to read the request at (default: now)")
    p.add_argument("--tz", default="UTC", help="the user's IANA time zone")
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--lang",
        type=_language,
        help="language of the request: en, es, fr, de, pt, it or ru (default: guessed per request)",
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
    w = wsub.add_parser("plan", help="put a workspace on a plan (free, pro, team, unlimited, "
                        "or PLANS_FILE's); with no PLAN, show its plan and usage")
    w.add_argument("name")
    w.add_argument("plan", nargs="?")
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
                   help="space-separated: read, write, approve (the token acts as an approver)")
    t.add_argument(
        "--expires", metavar="LIFETIME", help="make it stop working after e.g. 30d, 12h, 8w, 90m"
    )

    p = sub.add_parser(
        "mcp",
        help="serve the MCP server over stdio for a local agent (token from OUTPOST_TOKEN, "
        "else the first line of stdin)",
    )
    p.add_argument("--workspace", required=True)

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

    p = sub.add_parser("login", help="print a one-time calendar login link (15 minutes)")
    p.add_argument("--workspace", required=True)
    p.add_argument("--member", metavar="EMAIL", help="log in as the member with this e-mail")

    p = sub.add_parser("keys", help="encryption keys")
    ksub = p.add_subparsers(dest="action", required=True)
    ksub.add_parser("rotate", help="re-encrypt every stored token with the newest key")
    return parser


# Each command's handler, as "module:function", imported only when that command runs.
# Importing them all up front (Alembic, Bolt, PTB, PyAV, every publisher...) cost ~2 s of CPU
# before ``outpost --help`` or ``outpost parse`` could answer. A handler takes the parsed
# arguments and returns the exit status; ``tests/test_cli_imports.py`` keeps each one lean.
HANDLERS: dict[str, str] = {
    "run": "app.serve:serve_command",
    "web": "app.processes:web_command",
    "worker": "app.serve:serve_command",
    "migrate": "app.migrate:migrate_command",
    "parse": "app.parse_command:parse_command",
    "posts": "app.posts_command:posts_command",
    "schedule": "app.commands:one_shot_command",
    "cancel": "app.commands:one_shot_command",
    "workspace": "app.commands:one_shot_command",
    "token": "app.commands:one_shot_command",
    "accounts": "app.commands:one_shot_command",
    "keys": "app.commands:one_shot_command",
    "mcp": "app.commands:mcp_command",
    "login": "app.commands:one_shot_command",
    "members": "app.commands:one_shot_command",
}

Handler = Callable[[argparse.Namespace], int]


def handler(command: str) -> Handler:
    """The function that runs ``command``, imported now."""
    module, _, name = HANDLERS[command].partition(":")
    found: Handler = getattr(importlib.import_module(module), name)
    return found


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return handler(args.command)(args)
    except OutpostError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
