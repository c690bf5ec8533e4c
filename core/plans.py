"""Plans and their limits: a built-in table (free, pro, team, unlimited) an operator can replace
with a TOML or JSON file (``PLANS_FILE``), checked with pydantic when the process starts.

A limit of ``None`` (left out of the file) means no limit. The file's shape::

    [plans.free]
    accounts = 3
    posts_per_month = 30
    members = 3
    upload_mb = 25
    approval = false

Plans keep the order they are written in; the one that lifts a limit is the next one up with a
higher value (``lifting``), so a refusal can name it.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.errors import ConfigError

Limit = Literal["accounts", "posts_per_month", "members", "upload_mb"]
NAME_PATTERN = r"^[a-z][a-z0-9_-]{0,31}$"


class Plan(BaseModel):
    """What one plan allows; ``None`` is no limit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(default="", pattern=r"^$|" + NAME_PATTERN)
    accounts: int | None = Field(default=None, ge=0)
    posts_per_month: int | None = Field(default=None, ge=0)
    members: int | None = Field(default=None, ge=1)
    upload_mb: float | None = Field(default=None, gt=0)
    approval: bool = True

    def limit(self, which: Limit) -> float | None:
        value: float | None = getattr(self, which)
        return value

    @property
    def upload_bytes(self) -> int | None:
        return None if self.upload_mb is None else int(self.upload_mb * 1024 * 1024)


class PlanFile(BaseModel):
    """The whole file: ``plans`` by name, in the order written."""

    model_config = ConfigDict(extra="forbid")

    plans: dict[str, Plan] = Field(min_length=1)


BUILTIN: dict[str, Plan] = {
    "free": Plan(name="free", accounts=3, posts_per_month=30, members=3, upload_mb=25,
                 approval=False),
    "pro": Plan(name="pro", accounts=10, posts_per_month=1000, members=10, upload_mb=250,
                approval=False),
    "team": Plan(name="team", accounts=50, posts_per_month=10000, members=50, upload_mb=512,
                 approval=True),
    "unlimited": Plan(name="unlimited"),
}  # fmt: skip


class PlanTable:
    """The plans this process knows, in order, and the one a workspace without its own gets."""

    def __init__(self, plans: dict[str, Plan], default: str) -> None:
        if default not in plans:
            raise ConfigError(
                f"DEFAULT_PLAN {default!r} is not a plan; the plans are: {', '.join(plans)}.",
                "Set DEFAULT_PLAN to one of them, or add it to PLANS_FILE.",
            )
        self.plans = plans
        self.default = default

    def get(self, name: str | None) -> Plan:
        """The named plan; the default for ``None`` or a name the table no longer has."""
        return self.plans.get(name or self.default) or self.plans[self.default]

    def lifting(self, current: Plan, which: Limit, needed: float) -> Plan | None:
        """The plan with the smallest limit of ``which`` that allows ``needed``, if any."""
        best: Plan | None = None
        for plan in self.plans.values():
            value = plan.limit(which)
            if plan.name == current.name or (value is not None and value < needed):
                continue
            best_value = None if best is None else best.limit(which)
            if best is None or (value is not None and (best_value is None or value < best_value)):
                best = plan
        return best


def _read(path: Path) -> object:
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        return json.loads(text)
    return tomllib.loads(text)


def load_plans(path: Path | None, default: str) -> PlanTable:
    """The built-in table, or the file's; a ConfigError that says what is wrong, and where."""
    if path is None:
        return PlanTable(dict(BUILTIN), default)
    try:
        raw = _read(path)
    except OSError as exc:
        raise ConfigError(f"PLANS_FILE {path} cannot be read: {exc.strerror}.") from None
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(
            f"PLANS_FILE {path} is not valid {path.suffix.lstrip('.').upper() or 'TOML'}: {exc}."
        ) from None
    try:
        parsed = PlanFile.model_validate(raw)
    except ValidationError as exc:
        where = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(
            f"PLANS_FILE {path} is malformed: {where}.",
            "Each plan is a table [plans.NAME] with accounts, posts_per_month, members, "
            "upload_mb (numbers, or left out for no limit) and approval (true or false).",
        ) from None
    plans: dict[str, Plan] = {}
    for name, plan in parsed.plans.items():
        try:
            plans[name] = Plan.model_validate({**plan.model_dump(), "name": name})
        except ValidationError:
            raise ConfigError(
                f"PLANS_FILE {path}: {name!r} is not a plan name (lower-case letters, digits, "
                "- and _, starting with a letter)."
            ) from None
    return PlanTable(plans, default)
