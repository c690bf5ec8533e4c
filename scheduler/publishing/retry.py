"""When a publish job runs again: the exception that asks the queue, and the backoff."""

from __future__ import annotations

import random
from datetime import timedelta

MAX_BACKOFF = 900.0
RATE_LIMIT_PATIENCE = timedelta(hours=24)


class RetryLater(Exception):
    """Ask the queue to run this job again after ``delay`` seconds."""

    def __init__(self, delay: float) -> None:
        super().__init__(delay)
        self.delay = delay


def backoff(attempt: int, base: float = 2.0) -> float:
    """Exponential with jitter: 2, 4, 8 ... seconds, capped at 15 minutes."""
    delay: float = min(MAX_BACKOFF, base * 2 ** max(0, attempt - 1))
    return delay * random.uniform(0.8, 1.2)
