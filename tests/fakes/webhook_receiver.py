"""A fake webhook receiver: verifies Standard Webhooks signatures and dedupes on webhook-id.

Run alone with ``python -m tests.fakes.webhook_receiver --port N [--secret whsec_...]``.
"""

from __future__ import annotations

import math
import sys
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from publishers import signing
from tests.fakes.base import RECORDED, FakeServer, Recorded, run_main

DEFAULT_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class FakeWebhookReceiver(FakeServer):
    """Accepts signed POSTs on any path; answers ``{"id", "url"}`` for each delivery.

    ``deliveries`` holds ``{"webhook_id", "timestamp", "headers", "body", "received_at"}``
    per distinct webhook-id, ``body`` being the parsed JSON payload.
    """

    name = "webhook"

    def __init__(self, secret: str = DEFAULT_SECRET, seed: int = 0) -> None:
        super().__init__(seed)
        self.secret = secret
        self.tolerance = 300
        self.reply_with_id = True  # False: answer 204 with no body, like minimal receivers
        self.deliveries: list[dict[str, Any]] = []
        self.rejected: list[Recorded] = []
        self._by_id: dict[str, dict[str, Any]] = {}

    def created_keys(self) -> list[str]:
        """The webhook-id of each accepted (new) delivery."""
        return [d["webhook_id"] for d in self.deliveries]

    def reset(self) -> None:
        """Forget deliveries and recordings."""
        super().reset()
        self.deliveries.clear()
        self.rejected.clear()
        self._by_id.clear()

    def state(self) -> dict[str, Any]:
        """Recording plus deliveries and rejections."""
        return {
            **super().state(),
            "deliveries": self.deliveries,
            "rejected": [r.to_dict() for r in self.rejected],
        }

    def configure(self, config: dict[str, Any]) -> None:
        """``secret``, ``tolerance``, ``reply_with_id``."""
        super().configure(config)
        if "secret" in config:
            self.secret = str(config["secret"])
        if "tolerance" in config:
            self.tolerance = int(config["tolerance"])
        if "reply_with_id" in config:
            self.reply_with_id = bool(config["reply_with_id"])

    def add_routes(self, app: web.Application) -> None:
        """Every path but the control ones is a hook endpoint."""
        app.router.add_post("/{tail:.*}", self._receive)

    def rate_limit_response(self, until: float) -> web.Response:
        """429 with Retry-After in whole seconds."""
        wait = max(0, math.ceil(until - datetime.now(UTC).timestamp()))
        return self.error(429, "Too many requests", {"Retry-After": str(wait)})

    async def _receive(self, request: web.Request) -> web.StreamResponse:
        rec: Recorded = request[RECORDED]
        try:
            msg_id = signing.verify(
                self.secret, rec.headers, rec.body, datetime.now(UTC), self.tolerance
            )
        except signing.SignatureError as exc:
            self.rejected.append(rec)
            return self.error(401, f"invalid signature: {exc}")
        if not isinstance(rec.json, dict):
            return self.error(400, "body must be a JSON object")
        payload = rec.json

        async def create() -> web.StreamResponse:
            # A repeated webhook-id is acknowledged but not delivered twice.
            delivery = self._by_id.get(msg_id)
            if delivery is None:
                delivery = {
                    "webhook_id": msg_id,
                    "timestamp": int(rec.headers.get("webhook-timestamp", "0")),
                    "headers": rec.headers,
                    "body": payload,
                    "received_at": rec.at,
                }
                self._by_id[msg_id] = delivery
                self.deliveries.append(delivery)
            if not self.reply_with_id:
                return web.Response(status=204)
            number = self.deliveries.index(delivery) + 1
            return web.json_response(
                {"id": f"dlv_{number}", "url": f"{self.url}/deliveries/{number}"}
            )

        return await self.create_call(request, create)


if __name__ == "__main__":
    secret = DEFAULT_SECRET
    if "--secret" in sys.argv:
        at = sys.argv.index("--secret")
        secret = sys.argv[at + 1]
        del sys.argv[at : at + 2]
    run_main(FakeWebhookReceiver(secret))
