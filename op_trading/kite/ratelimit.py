"""Process-wide pacing of Kite calls per endpoint class (limits are per api_key, so every caller shares them).

Kite allows quote-type calls 1/s, historical candles 3/s and everything else 10/s. Calls are spaced by the class
interval plus a small margin rather than sent in bursts: spacing stays inside the limit whether the server counts
with fixed windows, sliding windows or a token bucket. A class can be put into a cool-down after repeated 429s so
that every thread in the process waits instead of hammering the API (the RMS may block an app that keeps going).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable

QUOTE, HISTORICAL, OTHER = "quote", "historical", "other"
RATES_PER_SECOND = {QUOTE: 1.0, HISTORICAL: 3.0, OTHER: 10.0}
# Client method names (KiteConnect attributes) of the quote family and the candle endpoint.
_CLASS_OF_METHOD = {"quote": QUOTE, "ltp": QUOTE, "ohlc": QUOTE, "historical_data": HISTORICAL}
SAFETY_MARGIN = 0.05  # 5 % slower than the limit: absorbs clock and network jitter between us and the server


def endpoint_class(method_name: str) -> str:
    return _CLASS_OF_METHOD.get(method_name, OTHER)


@dataclass
class ClassCounters:
    calls: int = 0
    waited_seconds: float = 0.0
    cooldowns: int = 0


class RateLimiter:
    """Reserves send slots per endpoint class; thread-safe; waits outside the lock so threads queue in order."""

    def __init__(self, rates: dict[str, float] | None = None, margin: float = SAFETY_MARGIN,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.rates = dict(rates or RATES_PER_SECOND)
        self.margin = margin
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._next_free: dict[str, float] = {}
        self._in_a_row: dict[str, int] = {}  # consecutive 429s per class
        self.counters = {name: ClassCounters() for name in self.rates}

    def interval(self, endpoint: str) -> float:
        return (1.0 / self.rates[endpoint]) * (1.0 + self.margin)

    def reserve(self, endpoint: str) -> float:
        """Claim the next slot of the class; returns how long the caller must wait before sending."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_free.get(endpoint, now))
            self._next_free[endpoint] = slot + self.interval(endpoint)
            counters = self.counters[endpoint]
            counters.calls += 1
            counters.waited_seconds += slot - now
            return slot - now

    def acquire(self, endpoint: str) -> float:
        """Wait for a slot of the class; returns the seconds waited.

        The next slot counts from when this call really goes out, not from when it was scheduled: on a loaded
        machine the sleep (or the thread's turn afterwards) overruns, and scheduled-time spacing would then let
        the following call go out less than one interval after this one.
        """
        delay = self.reserve(endpoint)
        if delay > 0:
            self._sleep(delay)
        self._sent(endpoint)
        return delay

    def _sent(self, endpoint: str) -> None:
        with self._lock:
            after = self._clock() + self.interval(endpoint)
            if after > self._next_free.get(endpoint, 0.0):
                self._next_free[endpoint] = after

    def note_rate_limited(self, endpoint: str) -> int:
        """Count a 429 of the class; returns how many arrived in a row (across all callers)."""
        with self._lock:
            self._in_a_row[endpoint] = self._in_a_row.get(endpoint, 0) + 1
            return self._in_a_row[endpoint]

    def note_success(self, endpoint: str) -> None:
        if self._in_a_row.get(endpoint):
            with self._lock:
                self._in_a_row[endpoint] = 0

    def cool_down(self, endpoint: str, seconds: float) -> None:
        """Hold the whole class for `seconds` from now (every thread of the process waits)."""
        with self._lock:
            until = self._clock() + seconds
            if until > self._next_free.get(endpoint, 0.0):
                self._next_free[endpoint] = until
            self.counters[endpoint].cooldowns += 1
            self._in_a_row[endpoint] = 0


_SHARED: dict[tuple[str, str], RateLimiter] = {}
_SHARED_LOCK = threading.Lock()


def shared_limiter(root: str, api_key: str) -> RateLimiter:
    """The one limiter of the process for this API root and api_key (Kite counts per api_key)."""
    key = (root.rstrip("/"), api_key)
    with _SHARED_LOCK:
        limiter = _SHARED.get(key)
        if limiter is None:
            limiter = _SHARED[key] = RateLimiter()
        return limiter
