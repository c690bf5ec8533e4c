"""Tables of the media library beyond ``media_library`` itself."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class MediaPoster(Base):
    """A video's poster frame (a JPEG in the media store), or None when none could be decoded."""

    __tablename__ = "media_posters"
    media_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("media_library.id", ondelete="CASCADE"), primary_key=True
    )
    storage_key: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
