"""Composition: which adapters are on, and who hears about finished posts."""

from __future__ import annotations

from app.web import Setup
from scheduler.notifier import LoggingNotifier, Notifier, RoutingNotifier
from scheduler.runtime import Runtime


def notifier_for(runtime: Runtime) -> Notifier:
    """Route results to the chat each post came from; log the rest."""
    return RoutingNotifier({}, LoggingNotifier())


def adapters(runtime: Runtime) -> list[Setup]:
    """The route setups for the adapters this configuration turns on."""
    return []
