"""The units networks' capabilities are written in: media types and sizes for
``Publisher.media_types`` and ``max_*_bytes``."""

from __future__ import annotations

MB = 1024 * 1024
# The still images nearly every network takes.
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
VIDEO_TYPES = frozenset({"video/mp4", "video/quicktime"})
# Those and WebM video: what Mastodon, Slack and Telegram channels all take.
WEB_MEDIA = IMAGE_TYPES | VIDEO_TYPES | {"video/webm"}
