"""Building python-telegram-bot objects from Settings; nothing is built at import time.

``TELEGRAM_API_URL`` is the Bot API base (``https://api.telegram.org/bot``, the token follows,
or a ``{token}`` placeholder marks where); file downloads use the same host with ``/file/bot``.
"""

from __future__ import annotations

import os
import time
import warnings
from dataclasses import dataclass
from typing import Any

from telegram import Bot
from telegram.error import InvalidToken, RetryAfter
from telegram.ext import Application, ApplicationBuilder

from core.errors import ConfigError
from core.settings import Settings

TgApp = Application[Any, Any, Any, Any, Any, Any]
# Bot API limit for getFile downloads.
MAX_DOWNLOAD = 20 * 1024 * 1024


def file_base_url(api_url: str) -> str:
    """``https://host/bot`` → ``https://host/file/bot`` (placeholders kept)."""
    head, sep, tail = api_url.rpartition("/bot")
    if not sep:
        return api_url.rstrip("/") + "/file/bot"
    return f"{head}/file/bot{tail}"


def token(settings: Settings) -> str:
    """The bot token; raises ConfigError when Telegram is off."""
    if settings.telegram_bot_token is None:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set.", "Set it to the token from @BotFather.")
    return settings.telegram_bot_token.get_secret_value()


def bot_id(settings: Settings) -> str:
    """The bot's numeric id: the token's public half."""
    return token(settings).split(":", 1)[0]


def _time_periods_as_timedelta() -> None:
    # PTB 22 warns whenever a time period (a 429's retry_after, a video's duration) is read as
    # an int, even inside its own RetryAfter constructor; this documented opt-in gives the
    # future timedelta behaviour, which our code reads either way.
    os.environ.setdefault("PTB_TIMEDELTA", "true")


def build_application(settings: Settings) -> TgApp:
    """The PTB Application: our aiohttp route feeds it in webhook mode; it polls otherwise."""
    _time_periods_as_timedelta()
    builder = (
        ApplicationBuilder()
        .token(token(settings))
        .base_url(settings.telegram_api_url)
        .base_file_url(file_base_url(settings.telegram_api_url))
        .job_queue(None)
    )
    if settings.telegram_mode == "webhook":
        builder = builder.updater(None)
    return builder.build()


def build_bot(settings: Settings) -> Bot:
    """A plain Bot for the worker (notifications, album flushes, deferred replies)."""
    _time_periods_as_timedelta()
    return Bot(
        token(settings),
        base_url=settings.telegram_api_url,
        base_file_url=file_base_url(settings.telegram_api_url),
    )


async def initialize(bot: Bot) -> None:
    """``bot.initialize()`` (a no-op once done); PTB's own InvalidToken message shows the token."""
    try:
        await bot.initialize()
    except InvalidToken:
        raise ConfigError(
            "Telegram rejected TELEGRAM_BOT_TOKEN.", "Copy the token from @BotFather again."
        ) from None


@dataclass
class FloodWindow:
    """Telegram's flood control for this process's bot: after a 429 every send waits it out."""

    until: float = 0.0

    def wait(self) -> float:
        """Seconds left in the window (zero or less: send now)."""
        return self.until - time.monotonic()

    def close_for(self, seconds: float) -> None:
        self.until = time.monotonic() + seconds


def retry_seconds(exc: RetryAfter) -> float:
    """Seconds Telegram asked us to wait (PTB warns when reading it as an int; we take both)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return float(value if isinstance(value, int | float) else value.total_seconds())
