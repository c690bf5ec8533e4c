"""Typed settings from the environment (and ``.env``), built once in ``app/`` and passed down."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.crypto import TokenCipher
from core.errors import ConfigError
from core.plans import PlanTable, load_plans


class Settings(BaseSettings):
    """Every variable of ``contract.md``; names are the upper-cased field names."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    outpost_env: Literal["development", "production", "test"] = "development"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/outpost"
    redis_url: str = "redis://127.0.0.1:6379/0"
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    # ``outpost web`` serves from this many processes sharing PORT (``--processes`` wins).
    web_processes: int = Field(default=1, ge=1)
    public_url: str = ""
    secret_key: SecretStr = SecretStr("")
    encryption_keys: SecretStr = SecretStr("")
    data_dir: Path = Path("./data")
    log_level: str = "INFO"

    slack_signing_secret: SecretStr | None = None
    slack_bot_token: SecretStr | None = None
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    slack_oauth_url: str = "https://slack.com/oauth/v2/authorize"

    telegram_bot_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org/bot"
    telegram_mode: Literal["webhook", "polling"] = "webhook"

    supabase_url: str | None = None
    supabase_service_role_key: SecretStr | None = None
    # The project's public (anon) key for Auth calls; the service role key when unset.
    supabase_anon_key: SecretStr | None = None
    supabase_bucket: str = "media"
    media_max_upload_mb: float = Field(default=512, gt=0)
    media_grace_hours: float = Field(default=24.0, ge=0)

    # Plans and their limits (issue #18, core.plans): a workspace without its own plan gets
    # DEFAULT_PLAN; a self-hosted install refuses nothing. PLANS_FILE (TOML or JSON) replaces
    # the built-in free / pro / team / unlimited table.
    default_plan: str = "unlimited"
    plans_file: Path | None = None

    x_api_url: str = "https://api.x.com"
    linkedin_api_url: str = "https://api.linkedin.com"
    facebook_graph_url: str = "https://graph.facebook.com"
    threads_api_url: str = "https://graph.threads.net"
    bluesky_video_url: str = "https://video.bsky.app/xrpc"
    x_authorize_url: str = "https://x.com/i/oauth2/authorize"
    x_token_url: str = "https://api.x.com/2/oauth2/token"  # noqa: S105 (a URL, not a secret)
    linkedin_authorize_url: str = "https://www.linkedin.com/oauth/v2/authorization"
    linkedin_token_url: str = "https://www.linkedin.com/oauth/v2/accessToken"  # noqa: S105 (a URL, not a secret)
    facebook_authorize_url: str = "https://www.facebook.com/v25.0/dialog/oauth"
    facebook_token_url: str = "https://graph.facebook.com/v25.0/oauth/access_token"  # noqa: S105 (a URL, not a secret)
    threads_authorize_url: str = "https://threads.net/oauth/authorize"
    threads_token_url: str = "https://graph.threads.net/oauth/access_token"  # noqa: S105 (a URL, not a secret)
    x_client_id: str | None = None
    x_client_secret: SecretStr | None = None
    linkedin_client_id: str | None = None
    linkedin_client_secret: SecretStr | None = None
    facebook_client_id: str | None = None
    facebook_client_secret: SecretStr | None = None
    threads_client_id: str | None = None
    threads_client_secret: SecretStr | None = None

    # API versions the networks retire on their own schedule (docs/networks.md has the dates):
    # LinkedIn answers a sunset LinkedIn-Version with 426, Meta stops serving a Graph version
    # about two years after its successor. Bump these without a release when a network says so.
    linkedin_version: str = Field(default="202603", pattern=r"^\d{6}(\.\d{2})?$")
    graph_api_version: str = Field(default="v25.0", pattern=r"^v\d+\.\d+$")
    threads_api_version: str = Field(default="v1.0", pattern=r"^v\d+\.\d+$")
    # LinkedIn organization pages need the Community Management API product
    # (w_organization_social, r_organization_admin); without it a LinkedIn app grants only
    # "openid profile w_member_social", so pages are asked for only when this is true.
    linkedin_organizations: bool = False

    # Worker tuning; the defaults suit one small install.
    queue_name: str = "outpost:queue"
    job_timeout_seconds: float = Field(default=50.0, gt=0)
    # The worker wakes when its earliest job is due or an enqueuer says one was added; this
    # poll is only the fallback (a wake message lost, a job queued by something else).
    worker_poll_delay: float = Field(default=1.0, gt=0)
    worker_max_jobs: int = Field(default=500, ge=1)
    reconcile_seconds: float = Field(default=60.0, gt=0)
    reconcile_horizon_seconds: float = Field(default=900.0, gt=0)
    # Posts due further ahead than this live in Postgres only; the reconciler queues them as
    # they come within it, so Redis holds the next hour's jobs, not the whole calendar.
    queue_horizon_seconds: float = Field(default=3600.0, gt=0)
    publish_timeout_seconds: float = Field(default=15.0, gt=0)
    max_publish_attempts: int = Field(default=8, ge=1)
    # A thread written in a chat with nothing added for this long and no `done` is saved as
    # its author's draft (and they are told), rather than kept open for ever.
    chat_thread_idle_hours: float = Field(default=24.0, gt=0)
    # Outbound requests to private or local addresses (accounts' servers, callback URLs):
    # refused in production unless set, allowed in development and tests.
    allow_private_urls: bool | None = None
    # Production without SECRET_KEY/ENCRYPTION_KEYS stops, unless this opts in to generating
    # them once into DATA_DIR/secrets.json (compose.yaml does: the data volume keeps them).
    outpost_generate_secrets: bool = False

    # The HTTP edge (issue #23): who may read /metrics. Set, it needs this bearer token;
    # unset, production serves it to loopback only (development and tests serve everyone).
    metrics_token: SecretStr | None = None
    # Refusals (401, 413, 429) are answered after this pause: a client sending bad requests
    # back to back is slowed to a few a second without costing the server any CPU.
    refusal_delay_seconds: float = Field(default=0.25, ge=0, le=5)

    # Knowing before a post fails (issue #16, scheduler/health): each worker's heartbeat, how
    # long one counts as alive, when due work is "stalled" (the chat alarm) and when /healthz
    # answers 503 (that late with no live worker), how often the web process looks.
    heartbeat_seconds: float = Field(default=10.0, gt=0)
    worker_seen_seconds: float = Field(default=60.0, gt=0)
    stall_alert_seconds: float = Field(default=60.0, gt=0)
    healthz_late_seconds: float = Field(default=120.0, gt=0)
    stall_check_seconds: float = Field(default=15.0, gt=0)

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if not value.startswith(("postgresql+asyncpg://", "postgresql://", "postgres://")):
            raise ValueError("must be a postgresql:// URL")
        if value.startswith("postgres://"):
            value = "postgresql://" + value.removeprefix("postgres://")
        if value.startswith("postgresql://"):
            value = "postgresql+asyncpg://" + value.removeprefix("postgresql://")
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str) -> str:
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a redis:// URL")
        return value

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def private_urls_allowed(self) -> bool:
        if self.allow_private_urls is not None:
            return self.allow_private_urls
        return self.outpost_env != "production"

    @property
    def slack_enabled(self) -> bool:
        return self.slack_signing_secret is not None and (
            self.slack_bot_token is not None or self.slack_client_id is not None
        )

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_bot_token is not None

    @property
    def supabase_enabled(self) -> bool:
        return bool(self.supabase_url) and self.supabase_service_role_key is not None

    def plan_table(self) -> PlanTable:
        """The plans (``PLANS_FILE`` or the built-in table); read when a process starts."""
        return load_plans(self.plans_file, self.default_plan)

    def cipher(self) -> TokenCipher:
        keys = [k.strip() for k in self.encryption_keys.get_secret_value().split(",") if k.strip()]
        return TokenCipher(keys)


