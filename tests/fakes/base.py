"""Shared plumbing of the fake services: recording, fault injection, rate-limit windows.

A fake runs in the test's event loop (``await fake.start()``) or as its own process
(``python -m tests.fakes.<name> --port N``), where ``/_fake/state``, ``/_fake/faults``,
``/_fake/config`` and ``/_fake/reset`` expose the same controls over HTTP.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from aiohttp import web

from core import aio

FAULT_KINDS = frozenset(
    {"none", "429", "500", "500_after_create", "timeout", "drop", "401", "403", "400", "422", "503"}
)  # "none" lets a test aim a fault at a later call: fail_next("none"); fail_next("drop")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Create = Callable[[], Awaitable[web.StreamResponse]]


@dataclass
class Recorded:
    """One request as the fake received it."""

    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, str] = field(default_factory=dict)
    json: Any = None
    form: dict[str, Any] | None = None
    body: bytes = b""
    at: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (body as text)."""
        out = asdict(self)
        out["body"] = self.body.decode("utf-8", "replace")
        return out


RECORDED: web.RequestKey[Recorded] = web.RequestKey("recorded", Recorded)


@dataclass
class Fault:
    """A queued misbehaviour for one create call."""

    kind: str
    kw: dict[str, Any] = field(default_factory=dict)


