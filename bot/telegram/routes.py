"""``POST /telegram/webhook`` and the PTB Application's life inside our aiohttp app.

Webhook mode: our route checks ``X-Telegram-Bot-Api-Secret-Token`` in constant time (403 and
nothing stored when missing or wrong), drops an ``update_id`` seen before (Redis ``SET NX``
for a day: Telegram redelivers until it gets a 200), and hands the update to PTB; start-up
calls setWebhook with the secret and ``{PUBLIC_URL}/telegram/webhook``. Polling mode
(``TELEGRAM_MODE=polling``, for a machine with no public URL) runs PTB's own updater instead.
When Telegram does not answer at start-up (getMe, setWebhook), the server starts anyway and
retries in the background.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import suppress
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.error import TelegramError

from bot.telegram.app import TgApp, bot_id, build_application, initialize
from bot.telegram.context import Services
from bot.telegram.handlers import register_all
from scheduler.runtime import Runtime

log = logging.getLogger("outpost.telegram")

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
DEDUPE_TTL = 24 * 3600
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
RETRY_FIRST, RETRY_MAX = 1.0, 300.0  # seconds between start-up attempts while Telegram is out


def secret_matches(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison; no configured secret means nothing matches."""
    if not expected or given is None:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


class TelegramBridge:
    """Owns the PTB Application for one aiohttp app."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc
        self.rt = svc.runtime
        self.ptb: TgApp | None = None
        secret = self.rt.settings.telegram_webhook_secret
        self.secret = secret.get_secret_value() if secret is not None else None

    @property
    def webhook_url(self) -> str:
        return self.rt.settings.base_url + WEBHOOK_PATH

    async def _boot(self, ptb: TgApp) -> None:
        """getMe, start PTB (then updates are handled), register the webhook or poll."""
        if not ptb.running:
            await initialize(ptb.bot)
            await ptb.initialize()
            await ptb.start()
            self.ptb = ptb
        if self.rt.settings.telegram_mode == "polling" and ptb.updater is not None:
            if not ptb.updater.running:
                await ptb.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
        else:
            await ptb.bot.set_webhook(
                self.webhook_url, secret_token=self.secret, allowed_updates=ALLOWED_UPDATES
            )

    async def _keep_booting(self, ptb: TgApp) -> None:
        """Retry the start-up calls, backing off, until Telegram answers."""
        delay = RETRY_FIRST
        while True:
            await asyncio.sleep(delay)
            try:
                await self._boot(ptb)
            except TelegramError as exc:
                delay = min(delay * 2, RETRY_MAX)
                log.warning(
                    "telegram still unreachable", extra={"error": exc.message, "retry_in": delay}
                )
                continue
            log.info("telegram started after retrying")
            return

    async def lifecycle(self, app: web.Application) -> AsyncIterator[None]:
        """cleanup_ctx: start PTB and register the webhook (or poll); when Telegram does not
        answer, the rest of the server starts anyway and a background task keeps trying."""
        ptb = build_application(self.rt.settings)
        register_all(ptb, self.svc)
        retrying: asyncio.Task[None] | None = None
        try:
            await self._boot(ptb)
        except TelegramError as exc:
            # An outage must not take the API and the calendar down with it; updates get a
            # 503 (Telegram redelivers them) until the start-up calls go through.
            log.error(
                "telegram start-up call failed; retrying in the background",
                extra={"error": exc.message, "retry_in": RETRY_FIRST},
            )
            retrying = asyncio.create_task(self._keep_booting(ptb))
        yield
        if retrying is not None:
            retrying.cancel()
            with suppress(asyncio.CancelledError):
                await retrying
        self.ptb = None
        if ptb.updater is not None and ptb.updater.running:
            await ptb.updater.stop()
        if ptb.running:
            await ptb.stop()
        await ptb.shutdown()

    async def webhook(self, request: web.Request) -> web.Response:
        """Verify, dedupe, hand to PTB; 200 once handled so Telegram does not redeliver."""
        if not secret_matches(request.headers.get(SECRET_HEADER), self.secret):
            return web.json_response(
                {"error": {"code": "forbidden", "message": "wrong or missing secret token"}},
                status=403,
            )
        ptb = self.ptb
        if ptb is None:
            return web.json_response({"error": {"code": "starting"}}, status=503)
        try:
            data: Any = await request.json()
        except ValueError:
            data = None
        update_id = data.get("update_id") if isinstance(data, dict) else None
        if not isinstance(update_id, int):
            return web.json_response(
                {"error": {"code": "bad_request", "message": "not a Telegram update"}},
                status=400,
            )
        key = f"outpost:tg:update:{bot_id(self.rt.settings)}:{update_id}"
        if not await self.rt.redis.set(key, b"1", nx=True, ex=DEDUPE_TTL):
            return web.json_response({"ok": True, "duplicate": True})
        try:
            await ptb.process_update(Update.de_json(data, ptb.bot))
        except BaseException:
            # Not handled after all: let Telegram's redelivery through the dedupe.
            await self.rt.redis.delete(key)
            raise
        return web.json_response({"ok": True})


def setup_for(svc: Services) -> Callable[[web.Application, Runtime], None]:
    """The route setup for ``svc``'s process: the webhook route and PTB's start and stop."""

    def setup(app: web.Application, runtime: Runtime) -> None:
        # build_app hands every setup the process's runtime, the one svc was built over.
        assert runtime is svc.runtime, "Telegram's parts belong to another runtime"
        bridge = TelegramBridge(svc)
        app.router.add_post(WEBHOOK_PATH, bridge.webhook)
        app.cleanup_ctx.append(bridge.lifecycle)

    return setup
