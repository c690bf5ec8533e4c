"""``outpost parse``: how a request is understood, without settings, a database or a network."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from datetime import datetime

from core.clock import SystemClock
from scheduler.reader import ParsedRequest, read_request
from scheduler.reader.limits import text_problems
from scheduler.reader.trailing import read_with_lines


def parse_request(text: str, *, now: datetime, tz: str, lang: str | None = None) -> ParsedRequest:
    """The request as read, plus what the named networks would refuse."""
    result, _ = read_with_lines(
        text, read=lambda head: read_request(head, now=now, tz=tz, lang=lang)
    )
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


def parse_command(args: argparse.Namespace) -> int:
    """One request, or one per line from stdin as JSON lines."""
    now = datetime.fromisoformat(args.now) if args.now else SystemClock().now()
    if now.tzinfo is None:
        print("--now needs an offset, e.g. 2026-11-28T10:00:00+01:00", file=sys.stderr)
        return 2
    if args.request is None:
        for line in sys.stdin:
            result = parse_request(line.rstrip("\n"), now=now, tz=args.tz, lang=args.lang)
            sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
        return 0
    result = parse_request(args.request, now=now, tz=args.tz, lang=args.lang)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
        return 0 if not result.problems else 1
    print(describe_parse(result))
    return 0 if not result.problems else 1
