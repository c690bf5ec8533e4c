"""Tables of the Slack adapter: OAuth installations, OAuth states, processed deliveries."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, Index, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class SlackInstallation(Base):
    """One app install in a Slack workspace (or org); tokens are encrypted by the caller."""

    __tablename__ = "slack_installations"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    client_id: Mapped[str] = mapped_column(String(64))
    app_id: Mapped[str] = mapped_column(String(64), server_default="")
    # "" rather than NULL, so the unique key also holds for org-wide and non-org installs.
    enterprise_id: Mapped[str] = mapped_column(String(64), server_default="")
    team_id: Mapped[str] = mapped_column(String(64), server_default="")
    team_name: Mapped[str] = mapped_column(String(255), server_default="")
    is_enterprise_install: Mapped[bool] = mapped_column(Boolean, server_default="false")
    installer_user_id: Mapped[str] = mapped_column(String(64), server_default="")
    bot_id: Mapped[str] = mapped_column(String(64), server_default="")
    bot_user_id: Mapped[str] = mapped_column(String(64), server_default="")
    bot_scopes: Mapped[str] = mapped_column(Text, server_default="")
    bot_token_enc: Mapped[str] = mapped_column(Text)
    bot_refresh_token_enc: Mapped[str | None] = mapped_column(Text)
    bot_token_expires_at: Mapped[datetime | None]
    installed_at: Mapped[datetime] = mapped_column(server_default=func.now())
    __table_args__ = (
        UniqueConstraint("client_id", "enterprise_id", "team_id", name="uq_slack_installations"),
    )


class SlackOAuthState(Base):
    """An OAuth ``state`` issued for /slack/install, used up by the redirect."""

    __tablename__ = "slack_oauth_states"
    state: Mapped[str] = mapped_column(String(128), primary_key=True)
    expires_at: Mapped[datetime]
    __table_args__ = (Index("ix_slack_oauth_states_expires", "expires_at"),)


class SlackDelivery(Base):
    """A Slack request already handled (event id, trigger id): retries find it and stop."""

    __tablename__ = "slack_deliveries"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    received_at: Mapped[datetime]
    __table_args__ = (Index("ix_slack_deliveries_received", "received_at"),)
