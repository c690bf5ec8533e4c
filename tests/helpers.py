"""Building blocks for pipeline tests: a workspace with connected fake accounts."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from dataclasses import dataclass

import asyncpg

from scheduler.runtime import Runtime
from storage.db import _plain_dsn
from storage.views import AccountView, WorkspaceView
from tests.support import ROOT, TEST_DB


@dataclass
class Team:
    """A workspace and its accounts."""

    workspace: WorkspaceView
    accounts: dict[str, AccountView]


async def team(
    rt: Runtime,
    name: str = "acme",
    *,
    mastodon_url: str | None = None,
    webhook_url: str | None = None,
    webhook_secret: str = "",
    tz: str = "Europe/Berlin",
) -> Team:
    ws = await rt.workspaces.create(name, tz)
    accounts: dict[str, AccountView] = {}
    if mastodon_url:
        accounts["mastodon"] = await rt.workspaces.add_account(
            ws.id,
            "mastodon",
            "@outpost@fake.social",
            rt.cipher.encrypt("good-token"),
            base_url=mastodon_url,
        )
    if webhook_url:
        accounts["webhook"] = await rt.workspaces.add_account(
            ws.id,
            "webhook",
            "zapier",
            rt.cipher.encrypt(webhook_secret),
            base_url=webhook_url + "/hook",
        )
    return Team(ws, accounts)


async def count_rows(table: str) -> int:
    conn = await asyncpg.connect(_plain_dsn(TEST_DB))
    try:
        return int(await conn.fetchval(f"SELECT count(*) FROM {table}"))
    finally:
        await conn.close()


async def destination_rows() -> list[asyncpg.Record]:
    conn = await asyncpg.connect(_plain_dsn(TEST_DB))
    try:
        return list(await conn.fetch("SELECT * FROM post_destinations ORDER BY due_at"))
    finally:
        await conn.close()


async def public_tables(dsn: str) -> set[str]:
    """The tables in ``dsn``'s public schema (for migration tests on a scratch database)."""
    conn = await asyncpg.connect(_plain_dsn(dsn))
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await conn.close()
    return {r["tablename"] for r in rows}


async def drop_database(dsn: str) -> None:
    """Drop ``dsn``'s database if it exists, cutting off whoever is connected."""
    admin = await asyncpg.connect(_plain_dsn(TEST_DB, "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{dsn.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await admin.close()


async def outpost(
    env: dict[str, str], *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """Run ``outpost ARGS`` with ``env``; in a thread, so fakes on this loop keep answering."""
    return await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env,
        input=stdin, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
