"""Roles: the migration that gives them, the rules, and the shell commands that change them."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from app import cli, commands
from core.errors import Conflict
from core.states import Role
from scheduler.roles import check_grant, effective, find_member
from scheduler.runtime import Runtime
from storage.db import _plain_dsn, ensure_database, upgrade
from tests.helpers import drop_database
from tests.support import TEST_DB

SCRATCH = TEST_DB + "_roles"


async def test_the_migration_makes_members_editors_and_the_first_or_installer_owner() -> None:
    await drop_database(SCRATCH)
    await ensure_database(SCRATCH)
    await upgrade(SCRATCH, "0006")
    await upgrade(SCRATCH, "0017h")
    conn = await asyncpg.connect(_plain_dsn(SCRATCH))
    ids = {name: uuid.uuid4() for name in ("a", "b", "installer", "solo", "grp1", "grp2")}
    spaces = {name: uuid.uuid4() for name in ("cli", "slack:T1", "telegram:7", "telegram:-100")}
    try:
        for name, ws in spaces.items():
            await conn.execute("INSERT INTO workspaces (id, name) VALUES ($1, $2)", ws, name)
        for n, uid in enumerate(ids.values()):
            await conn.execute(
                "INSERT INTO users (id, created_at) VALUES ($1, now() + $2 * interval '1 s')",
                uid, n,
            )  # fmt: skip
        members = [("cli", "a"), ("cli", "b"), ("slack:T1", "a"), ("slack:T1", "installer"),
                   ("telegram:7", "solo"), ("telegram:-100", "grp1"), ("telegram:-100", "grp2")]
        for ws, user in members:
            await conn.execute(
                "INSERT INTO workspace_members (workspace_id, user_id, role)"
                " VALUES ($1, $2, 'member')", spaces[ws], ids[user],
            )  # fmt: skip
        await conn.execute(
            "INSERT INTO chat_identities (id, user_id, platform, team_id, external_id)"
            " VALUES ($1, $2, 'slack', 'T1', 'UINST')", uuid.uuid4(), ids["installer"],
        )  # fmt: skip
        await conn.execute(
            "INSERT INTO slack_installations (id, client_id, team_id, installer_user_id,"
            " bot_token_enc, installed_at) VALUES ($1, 'c', 'T1', 'UINST', 'x', now())",
            uuid.uuid4(),
        )
        await upgrade(SCRATCH)
        rows = await conn.fetch(
            "SELECT w.name, m.user_id, m.role FROM workspace_members m"
            " JOIN workspaces w ON w.id = m.workspace_id"
        )
    finally:
        await conn.close()
    role = {(r["name"], r["user_id"]): r["role"] for r in rows}
    assert role["cli", ids["a"]] == "owner"
    assert role["cli", ids["b"]] == "editor"
    assert role["slack:T1", ids["installer"]] == "owner"
    assert role["slack:T1", ids["a"]] == "editor"
    assert role["telegram:7", ids["solo"]] == "owner"
    # A Telegram group's members are viewers; its admins are editors whatever is stored.
    assert {role["telegram:-100", ids["grp1"]], role["telegram:-100", ids["grp2"]]} == {"viewer"}
    await drop_database(SCRATCH)


def test_the_rules() -> None:
    assert effective("viewer", "editor") == Role.EDITOR
    assert effective("admin", "editor") == Role.ADMIN
    assert effective(None) == Role.VIEWER
    check_grant(Role.ADMIN, Role.EDITOR, Role.VIEWER, owners=1)
    with pytest.raises(Conflict, match="Only an owner"):
        check_grant(Role.ADMIN, Role.EDITOR, Role.OWNER, owners=1)
    with pytest.raises(Conflict, match="at least one owner"):
        check_grant(Role.OWNER, Role.OWNER, Role.ADMIN, owners=1)
    with pytest.raises(Conflict, match="owners and admins"):
        check_grant(Role.EDITOR, Role.VIEWER, Role.EDITOR, owners=1)


async def test_outpost_members_and_workspace_approval(
    runtime: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = await runtime.workspaces.create("acme")
    first, _ = await runtime.workspaces.sync_chat_user(ws.id, "slack", "T9", "U1", "Ada")
    second, _ = await runtime.workspaces.sync_chat_user(ws.id, "slack", "T9", "U2", "Bo")
    assert await runtime.approvals.role(ws.id, first) == "owner"
    assert await runtime.approvals.role(ws.id, second) == "editor"

    async def run(*argv: str) -> str:
        await commands._one_shot(runtime, cli._parser().parse_args(argv))
        return capsys.readouterr().out

    listed = await run("members", "--workspace", "acme")
    assert "owner\tAda" in listed
    assert "editor\tBo" in listed
    assert "admin\tBo" in await run("members", "--workspace", "acme", "--set", "U2", "admin")
    assert find_member(await runtime.approvals.members(ws.id), "<@U2>") is not None
    with pytest.raises(Conflict, match="at least one owner"):
        await run("members", "--workspace", "acme", "--set", str(first), "viewer")
    assert "approval on in acme" in await run("workspace", "approval", "acme", "on")
    assert await runtime.approvals.workspace_approval(ws.id) is True
