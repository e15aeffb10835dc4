"""Which Kite failures are worth another attempt, and how long to wait before it.

Retried: 429 (Kite sends it as NetworkException with HTTP 429), 5xx-class Kite errors (NetworkException 503,
GeneralException >= 500, DataException from a gateway page or a mangled body) and requests' timeouts and
connection errors (the client re-raises those unwrapped). Never retried: TokenException (the session is gone; the
user must log in), InputException and PermissionException (the same request fails the same way), OrderException.
Calls that change state on the server (session exchange, orders) are retried only after a 429, which tells us the
server did nothing; after a timeout or a 5xx we cannot know, and a second session exchange of the same single-use
request_token would hide the real error behind "Token is invalid or has expired".
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

RETRY, RATE_LIMITED, FATAL = "retry", "rate_limited", "fatal"

NOT_IDEMPOTENT = frozenset({
    "generate_session", "renew_access_token", "invalidate_access_token", "invalidate_refresh_token",
    "place_order", "modify_order", "cancel_order", "exit_order", "convert_position", "place_gtt", "modify_gtt",
    "delete_gtt", "place_mf_order", "cancel_mf_order", "place_mf_sip", "modify_mf_sip", "cancel_mf_sip",
})
_NEVER_RETRIED = ("TokenException", "PermissionException", "InputException", "OrderException")
# An HTML error page for a too-long URL reaches us as DataException("Unknown Content-Type ..."): asking again
# with the same URL cannot help.
_CLIENT_ERROR_PAGES = ("400 Bad Request", "414", "Request-URI Too Long", "URI Too Long")
_QUOTED_BODY = re.compile(r"(?::|\s+with response:)\s*\(?b['\"].*$")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    rate_limit_delay: float = 1.0  # Kite answers 429 "for the rest of the window": wait at least one window
    cooldown_after: int = 3  # consecutive 429s in one endpoint class that trip a cool-down
    cooldown_seconds: float = 5.0

    @classmethod
    def from_settings(cls, settings) -> "RetryPolicy":
        return cls(max_attempts=int(settings["KITE_MAX_RETRIES"]))

    def delay(self, attempt: int, kind: str, rng: random.Random | None = None) -> float:
        """Seconds before attempt `attempt + 1`: exponential, capped, with half of it random ("equal jitter")."""
        rng = rng or random
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        if kind == RATE_LIMITED:
            # Never sooner than the window; jitter only upwards so parallel callers spread out after it.
            floor = max(ceiling, self.rate_limit_delay)
            return floor * (1 + rng.uniform(0, 0.25))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


def classify(error: BaseException, method_name: str = "") -> str:
    """RETRY, RATE_LIMITED or FATAL for an exception raised by a KiteConnect method."""
    kind = _classify_kite(error)
    if kind is None:
        kind = _classify_transport(error)
    if kind == RETRY and method_name in NOT_IDEMPOTENT:
        return FATAL
    return kind


def _classify_kite(error: BaseException) -> str | None:
    from kiteconnect import exceptions as kex

    if not isinstance(error, kex.KiteException):
        return None
    code = getattr(error, "code", 500) or 500
    if code == 429:
        return RATE_LIMITED
    if type(error).__name__ in _NEVER_RETRIED:
        return FATAL
    if isinstance(error, kex.NetworkException):
        return RETRY
    if isinstance(error, kex.DataException):
        text = str(error)
        return FATAL if any(marker in text for marker in _CLIENT_ERROR_PAGES) else RETRY
    return RETRY if code >= 500 else FATAL


def _classify_transport(error: BaseException) -> str:
    from requests import exceptions as rex

    transient = (rex.Timeout, rex.ConnectionError, rex.ChunkedEncodingError)
    return RETRY if isinstance(error, transient) else FATAL


def describe(error: BaseException) -> str:
    """One line about an error for logs and users: the class, the HTTP code when known, and the message."""
    code = getattr(error, "code", None)
    name = type(error).__name__
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    # The client quotes whole response bodies in DataException texts; a mangled session answer would carry the
    # access token, so bodies are cut off here, for logs and users alike.
    text = _QUOTED_BODY.sub(" (response body not shown)", text)
    if len(text) > 160:
        text = text[:157] + "..."
    prefix = f"{name} (HTTP {code})" if code else name
    return f"{prefix}: {text}" if text else prefix
