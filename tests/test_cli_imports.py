"""Each ``outpost`` command imports what it runs and nothing heavy it does not need.

A fresh interpreter per case, since this process has imported everything already. The cases
follow ``app.cli.HANDLERS``: every handler module is imported as the CLI would import it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.cli import HANDLERS
from tests.support import ROOT

CHATS = {"slack_bolt", "slack_sdk", "telegram"}
# Loaded at first use by whoever needs them: migrations, video posters, Supabase, templates,
# X's and Bluesky's text rules.
HEAVY = CHATS | {"alembic", "av", "PIL", "supabase", "storage3", "jinja2", "twitter_text"}
SERVICES = {"sqlalchemy", "asyncpg", "aiohttp", "arq", "redis"}


SNIPPET = """
import json, sys
from app.cli import main, handler
args = json.loads(sys.argv[1])
if args[0] == "handler":
    handler(args[1])
else:
    try:
        main(args)
    except SystemExit:
        pass
sys.stdout.write("\\n__MODULES__" + json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def loaded(*args: str) -> set[str]:
    """Top-level packages in ``sys.modules`` after ``args`` ran in a new interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", SNIPPET, json.dumps(args)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return set(json.loads(done.stdout.rsplit("__MODULES__", 1)[1]))


def test_help_imports_nothing_of_the_app() -> None:
    found = loaded("--help")
    assert not found & (HEAVY | SERVICES | {"scheduler", "storage", "publishers", "pydantic"})


def test_parse_reads_without_services_or_twitter_text() -> None:
    found = loaded("parse", "tomorrow 9am to x, bluesky, mastodon: hi")
    assert "scheduler" in found  # it did run
    assert not found & (HEAVY | SERVICES), found & (HEAVY | SERVICES)


# What each command's module may not import (when no chat is configured).
FORBIDDEN = {
    "parse": HEAVY | SERVICES,
    "posts": HEAVY | SERVICES - {"asyncpg"},
    "migrate": HEAVY | {"aiohttp", "arq", "redis"},
    "web": HEAVY | SERVICES,  # the supervisor; one process imports the app when it starts
    "run": HEAVY - {"jinja2"},
    "worker": HEAVY - {"jinja2"},
    "schedule": CHATS | {"alembic", "av", "supabase", "storage3", "twitter_text"},
}


@pytest.fixture(scope="module")
def handler_modules() -> dict[str, set[str]]:
    """What each handler's module loads, two fresh interpreters at a time (one per core):
    each spends seconds importing, and one after another they were a minute of the suite."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        found = pool.map(lambda command: loaded("handler", command), sorted(HANDLERS))
        return dict(zip(sorted(HANDLERS), found, strict=True))


@pytest.mark.parametrize("command", sorted(HANDLERS))
def test_each_command_module_stays_lean(command: str, handler_modules: dict[str, set[str]]) -> None:
    forbidden = FORBIDDEN.get(command, FORBIDDEN["schedule"])
    found = handler_modules[command]
    assert not found & forbidden, f"{command} imports {sorted(found & forbidden)}"


def test_every_command_has_a_handler() -> None:
    from app.cli import _parser, handler

    commands = next(
        a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction)
    ).choices
    assert set(commands) == set(HANDLERS)
    assert all(callable(handler(c)) for c in ("parse", "posts", "web"))
