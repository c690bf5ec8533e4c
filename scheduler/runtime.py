"""Resources made once per process and passed in: database, queue, HTTP, publishers, media."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
from arq.connections import ArqRedis, RedisSettings, create_pool

from core.batch import Batcher
from core.clock import Clock, SystemClock
from core.crypto import TokenCipher
from core.plans import PlanTable
from core.settings import Settings
from publishers import guard
from publishers.base import Publisher
from publishers.registry import build_publishers
from scheduler.hooks.templates import TemplateRunner
from scheduler.notifier import (
    ApprovalMessenger,
    DestinationListener,
    LoggingApprovals,
    LoggingNotifier,
    Notifier,
)
from scheduler.publishing.queue import WakingRedis
from storage.accounts import AccountStore
from storage.api import ApiStore
from storage.api_callbacks import CallbackStore
from storage.approvals import ApprovalStore
from storage.calendar import CalendarStore
from storage.channels import ChannelStore
from storage.chat_threads import ChatThreadStore
from storage.db import make_engine, make_sessionmaker
from storage.digests import DigestStore
from storage.library import MediaLibrary
from storage.media import LocalMediaStore, MediaStore
from storage.posts import PostStore
from storage.publishing import PublishStore
from storage.signin import SigninStore
from storage.slots import SlotStore
from storage.supabase_auth import SupabaseAuth
from storage.usage import UsageStore
from storage.workspaces import WorkspaceStore


@dataclass(frozen=True)
class Runtime:
    """Everything a use case or a task needs; whoever is handed it never closes it.

    Every field is made by ``open_runtime``; what only one process has (a chat's notifier, the
    destination listeners) is built by ``app/`` and passed in there, never set afterwards.
    """

    settings: Settings
    clock: Clock
    posts: PostStore
    publishing: PublishStore
    workspaces: WorkspaceStore
    library: MediaLibrary
    accounts: AccountStore
    api: ApiStore
    callbacks: CallbackStore
    calendar: CalendarStore
    digests: DigestStore
    channels: ChannelStore
    usage: UsageStore
    signin: SigninStore
    # Supabase Auth when SUPABASE_URL is set (sign-in by e-mail link and OAuth), else None.
    supabase_auth: SupabaseAuth | None
    approvals: ApprovalStore
    slots: SlotStore
    # Threads being collected from chat replies (``scheduler.chat_threads``).
    chat_threads: ChatThreadStore
    redis: ArqRedis
    # Addresses users typed (strict), and the services the operator's settings name.
    http: aiohttp.ClientSession
    operator_http: aiohttp.ClientSession
    publishers: dict[str, Publisher]
    media: MediaStore
    cipher: TokenCipher
    plans: PlanTable
    templates: TemplateRunner
    notifier: Notifier
    listeners: tuple[DestinationListener, ...]
    # Asks approvers and tells authors in their chats (``scheduler.approval``).
    approval_chat: ApprovalMessenger
    worker_name: str


USER_AGENT = "Outpost/0.1 (+https://github.com/outpost)"


def redis_settings(url: str) -> RedisSettings:
    """arq's settings from ``REDIS_URL``, retrying connections while Redis restarts."""
    settings = RedisSettings.from_dsn(url)
    settings.conn_retries = 30
    settings.conn_retry_delay = 1
    settings.conn_timeout = 2
    return settings


def make_media_store(settings: Settings) -> MediaStore:
    """Supabase Storage when configured, else files under ``DATA_DIR/media``."""
    key = settings.supabase_service_role_key
    if settings.supabase_enabled and settings.supabase_url and key is not None:
        # Only then: the Supabase client (storage3, httpx) is a tenth of a second to import.
        from storage.supabase_store import SupabaseMediaStore

        return SupabaseMediaStore(
            settings.supabase_url, key.get_secret_value(), settings.supabase_bucket
        )
    return LocalMediaStore(
        settings.data_dir / "media",
        settings.base_url,
        settings.secret_key.get_secret_value().encode(),
    )


def make_supabase_auth(settings: Settings) -> SupabaseAuth | None:
    """Supabase Auth's client when Supabase is configured; the anon key if given, as the
    browser-facing Supabase clients use, else the service role key."""
    key = settings.supabase_anon_key or settings.supabase_service_role_key
    if not settings.supabase_enabled or not settings.supabase_url or key is None:
        return None
    return SupabaseAuth(settings.supabase_url, key.get_secret_value())


def operator_urls(settings: Settings) -> list[str]:
    """The outside services the settings name: where they live is the operator's choice."""
    return [
        value
        for name, value in settings.model_dump().items()
        if name.endswith("_url") and isinstance(value, str) and value.startswith("http")
    ]


@asynccontextmanager
async def open_runtime(
    settings: Settings,
    clock: Clock | None = None,
    pool_size: int = 10,
    *,
    notifier: Notifier | None = None,
    listeners: Sequence[DestinationListener] = (),
    approval_chat: ApprovalMessenger | None = None,
) -> AsyncIterator[Runtime]:
    """Open every resource, yield them, and close them in reverse order.

    ``notifier`` hears about finished posts (the log when None) and ``listeners`` about each
    destination; ``app/`` builds both for the process it runs.
    """
    engine = make_engine(settings.database_url, pool_size=pool_size)
    sessions = make_sessionmaker(engine)
    pool = await create_pool(
        redis_settings(settings.redis_url), default_queue_name=settings.queue_name
    )
    redis = WakingRedis(pool)
    allow, agent = settings.private_urls_allowed, {"User-Agent": USER_AGENT}
    http = guard.session(allow_private=allow, headers=agent)
    operator_http = guard.session(
        allow_private=allow, headers=agent, trusted_urls=operator_urls(settings)
    )
    media = make_media_store(settings)
    supabase_auth = make_supabase_auth(settings)
    templates = TemplateRunner()
    try:
        await media.prepare()  # creates the bucket if missing; a bad key stops start-up here
        yield Runtime(
            settings=settings,
            clock=clock or SystemClock(),
            posts=PostStore(sessions),
            publishing=PublishStore(sessions),
            workspaces=WorkspaceStore(sessions),
            library=MediaLibrary(sessions),
            accounts=AccountStore(sessions),
            api=ApiStore(sessions),
            callbacks=CallbackStore(sessions),
            calendar=CalendarStore(sessions),
            digests=DigestStore(sessions),
            channels=ChannelStore(sessions),
            usage=UsageStore(sessions),
            signin=SigninStore(sessions),
            supabase_auth=supabase_auth,
            approvals=ApprovalStore(sessions),
            slots=SlotStore(sessions),
            chat_threads=ChatThreadStore(sessions),
            redis=redis,
            http=http,
            operator_http=operator_http,
            publishers=build_publishers(
                http, settings.publish_timeout_seconds, settings, operator_http=operator_http
            ),
            media=media,
            cipher=settings.cipher(),
            plans=settings.plan_table(),
            templates=templates,
            notifier=notifier or LoggingNotifier(),
            listeners=tuple(listeners),
            approval_chat=approval_chat or LoggingApprovals(),
            worker_name=socket.gethostname(),
        )
    finally:
        templates.close()
        await Batcher.drain_all()  # batched statements still in flight use the engine
        await media.aclose()
        if supabase_auth is not None:
            await supabase_auth.aclose()
        await http.close()
        await operator_http.close()
        await redis.aclose(close_connection_pool=True)
        await engine.dispose()
