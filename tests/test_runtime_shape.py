"""The runtime stays one typed object: named fields made by ``open_runtime``, never patched."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

import pytest

from app.process import Outcomes, open_process
from core.settings import Settings
from scheduler.accounts.access import account_store
from scheduler.api_tokens import api_store, callback_store
from scheduler.logins import calendar_store
from scheduler.notifier import LoggingNotifier
from scheduler.runtime import Runtime

# Types too loose to say what a field holds: a catch-all bag is what this test keeps out.
LOOSE = (Any, object)


def _loose_parts(hint: object) -> list[object]:
    found = [hint] if any(hint is loose for loose in LOOSE) else []
    for arg in typing.get_args(hint):
        found += _loose_parts(arg)
    return found


def test_runtime_is_frozen_and_every_field_has_a_concrete_type() -> None:
    assert dataclasses.is_dataclass(Runtime)
    assert Runtime.__dataclass_params__.frozen  # type: ignore[attr-defined]  # dataclass internals are untyped
    hints = typing.get_type_hints(Runtime)
    fields = dataclasses.fields(Runtime)
    assert {f.name for f in fields} == set(hints)
    loose = {name: hint for name, hint in hints.items() if _loose_parts(hint)}
    assert loose == {}, f"untyped runtime fields: {loose}"
    assert "extras" not in hints
    # Nothing is filled in later from a default: open_runtime names every field.
    defaulted = [
        f.name
        for f in fields
        if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
    ]
    assert defaulted == []


async def test_a_live_runtime_refuses_new_or_changed_fields(runtime: Runtime) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        runtime.notifier = LoggingNotifier()  # type: ignore[misc]  # the point of the test
    with pytest.raises(dataclasses.FrozenInstanceError):
        runtime.extras = {}  # type: ignore[attr-defined]  # the point of the test


async def test_store_accessors_return_the_runtimes_own_fields(runtime: Runtime) -> None:
    assert account_store(runtime) is runtime.accounts
    assert api_store(runtime) is runtime.api
    assert callback_store(runtime) is runtime.callbacks
    assert calendar_store(runtime) is runtime.calendar
    assert runtime.listeners == ()
    assert isinstance(runtime.notifier, LoggingNotifier)


async def test_open_process_passes_its_notifier_and_listeners_in(settings: Settings) -> None:
    async with open_process(settings) as process:
        rt = process.runtime
        assert isinstance(rt.notifier, Outcomes)
        assert rt.listeners == (rt.notifier,)
        assert process.telegram is None  # Telegram is off in these settings
        with pytest.raises(RuntimeError):
            rt.notifier.bind(LoggingNotifier(), [])  # bound once, by open_process
