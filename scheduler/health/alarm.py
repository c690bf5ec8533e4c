"""Due work nobody publishes: the figures ``/healthz`` and ``/metrics`` show, and the alarm.

``snapshot`` reads the live workers (Redis heartbeats) and the destinations due but not
started (Postgres: pending with ``due_at`` passed). ``/healthz`` answers 503 when the oldest is
more than ``HEALTHZ_LATE_SECONDS`` late and no worker is alive.

``StallAlarm`` runs in the web process (``outpost web``/``run``), because the alarm must work
exactly when the workers are dead. When due work is more than ``STALL_ALERT_SECONDS`` late it
tells the chats the late posts came from, once per incident, and again when it clears. The
incident lives in Redis (``SET NX``) so several web processes raise it once between them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from core.errors import OutpostError
from scheduler import metrics
from scheduler.health.heartbeat import live_workers
from scheduler.health.notices import chat_origin, tell, where
from scheduler.runtime import Runtime

log = logging.getLogger("outpost.health")
# How many late destinations are looked at to find the chats to tell.
_SAMPLE = 50


@dataclass(frozen=True)
class Snapshot:
    """Workers alive, destinations due and not started, and how late the oldest is."""

    workers: tuple[str, ...]
    due: int
    oldest_late: float  # seconds; 0 when nothing is due

    def healthy(self, late_limit: float) -> bool:
        """False when due work is ``late_limit`` late and no worker is alive to do it."""
        return bool(self.workers) or self.oldest_late <= late_limit

    def to_json(self) -> dict[str, object]:
        return {
            "workers": list(self.workers),
            "due_not_started": self.due,
            "oldest_late_seconds": round(self.oldest_late, 1),
        }


async def snapshot(rt: Runtime) -> Snapshot:
    """Read the figures now, and set the gauges from them."""
    now = rt.clock.now()
    workers = tuple(await live_workers(rt))
    due = await rt.publishing.due(now)
    late = max(0.0, (now - due[0].due_at).total_seconds()) if due else 0.0
    metrics.LIVE_WORKERS.set(len(workers))
    metrics.DUE_NOT_STARTED.set(len(due))
    metrics.OLDEST_DUE_LATENESS.set(late)
    return Snapshot(workers, len(due), late)


def _incident_key(rt: Runtime) -> str:
    return f"{rt.settings.queue_name}:stall-incident"


class StallAlarm:
    """Looks every ``STALL_CHECK_SECONDS``; raises and clears the incident in chat."""

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime

    async def run(self) -> None:
        """Until cancelled; a failed look is logged and the next one tries again."""
        while True:
            # Sleep first: a process starting up has nothing to say yet.
            await asyncio.sleep(self.rt.settings.stall_check_seconds)
            try:
                await self.check_once()
            except Exception as exc:  # Postgres or Redis away: the next look tries again
                log.warning("stall check failed", extra={"error": repr(exc)})

    async def check_once(self) -> str:
        """One look: "raised", "cleared", "ongoing" or "fine"."""
        rt = self.rt
        shot = await snapshot(rt)
        stalled = shot.due > 0 and shot.oldest_late > rt.settings.stall_alert_seconds
        key = _incident_key(rt)
        if stalled:
            places = await self._late_places(rt.clock.now())
            record = json.dumps(places)
            if not await rt.redis.set(key, record, nx=True):
                return "ongoing"
            metrics.STALL_INCIDENTS.inc()
            log.error("due posts are not being published", extra=shot.to_json())
            await self._say(places, shot, raised=True)
            return "raised"
        stored = await rt.redis.get(key)
        if stored is None or not await rt.redis.delete(key):
            return "fine"  # no incident, or another web process cleared it
        log.info("due posts are being published again", extra=shot.to_json())
        await self._say(json.loads(stored), shot, raised=False)
        return "cleared"

    async def _late_places(self, now: datetime) -> list[list[str]]:
        """Each late post's chat (post id and origin), one per thread."""
        seen: dict[tuple[str, ...], list[str]] = {}
        for job in await self.rt.publishing.due(now, limit=_SAMPLE):
            _, post, _ = await self.rt.publishing.load(job.destination_id)
            origin = chat_origin(post.origin)
            if origin is not None:
                seen.setdefault(where(origin), [str(post.id), json.dumps(origin)])
        return list(seen.values())

    async def _say(self, places: list[list[str]], shot: Snapshot, *, raised: bool) -> None:
        for post_id, origin in places:
            try:
                post = await self.rt.posts.get(uuid.UUID(post_id))
            except OutpostError:  # deleted meanwhile: nobody left to tell there
                continue
            if raised:
                seen = f"{self.rt.settings.worker_seen_seconds:.0f} s"
                who = (
                    f"{len(shot.workers)} worker(s) seen in the last {seen} have not started them"
                    if shot.workers
                    else f"no worker is running (none seen in the last {seen})"
                )
                headline = "⚠️ Scheduled posts are late"
                what = (
                    f"{shot.due} due post(s) not started, the oldest {shot.oldest_late:.0f} s "
                    f"late: {who}. Ask the operator to check `outpost worker`; the posts go "
                    "out as soon as a worker runs."
                )
            else:
                headline = "✅ Publishing again"
                what = "Late posts are going out now; each one's result follows here."
            await tell(self.rt, post, headline, [("outpost", "worker", what)], json.loads(origin))
