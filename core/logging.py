"""Structured (JSON lines) logging. Secrets are never passed to the logger in the first place;
the filter below is a second line of defence for bearer tokens in library messages."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

_STANDARD = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}
_BEARER = re.compile(r"(?i)(bearer\s+|token=|secret=|password=)[^\s&\"']+")


def redact(text: str) -> str:
    return _BEARER.sub(r"\1[redacted]", text)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and any ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(payload, default=str)


# Libraries that log requests they receive or send, bodies included, at INFO or DEBUG (Bolt
# logs a refused request's whole body; the SDKs their payloads): warnings and errors only.
QUIET = (
    "aiohttp.access", "aiohttp.server", "httpx", "httpcore", "arq.worker", "arq.jobs",
    "slack_bolt", "slack_sdk", "telegram", "apscheduler",
)  # fmt: skip
FOREIGN_MESSAGE_LIMIT = 2000


class ForeignMessageCap(logging.Filter):
    """Cut another library's message at 2,000 characters: a body it quotes cannot flood."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.split(".", 1)[0] == "outpost":
            return True
        message = record.getMessage()
        if len(message) > FOREIGN_MESSAGE_LIMIT:
            record.msg = message[:FOREIGN_MESSAGE_LIMIT] + f"… [{len(message)} characters]"
            record.args = None
        return True


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ForeignMessageCap())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in QUIET:
        logging.getLogger(noisy).setLevel(logging.WARNING)
