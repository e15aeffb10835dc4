"""Fault injection: the `SIMULATOR_FAULTS` syntax and the per-request decisions it drives.

Syntax: a comma list of ``name=number`` (spaces ignored, "" = no faults)::

    429_burst=3        the next 3 API requests get HTTP 429 NetworkException "Too many requests" (re-armed each
                       time faults are set)
    429_rate=0.2       each API request gets a 429 with this probability
    error_rate=0.1     each API request gets a server error with this probability, in turn 500 GeneralException,
                       502 NetworkException, 503 NetworkException
    html_rate=0.05     each API request gets a gateway's HTML 502 page (the client raises DataException)
    malformed_rate=0.05  a successful JSON response has its body cut short (DataException in the client)
    slow_ms=200        responses are delayed by this many milliseconds ...
    slow_rate=0.5      ... for this fraction of requests (default 1 when slow_ms is set)
    reset_rate=0.05    the connection is closed without a response (requests raises ConnectionError)
    permission_rate=1  quote and historical calls get 403 PermissionException "Insufficient permission for that
                       call." with this probability (1 = an app without the market-data add-on)
    token_ttl=600      access tokens stop working this many seconds after they were issued (TokenException)

Rates are probabilities in [0, 1]. Decisions come from a random generator seeded with the simulator's seed and
restarted whenever faults are set, so one client issuing the same requests in the same order sees the same faults.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, fields

RATE_NAMES = ("429_rate", "error_rate", "html_rate", "malformed_rate", "slow_rate", "reset_rate", "permission_rate")
COUNT_NAMES = ("429_burst", "slow_ms", "token_ttl")
SERVER_ERRORS = ((500, "GeneralException", "Something went wrong. Please try again."),
                 (502, "NetworkException", "Couldn't connect to the OMS. Please try again."),
                 (503, "NetworkException", "Service unavailable. Please try again."))


@dataclass(frozen=True)
class FaultSpec:
    burst_429: int = 0
    rate_429: float = 0.0
    error_rate: float = 0.0
    html_rate: float = 0.0
    malformed_rate: float = 0.0
    slow_ms: int = 0
    slow_rate: float = 1.0
    reset_rate: float = 0.0
    permission_rate: float = 0.0
    token_ttl: float | None = None

    def text(self) -> str:
        """The spec back in `SIMULATOR_FAULTS` syntax (only what differs from no faults)."""
        parts = []
        for name, attr in _NAME_TO_ATTR.items():
            value = getattr(self, attr)
            if value != getattr(NO_FAULTS, attr):
                parts.append(f"{name}={_number_text(value)}")
        return ",".join(parts)


_NAME_TO_ATTR = {"429_burst": "burst_429", "429_rate": "rate_429", "error_rate": "error_rate",
                 "html_rate": "html_rate", "malformed_rate": "malformed_rate", "slow_ms": "slow_ms",
                 "slow_rate": "slow_rate", "reset_rate": "reset_rate", "permission_rate": "permission_rate",
                 "token_ttl": "token_ttl"}
NO_FAULTS = FaultSpec()
assert set(_NAME_TO_ATTR.values()) == {f.name for f in fields(FaultSpec)}


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def parse_faults(spec: str | None) -> FaultSpec:
    """Parse the faults syntax; ValueError names the bad part and lists the known names."""
    values: dict[str, float] = {}
    for part in (spec or "").replace(" ", "").split(","):
        if not part:
            continue
        name, sep, text = part.partition("=")
        if not sep or name not in _NAME_TO_ATTR:
            raise ValueError(f"unknown fault {part!r}; known: {', '.join(_NAME_TO_ATTR)} (as name=number)")
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"fault {name} needs a number, got {text!r}") from None
        if number < 0 or (name in RATE_NAMES and number > 1):
            raise ValueError(f"fault {name}={text} is out of range" + (" (0..1)" if name in RATE_NAMES else ""))
        values[_NAME_TO_ATTR[name]] = number
    for attr in ("burst_429", "slow_ms"):
        if attr in values:
            values[attr] = int(values[attr])
    return FaultSpec(**values)


@dataclass(frozen=True)
class Decision:
    """What to do to one API request before (and after) it is handled."""
    reset: bool = False
    delay_s: float = 0.0
    error: tuple[int, str, str] | None = None  # (status, error_type, message) answered instead of the handler
    html_error: bool = False
    malform: bool = False
    deny_market_data: bool = False  # answer quote/historical calls with PermissionException


class FaultInjector:
    def __init__(self, seed: int, spec: str | FaultSpec = "") -> None:
        self._seed = seed
        self._lock = threading.Lock()
        self.set(spec)

    def set(self, spec: str | FaultSpec) -> FaultSpec:
        parsed = spec if isinstance(spec, FaultSpec) else parse_faults(spec)
        with self._lock:
            self._spec = parsed
            self._burst_left = parsed.burst_429
            self._random = random.Random(f"sandbox-faults:{self._seed}")
            self._errors_served = 0
        return parsed

    @property
    def spec(self) -> FaultSpec:
        return self._spec

    def decide(self) -> Decision:
        """Draw the faults for the next API request (always the same number of draws, to stay reproducible)."""
        with self._lock:
            spec, draw = self._spec, [self._random.random() for _ in range(7)]
            if spec.reset_rate and draw[0] < spec.reset_rate:
                return Decision(reset=True)
            delay = spec.slow_ms / 1000 if spec.slow_ms and draw[1] < spec.slow_rate else 0.0
            if self._burst_left > 0:
                self._burst_left -= 1
                return Decision(delay_s=delay, error=(429, "NetworkException", "Too many requests"))
            if spec.rate_429 and draw[2] < spec.rate_429:
                return Decision(delay_s=delay, error=(429, "NetworkException", "Too many requests"))
            if spec.error_rate and draw[3] < spec.error_rate:
                error = SERVER_ERRORS[self._errors_served % len(SERVER_ERRORS)]
                self._errors_served += 1
                return Decision(delay_s=delay, error=error)
            if spec.html_rate and draw[4] < spec.html_rate:
                return Decision(delay_s=delay, html_error=True)
            return Decision(delay_s=delay, malform=bool(spec.malformed_rate and draw[5] < spec.malformed_rate),
                            deny_market_data=bool(spec.permission_rate and draw[6] < spec.permission_rate))
