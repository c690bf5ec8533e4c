"""Telegram listeners, one module per kind of update, each with ``register(app, services)``."""

from __future__ import annotations

from bot.telegram.app import TgApp, token
from bot.telegram.context import Services
from bot.telegram.errors import make_handler
from bot.telegram.handlers import buttons, messages


def register_all(app: TgApp, svc: Services) -> None:
    """Every handler, and the one error handler."""
    messages.register(app, svc)
    buttons.register(app, svc)
    app.add_error_handler(make_handler(svc, token(svc.runtime.settings)))