class FakeServer:
    """Base of the fakes: subclasses add routes and call ``create_call`` around creation."""

    name = "fake"
    # Status and body for the plain error faults; subclasses use their network's wording.
    error_bodies: ClassVar[dict[str, tuple[int, dict[str, Any]]]] = {
        "400": (400, {"error": "Bad request"}),
        "401": (401, {"error": "The access token is invalid"}),
        "403": (403, {"error": "This action is outside the authorized scopes"}),
        "422": (422, {"error": "Validation failed: Text can't be blank"}),
        "500": (500, {"error": "Internal server error"}),
        "503": (503, {"error": "Service unavailable"}),
    }

    def __init__(self, seed: int = 0) -> None:
        self.url = ""
        self.requests: list[Recorded] = []
        self.fault_rate = 0.0
        self.fault_kinds: tuple[str, ...] = ("429", "500", "500_after_create", "timeout")
        self.fault_kw: dict[str, Any] = {}  # keyword arguments for random faults
        self.latency = 0.0
        self.rate_limited_until = 0.0
        self.rate_limit_windows: list[float] = []
        self.create_calls = 0
        self._faults: deque[Fault] = deque()
        self._sent_before_reset = 0
        self._random = random.Random(seed)
        self._runner: web.AppRunner | None = None

    # --- lifecycle -------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        """Subclasses register the network's routes."""
        raise NotImplementedError

    def make_app(self) -> web.Application:
        """The aiohttp application: recording middleware, control routes, network routes."""
        app = web.Application(middlewares=[self._record], client_max_size=200 * 1024 * 1024)
        app.router.add_get("/_fake/state", self._state_route)
        app.router.add_get("/_fake/counts", self._counts_route)
        app.router.add_post("/_fake/faults", self._faults_route)
        app.router.add_post("/_fake/config", self._config_route)
        app.router.add_post("/_fake/reset", self._reset_route)
        self.add_routes(app)
        return app

    async def start(self, port: int = 0, host: str = "127.0.0.1") -> str:
        """Listen on ``host:port`` (0 picks a free port); returns the base URL."""
        # handler_cancellation: a client that gave up ends a "timeout" handler's sleep.
        self._runner = web.AppRunner(
            self.make_app(), handler_cancellation=True, shutdown_timeout=0.5, access_log=None
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = self._runner.addresses[0][1]
        self.url = f"http://{host}:{bound}"
        return self.url

    async def stop(self) -> None:
        """Stop listening and end pending handlers."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- controls --------------------------------------------------------------------------

    def fail_next(self, kind: str, count: int = 1, **kw: Any) -> None:
        """Queue ``count`` faults of ``kind`` for the next create calls, in order."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {sorted(FAULT_KINDS)}")
        self._faults.extend(Fault(kind, dict(kw)) for _ in range(count))

    def sent_before_reset(self) -> int:
        """Create requests received while a 429 window was active (0 for polite clients)."""
        return self._sent_before_reset

    def created_keys(self) -> list[str]:
        """The idempotency key of each thing actually created, in order."""
        raise NotImplementedError

    def reset(self) -> None:
        """Forget everything recorded and queued."""
        self.requests.clear()
        self._faults.clear()
        self._sent_before_reset = 0
        self.rate_limited_until = 0.0
        self.rate_limit_windows.clear()
        self.create_calls = 0

    def state(self) -> dict[str, Any]:
        """Everything recorded, JSON-able."""
        return {
            "url": self.url,
            "requests": [r.to_dict() for r in self.requests],
            "created_keys": self.created_keys(),
            "create_calls": self.create_calls,
            "sent_before_reset": self._sent_before_reset,
            "rate_limited_until": self.rate_limited_until,
            "rate_limit_windows": list(self.rate_limit_windows),
            "pending_faults": [asdict(f) for f in self._faults],
            "fault_rate": self.fault_rate,
            "fault_kinds": list(self.fault_kinds),
            "latency": self.latency,
        }

    # --- helpers for subclasses ------------------------------------------------------------

    def error(
        self, status: int, message: str, headers: dict[str, str] | None = None
    ) -> web.Response:
        """An error response in the network's shape."""
        return web.json_response({"error": message}, status=status, headers=headers)

    def rate_limit_response(self, until: float) -> web.Response:
        """The 429 this network sends; subclasses set their reset header."""
        return self.error(429, "Too many requests")

    async def create_call(self, request: web.Request, create: Create) -> web.StreamResponse:
        """Wrap one create call with rate-limit windows, latency and faults."""
        self.create_calls += 1
        if time.time() < self.rate_limited_until:
            self._sent_before_reset += 1
            return self.rate_limit_response(self.rate_limited_until)
        if self.latency:
            await asyncio.sleep(self.latency)
        fault = self._next_fault()
        if fault is None or fault.kind == "none":
            return await create()
        kw = fault.kw
        if fault.kind == "429":
            self.rate_limited_until = time.time() + float(kw.get("reset", 2.0))
            self.rate_limit_windows.append(self.rate_limited_until)
            return self.rate_limit_response(self.rate_limited_until)
        if fault.kind == "500_after_create":
            await create()
            return self._canned("500")
        if fault.kind == "timeout":
            answer = await create() if kw.get("create", True) else self._canned("500")
            await asyncio.sleep(float(kw.get("delay", 30)))
            return answer
        if fault.kind == "drop":
            if kw.get("create", True):
                await create()
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=500)  # never reaches the client
        return self._canned(fault.kind)

    def _canned(self, kind: str) -> web.Response:
        status, body = self.error_bodies[kind]
        return web.json_response(body, status=status)

    def _next_fault(self) -> Fault | None:
        if self._faults:
            return self._faults.popleft()
        if self.fault_rate > 0 and self._random.random() < self.fault_rate:
            return Fault(self._random.choice(self.fault_kinds), dict(self.fault_kw))
        return None

    @web.middleware
    async def _record(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/_fake/"):
            return await handler(request)
        rec = Recorded(request.method, request.path, dict(request.headers), dict(request.query))
        rec.at = time.time()
        if request.content_type == "multipart/form-data":
            form = await request.post()
            rec.form = {
                key: (
                    {
                        "filename": v.filename,
                        "content_type": v.content_type,
                        "size": len(v.file.read()),
                    }
                    if isinstance(v, web.FileField)
                    else v
                )
                for key, v in form.items()
            }
        else:
            rec.body = await request.read()
            if request.content_type == "application/json" and rec.body:
                try:
                    rec.json = json.loads(rec.body)
                except ValueError:
                    rec.json = None
            elif request.content_type == "application/x-www-form-urlencoded":
                posted = await request.post()
                # Repeated keys such as media_ids[] keep all their values.
                rec.form = {k: posted.getall(k) if k.endswith("[]") else posted[k] for k in posted}
        self.requests.append(rec)
        request[RECORDED] = rec
        return await handler(request)

    async def _state_route(self, request: web.Request) -> web.Response:
        return web.json_response(self.state())

    async def _counts_route(self, request: web.Request) -> web.Response:
        # For pollers under load: the whole state is megabytes of JSON after a burst, and
        # making it every second steals the CPU being measured.
        return web.json_response(
            {
                "requests": len(self.requests),
                "create_calls": self.create_calls,
                "created": len(self.created_keys()),
            }
        )

    async def _faults_route(self, request: web.Request) -> web.Response:
        spec = await request.json()
        kind = str(spec.pop("kind"))
        count = int(spec.pop("count", 1))
        try:
            self.fail_next(kind, count, **spec)
        except ValueError as exc:
            return self.error(400, str(exc))
        return web.json_response({"queued": len(self._faults)})

    async def _config_route(self, request: web.Request) -> web.Response:
        config = await request.json()
        for key in ("fault_rate", "latency"):
            if key in config:
                setattr(self, key, float(config.pop(key)))
        if "fault_kinds" in config:
            self.fault_kinds = tuple(config.pop("fault_kinds"))
        if "fault_kw" in config:
            self.fault_kw = dict(config.pop("fault_kw"))
        self.configure(config)
        return web.json_response({"ok": True})

    async def _reset_route(self, request: web.Request) -> web.Response:
        self.reset()
        return web.json_response({"ok": True})

    def configure(self, config: dict[str, Any]) -> None:
        """Network-specific settings from ``/_fake/config`` (unknown keys are ignored)."""
        if "seed" in config:
            self._random.seed(config["seed"])


def run_main(fake: FakeServer, argv: list[str] | None = None) -> None:
    """Run ``fake`` as a process until SIGTERM/SIGINT; prints ``READY <url>`` when listening."""
    parser = argparse.ArgumentParser(description=f"Run the {fake.name} fake")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)

    async def serve() -> None:
        url = await fake.start(args.port, args.host)
        print(f"READY {url}", flush=True)
        done = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, done.set)
        await done.wait()
        await fake.stop()

    aio.run(serve())
