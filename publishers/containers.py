"""What Instagram and Threads share: Graph calls, container waits, permalinks, and finding a
post after an ambiguous answer (neither network takes an idempotency key)."""

from __future__ import annotations

import asyncio
from abc import abstractmethod
from datetime import datetime, timedelta
from typing import Any, ClassVar

from publishers.base import Account, Publisher, Receipt
from publishers.errors import ContentRejected, PublishError, Unavailable
from publishers.facebook import graph_object
from publishers.http import Now, utc_now


class ContainerPublisher(Publisher):
    """Base of the container-then-publish networks on Meta's Graph API."""

    lookback: ClassVar[timedelta] = timedelta(hours=6)
    container_poll_attempts: int = 30
    container_poll_interval: float = 2.0
    # The edge containers are created on: ``/{user}/<edge>``.
    container_edge: ClassVar[str] = ""
    now: Now = staticmethod(utc_now)
    # The API version in every path; ``configure`` reads the network's setting.
    version: str = ""

    @abstractmethod
    def _root(self, account: Account) -> str:
        """The API base with its version, e.g. ``https://graph.threads.net/v1.0``."""

    async def _call(
        self,
        account: Account,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        key: str = "",
    ) -> dict[str, Any]:
        url = self._root(account) + path
        return await graph_object(self, account, method, url, form=form, key=key, now=self.now)

    async def _create(self, account: Account, user: str, form: dict[str, str]) -> str:
        data = await self._call(account, "POST", f"/{user}/{self.container_edge}", form)
        if not data.get("id"):
            raise Unavailable(f"{self.label} did not return a container id")
        return str(data["id"])

    async def _wait(self, account: Account, container: str, fields: str) -> None:
        for _ in range(self.container_poll_attempts):
            data = await self._call(account, "GET", f"/{container}?fields={fields}")
            status = data.get("status") or data.get("status_code")
            if status == "FINISHED":
                return
            if status in ("ERROR", "EXPIRED"):
                raise ContentRejected(f"{self.label} could not process a file ({status})")
            # The one sanctioned wait: the network fetches and processes media first.
            await asyncio.sleep(self.container_poll_interval)
        raise Unavailable(f"{self.label} is still processing the media; try again later")

    async def _permalink(self, account: Account, post_id: str) -> str | None:
        try:
            data = await self._call(account, "GET", f"/{post_id}?fields=permalink")
        except PublishError:
            return None  # published already; a missing link must not fail it
        link = data.get("permalink")
        return str(link) if link else None

    async def _recent(
        self, account: Account, path: str, text_field: str, text: str
    ) -> Receipt | None:
        """A post of the last ``lookback`` whose ``text_field`` equals ``text``, or None."""
        data = await self._call(account, "GET", path)
        since = self.now() - self.lookback
        for post in data.get("data", []):
            stamp = datetime.fromisoformat(str(post.get("timestamp", "")).replace("Z", "+00:00"))
            if str(post.get(text_field, "")).strip() == text.strip() and stamp >= since:
                return Receipt(remote_id=str(post["id"]), url=post.get("permalink"))
        return None