def _stored_secrets(data_dir: Path) -> dict[str, str]:
    """Load or create the secrets kept in ``DATA_DIR/secrets.json``.

    Several processes may start at once on one volume (compose's migrate, web and worker):
    the file appears whole or not at all (written aside, then linked), and the first wins.
    """
    path = data_dir / "secrets.json"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        made = {
            "SECRET_KEY": secrets.token_urlsafe(48),
            "ENCRYPTION_KEYS": TokenCipher.generate_key(),
        }
        aside = data_dir / f".secrets.{os.getpid()}.{secrets.token_hex(4)}"
        # Written with 0600 from the start: these sign logins and decrypt account tokens.
        fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as handle:
                json.dump(made, handle)
            os.link(aside, path)
        except FileExistsError:
            pass  # another process linked its own first; everyone uses that one
        finally:
            aside.unlink()
    loaded: dict[str, str] = json.loads(path.read_text())
    return loaded


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning validation errors into a ConfigError naming each variable."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        parts = []
        for err in exc.errors():
            name = str(err["loc"][0]).upper() if err["loc"] else "?"
            parts.append(f"{name}: {err['msg']}")
        raise ConfigError(
            "Invalid configuration: " + "; ".join(parts) + ".",
            "Fix the variable in the environment or .env and start again.",
        ) from None
    _fill_secrets(settings)
    settings.plan_table()  # a malformed PLANS_FILE stops start-up here, saying what is wrong
    settings.cipher()  # fail now, naming ENCRYPTION_KEYS, rather than at the first token
    if settings.slack_signing_secret is not None and not settings.slack_enabled:
        raise ConfigError(
            "SLACK_SIGNING_SECRET is set but SLACK_BOT_TOKEN (or SLACK_CLIENT_ID) is not.",
            "Set SLACK_BOT_TOKEN for one workspace, or SLACK_CLIENT_ID/SECRET for OAuth installs.",
        )
    if settings.queue_horizon_seconds < 2 * settings.reconcile_seconds:
        # The reconciler queues a post as it enters the horizon: at least one reconcile
        # period must be left before it is due.
        raise ConfigError(
            f"QUEUE_HORIZON_SECONDS ({settings.queue_horizon_seconds:g}) is less than twice "
            f"RECONCILE_SECONDS ({settings.reconcile_seconds:g}).",
            "Raise QUEUE_HORIZON_SECONDS (default 3600) or lower RECONCILE_SECONDS.",
        )
    if settings.slack_client_id and settings.slack_client_secret is None:
        raise ConfigError("SLACK_CLIENT_ID is set but SLACK_CLIENT_SECRET is not.")
    if (
        settings.telegram_enabled
        and settings.telegram_mode == "webhook"
        and settings.telegram_webhook_secret is None
    ):
        raise ConfigError(
            "TELEGRAM_WEBHOOK_SECRET is required when TELEGRAM_MODE=webhook.",
            "Set a random string of 1-256 characters A-Z a-z 0-9 _ -.",
        )
    return settings


def _fill_secrets(settings: Settings) -> None:
    missing = [
        name
        for name, value in (
            ("SECRET_KEY", settings.secret_key),
            ("ENCRYPTION_KEYS", settings.encryption_keys),
        )
        if not value.get_secret_value()
    ]
    if not missing:
        return
    if settings.outpost_env == "production" and not settings.outpost_generate_secrets:
        raise ConfigError(
            f"{', '.join(missing)} must be set when OUTPOST_ENV=production.",
            "Generate them once and keep them safe (losing ENCRYPTION_KEYS loses account "
            "tokens), or set OUTPOST_GENERATE_SECRETS=true to have them made once into "
            "DATA_DIR/secrets.json.",
        )
    made = _stored_secrets(settings.data_dir)
    if "SECRET_KEY" in missing:
        settings.secret_key = SecretStr(made["SECRET_KEY"])
    if "ENCRYPTION_KEYS" in missing:
        settings.encryption_keys = SecretStr(made["ENCRYPTION_KEYS"])
