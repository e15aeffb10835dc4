"""Which Kite failures are worth another attempt, and how long to wait before it.

Decisions read only the exception's type and the HTTP status of the answer (never message or body text: a
truncated quote answer quotes numbers such as "414" that say nothing about the request).

Retried: 429 (Kite sends it as NetworkException with HTTP 429), 5xx-class Kite errors (NetworkException 503,
GeneralException >= 500), answers the client could not read (DataException or a parsing error after a 2xx/5xx
answer: a gateway page, a body cut short) and requests' timeouts and connection errors (the client re-raises those
unwrapped). Never retried: TokenException (the session is gone; the user must log in), InputException and
PermissionException (the same request fails the same way), OrderException, and an unreadable 4xx answer (an HTML
"414 URI too long" page: the same URL fails the same way). Calls that change state on the server (session
exchange, orders) are retried only after a 429, which tells us the server did nothing; after a timeout or a 5xx we
cannot know, and a second session exchange of the same single-use request_token would hide the real error behind
"Token is invalid or has expired".
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from op_trading.errortext import error_line

RETRY, RATE_LIMITED, FATAL = "retry", "rate_limited", "fatal"

NOT_IDEMPOTENT = frozenset({
    "generate_session", "renew_access_token", "invalidate_access_token", "invalidate_refresh_token",
    "place_order", "modify_order", "cancel_order", "exit_order", "convert_position", "place_gtt", "modify_gtt",
    "delete_gtt", "place_mf_order", "cancel_mf_order", "place_mf_sip", "modify_mf_sip", "cancel_mf_sip",
})
_NEVER_RETRIED = ("TokenException", "PermissionException", "InputException", "OrderException")
# What the client raises when an answer arrived but could not be read (a missing header, JSON cut short that
# still parsed into the wrong shape, a timestamp it could not parse).
_UNREADABLE_ANSWER = (ValueError, KeyError, TypeError, AttributeError, IndexError)


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


def classify(error: BaseException, method_name: str = "", status: int | None = None) -> str:
    """RETRY, RATE_LIMITED or FATAL for an exception raised by a KiteConnect method.

    `status` is the HTTP status of the answer the call received (None when no answer arrived).
    """
    kind = _classify_kite(error, status)
    if kind is None:
        kind = _classify_transport(error, status)
    if kind == RETRY and method_name in NOT_IDEMPOTENT:
        return FATAL
    return kind


def _classify_kite(error: BaseException, status: int | None) -> str | None:
    from kiteconnect import exceptions as kex

    if not isinstance(error, kex.KiteException):
        return None
    if isinstance(error, kex.DataException):
        # The client could not read the answer; its `code` is always 502, so the status received decides.
        return _classify_unreadable(status)
    code = getattr(error, "code", 500) or 500
    if code == 429:
        return RATE_LIMITED
    if type(error).__name__ in _NEVER_RETRIED:
        return FATAL
    if isinstance(error, kex.NetworkException):
        return RETRY
    return RETRY if code >= 500 else FATAL


def _classify_unreadable(status: int | None) -> str:
    if status == 429:
        return RATE_LIMITED
    if status is not None and 400 <= status < 500:
        return FATAL  # e.g. an HTML "414 Request-URI Too Large" page: asking again with the same URL cannot help
    return RETRY  # a body cut short, a gateway's HTML 502 page: like a 5xx


def _classify_transport(error: BaseException, status: int | None) -> str:
    from requests import exceptions as rex

    transient = (rex.Timeout, rex.ConnectionError, rex.ChunkedEncodingError, rex.ContentDecodingError)
    if isinstance(error, transient):
        return RETRY
    if status is not None and isinstance(error, _UNREADABLE_ANSWER):
        return _classify_unreadable(status)  # an answer arrived and the client choked on it
    return FATAL


def describe(error: BaseException, status: int | None = None) -> str:
    """One bounded line about an error for logs and users: the class, the HTTP code when known, the message's
    first line; response bodies quoted in the text are left out (a mangled session answer carries the token)."""
    return error_line(error, status)
