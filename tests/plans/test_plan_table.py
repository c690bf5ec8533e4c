"""The plan table: PLANS_FILE checked at start-up with a clear message, the lifting plan, the
``outpost workspace plan`` command."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ConfigError
from core.plans import BUILTIN, PlanTable, load_plans
from core.settings import Settings
from scheduler.plans import plan_allows_approval, set_plan
from scheduler.runtime import Runtime
from tests.helpers import outpost
from tests.support import env_for, make_settings


def test_builtin_table_and_default_plan(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    table = settings.plan_table()
    assert list(table.plans) == ["free", "pro", "team", "unlimited"]
    assert table.default == "unlimited"
    unlimited = table.get(None)
    assert (unlimited.accounts, unlimited.posts_per_month, unlimited.members) == (None,) * 3
    assert table.lifting(BUILTIN["free"], "accounts", 4) == BUILTIN["pro"]
    assert table.lifting(BUILTIN["team"], "accounts", 51) == BUILTIN["unlimited"]


@pytest.mark.parametrize(
    ("content", "suffix", "expected"),
    [
        ('[plans.small]\naccounts = "three"\n', ".toml", "plans.small.accounts"),
        ("[plans.small]\nacounts = 3\n", ".toml", "plans.small.acounts: Extra inputs"),
        ("[plans.small]\nmembers = 0\n", ".toml", "plans.small.members"),
        ("[plans\n", ".toml", "is not valid TOML"),
        ('{"plans": {"Big Plan": {}}}', ".json", "'Big Plan' is not a plan name"),
        ('{"plans": {}}', ".json", "plans: Dictionary should have at least 1 item"),
    ],
)
def test_a_malformed_plans_file_stops_start_up_saying_what_is_wrong(
    tmp_path: Path, content: str, suffix: str, expected: str
) -> None:
    path = tmp_path / f"plans{suffix}"
    path.write_text(content)
    with pytest.raises(ConfigError) as err:
        make_settings(tmp_path, plans_file=path)
    assert "PLANS_FILE" in err.value.message
    assert expected in err.value.message


def test_default_plan_must_be_in_the_table(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        make_settings(tmp_path, default_plan="gold")
    assert "DEFAULT_PLAN 'gold' is not a plan" in err.value.message
    path = tmp_path / "plans.json"
    path.write_text('{"plans": {"gold": {"accounts": 1, "approval": false}}}')
    table = load_plans(path, "gold")
    assert isinstance(table, PlanTable)
    assert table.get(None).accounts == 1


async def test_plan_command_and_approval_flag(runtime: Runtime, settings: Settings) -> None:
    ws = await runtime.workspaces.create("acme")
    assert await plan_allows_approval(runtime, ws.id)  # unlimited by default
    await set_plan(runtime, "acme", "tiny")
    assert not await plan_allows_approval(runtime, ws.id)
    env = env_for(settings, PLANS_FILE=str(settings.plans_file))
    done = await outpost(env, "workspace", "plan", "acme", "bigger")
    assert done.returncode == 0, done.stderr
    assert "workspace acme: plan bigger" in done.stdout
    assert "connected accounts: 0 of 5" in done.stdout
    assert await plan_allows_approval(runtime, ws.id)
    done = await outpost(env, "workspace", "plan", "acme", "platinum")
    assert done.returncode != 0
    assert "There is no plan 'platinum'" in done.stderr
