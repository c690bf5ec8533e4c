"""The Bolt app, built from settings when the server starts (never at import time)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings

from bot.slack import errors
from bot.slack.installations import PgStateStore
from bot.slack.listeners import actions, commands, events, views
from bot.slack.service import SlackBot
from core.errors import ConfigError

SCOPES = (
    "commands", "chat:write", "chat:write.public", "app_mentions:read", "im:history",
    "im:read", "im:write", "users:read", "files:read", "files:write", "channels:history",
    "groups:history",
)


def build_bolt(bot: SlackBot) -> AsyncApp:
    """An AsyncApp for one workspace (``SLACK_BOT_TOKEN``) or OAuth installs (client id).

    Its signature check is off because ``bot.slack.routes`` verifies every request before
    Bolt sees it; Bolt logs under ``slack_bolt`` (WARNING and up, ``core.logging``), since at
    INFO it writes whole request bodies, response URLs included.
    """
    settings = bot.rt.settings
    if settings.slack_signing_secret is None:
        raise ConfigError("SLACK_SIGNING_SECRET is required for the Slack bot.")
    secret = settings.slack_signing_secret.get_secret_value()
    if bot.installations is not None:
        client_secret = settings.slack_client_secret
        oauth = AsyncOAuthSettings(
            client_id=bot.client_id,
            client_secret=client_secret.get_secret_value() if client_secret else None,
            scopes=list(SCOPES),
            redirect_uri=f"{settings.base_url}/slack/oauth_redirect",
            authorization_url=settings_oauth_url(bot),
            installation_store=bot.installations,
            installation_store_bot_only=True,
            state_store=PgStateStore(bot.store, bot.rt.clock),
            success_url=f"{settings.base_url}/",
        )
        app = AsyncApp(
            signing_secret=secret, client=bot.client(), oauth_settings=oauth,
            installation_store_bot_only=True, request_verification_enabled=False,
        )
        # Bolt's own listeners: an uninstall or a revoked bot token deletes the stored
        # token, so nothing keeps a dead credential or answers for a team that left.
        app.enable_token_revocation_listeners()
    else:
        app = AsyncApp(
            signing_secret=secret, client=bot.client(bot.single_token),
            request_verification_enabled=False,
        )
    errors.register(app, bot)
    commands.register(app, bot)
    actions.register(app, bot)
    views.register(app, bot)
    events.register(app, bot)
    return app


def settings_oauth_url(bot: SlackBot) -> str:
    """``SLACK_OAUTH_URL`` when the settings have it, else Slack's own authorize page."""
    return str(getattr(bot.rt.settings, "slack_oauth_url", "https://slack.com/oauth/v2/authorize"))
