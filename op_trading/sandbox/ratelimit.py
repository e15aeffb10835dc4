"""Kite's per-api_key rate limits: quote 1 request/s, historical 3/s, everything else 10/s (domain.md §1.9).

A sliding one-second window of accepted requests per (api_key, group); a request over the limit is refused and
does not count, so a client that waits a second gets through again.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

LIMITS = {"quote": 1, "historical": 3, "other": 10}
WINDOW_SECONDS = 1.0


def group_of(path: str) -> str:
    if path.startswith("/quote"):
        return "quote"
    if path.startswith("/instruments/historical/"):
        return "historical"
    return "other"


class RateLimiter:
    def __init__(self, enabled: bool = True, limits: dict[str, int] | None = None, clock=time.monotonic) -> None:
        self.enabled = enabled
        self.limits = dict(limits or LIMITS)
        self._clock = clock
        self._lock = threading.Lock()
        self._accepted: dict[tuple[str, str], deque[float]] = defaultdict(deque)

    def allow(self, api_key: str, path: str) -> bool:
        if not self.enabled:
            return True
        group = group_of(path)
        now = self._clock()
        with self._lock:
            window = self._accepted[(api_key, group)]
            while window and now - window[0] >= WINDOW_SECONDS:
                window.popleft()
            if len(window) >= self.limits[group]:
                return False
            window.append(now)
            return True
