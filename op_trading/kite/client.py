"""The one way the product builds and calls the official KiteConnect client.

`make_kite` points the client at KITE_API_ROOT (the real API or the local simulator), sets the timeout and
registers the session-expiry hook that marks the stored token invalid. `call(kite, "quote", ...)` sends a call
through the process-wide rate limiter and the retry policy. kiteconnect is imported only inside `make_kite`.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass, field, fields
from typing import Any, Callable

from op_trading.config.fields import mask
from op_trading.kite.errors import AuthRequired, KiteSetupError
from op_trading.kite.ratelimit import RateLimiter, endpoint_class, shared_limiter
from op_trading.kite.retry import FATAL, RATE_LIMITED, RetryPolicy, classify, describe
from op_trading.kite.tokens import TokenStore, token_state

__all__ = ["AuthRequired", "KiteSetupError", "CallStats", "KiteCaller", "make_kite", "authenticated_kite", "call",
           "caller_for", "call_stats"]

log = logging.getLogger(__name__)
CREDENTIALS_HINT = "run the Environment configuration wizard (Kite Connect API credentials)"


@dataclass
class CallStats:
    calls: int = 0  # logical calls made through `call`
    attempts: int = 0  # HTTP requests sent (calls + retries)
    retries: int = 0
    rate_limited: int = 0  # 429 answers received
    cooldowns: int = 0
    failures: int = 0  # calls that raised after the last attempt (or at once for a fatal error)
    waited_seconds: float = 0.0  # pacing and backoff
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **amounts: float) -> None:
        with self._lock:
            for name, amount in amounts.items():
                setattr(self, name, getattr(self, name) + amount)

    def snapshot(self) -> dict[str, float]:
        with self._lock:
            return {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}


class KiteCaller:
    """Sends KiteConnect method calls through a shared RateLimiter and a RetryPolicy, counting what happens."""

    def __init__(self, kite: Any, limiter: RateLimiter | None = None, policy: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep, rng: random.Random | None = None):
        self.kite = kite
        self.limiter = limiter or shared_limiter(kite.root, kite.api_key)
        self.policy = policy or RetryPolicy()
        self.stats = CallStats()
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._answer = threading.local()  # HTTP status of the answer to this thread's current attempt
        hooks = getattr(getattr(kite, "reqsession", None), "hooks", None)
        if isinstance(hooks, dict):
            hooks.setdefault("response", []).append(self._note_answer)

    def _note_answer(self, response: Any, *args: Any, **kwargs: Any) -> None:
        """requests' response hook: remember the status, so a failure can be classified without reading text."""
        self._answer.status = response.status_code

    def call(self, method_name: str, *args: Any, **kwargs: Any) -> Any:
        if getattr(self.kite, "_op_rejected", False):
            # Kite already rejected this client's token: never send it again (only a new login helps)
            raise AuthRequired("Kite rejected this access token; log in again")
        method = self._method(method_name)
        endpoint = endpoint_class(method_name)
        self.stats.add(calls=1)
        attempt = 0
        while True:
            attempt += 1
            self.stats.add(attempts=1, waited_seconds=self.limiter.acquire(endpoint))
            self._answer.status = None
            try:
                result = method(*args, **kwargs)
            except Exception as error:
                delay = self._after_failure(method_name, endpoint, attempt, error)
                if delay is None:
                    raise
                self.stats.add(retries=1, waited_seconds=delay)
                self._sleep(delay)
                continue
            self.limiter.note_success(endpoint)
            return result

    def _method(self, method_name: str) -> Callable[..., Any]:
        """The client method to send, with `quote` on the official client's own request path (see raw_quote)."""
        if method_name == "quote" and type(self.kite).__module__.startswith("kiteconnect"):
            return lambda *instruments: raw_quote(self.kite, *instruments)
        return getattr(self.kite, method_name)

    def _after_failure(self, method_name: str, endpoint: str, attempt: int, error: Exception) -> float | None:
        """Seconds to wait before the next attempt, or None when the error must reach the caller."""
        status = getattr(self._answer, "status", None)
        if status is not None:
            error.http_status = status  # for whoever describes the error later (DataException's code is always 502)
        kind = classify(error, method_name, status)
        if kind == RATE_LIMITED:
            self.stats.add(rate_limited=1)
            if self.limiter.note_rate_limited(endpoint) >= self.policy.cooldown_after:
                self.limiter.cool_down(endpoint, self.policy.cooldown_seconds)
                self.stats.add(cooldowns=1)
                log.warning("Kite %s calls: %d rate-limit answers in a row, cooling down for %.0f s",
                            endpoint, self.policy.cooldown_after, self.policy.cooldown_seconds)
        what = self._scrub(describe(error, status))
        if kind == FATAL or attempt >= self.policy.max_attempts:
            self.stats.add(failures=1)
            reason = "not retried" if kind == FATAL else f"gave up after {attempt} attempts"
            log.warning("Kite %s failed (%s): %s", method_name, reason, what)
            return None
        delay = self.policy.delay(attempt, kind, self._rng)
        log.info("Kite %s attempt %d/%d failed: %s; retrying in %.2f s", method_name, attempt,
                 self.policy.max_attempts, what, delay)
        return delay

    def _scrub(self, text: str) -> str:
        """Error texts can echo URLs; make sure the access token never reaches a log line whole."""
        token = getattr(self.kite, "access_token", None)
        return text.replace(token, mask(token)) if token else text


def raw_quote(kite: Any, *instruments: Any) -> dict:
    """`kite.quote(...)` without the client's timestamp parsing, through the official client's own request path.

    KiteConnect.quote is `_get("market.quote", params={"i": [...]})` followed by `_format_response` on every
    instrument, which turns `timestamp` and `last_trade_time` into datetimes with dateutil's general parser: 40-80 ms
    for a 500-instrument answer, on every cycle, for fields the collector never reads (records carry the cycle's own
    time). Calling the same `_get` (same URL, headers, session, error mapping and expiry hook; no fork of the
    library) returns the answer with those two fields left as Kite's "YYYY-MM-DD HH:MM:SS" text.
    tests/performance/bench_kite.py prints both costs side by side.
    """
    names = list(instruments[0]) if len(instruments) == 1 and isinstance(instruments[0], (list, tuple)) \
        else list(instruments)
    return kite._get("market.quote", params={"i": names})


def make_kite(settings, access_token: str | None = None, policy: RetryPolicy | None = None,
              store: TokenStore | None = None):
    """A KiteConnect for KITE_API_KEY at KITE_API_ROOT, with our caller attached and the expiry hook set."""
    from kiteconnect import KiteConnect

    api_key = settings["KITE_API_KEY"]
    if not api_key:
        raise KiteSetupError(f"KITE_API_KEY is not set: {CREDENTIALS_HINT}")
    # debug stays False: the client's debug mode logs request headers, which carry the access token.
    kite = KiteConnect(api_key, access_token=access_token, root=settings["KITE_API_ROOT"],
                       timeout=settings["KITE_REQUEST_TIMEOUT_SECONDS"], debug=False)
    store = store or TokenStore.from_settings(settings)

    def on_session_expired() -> None:
        kite._op_rejected = True  # KiteCaller refuses to send this token again
        # Only the token this client holds: a failed check of a freshly pasted token (or a failed session
        # exchange, which has no token yet) must not condemn the good token in the store.
        if kite.access_token:
            store.mark_invalid("Kite answered TokenException (HTTP 403)", access_token=kite.access_token)

    kite.set_session_expiry_hook(on_session_expired)
    kite._op_caller = KiteCaller(kite, policy=policy or RetryPolicy.from_settings(settings))
    return kite


def authenticated_kite(settings, policy: RetryPolicy | None = None):
    """A client holding the stored token, or AuthRequired when there is no valid token for KITE_API_KEY."""
    if not settings["KITE_API_KEY"]:
        raise KiteSetupError(f"KITE_API_KEY is not set: {CREDENTIALS_HINT}")
    store = TokenStore.from_settings(settings)
    state = token_state(settings, store=store)
    if not state.usable:
        raise AuthRequired(f"Kite token {state.summary}: {state.detail}")
    return make_kite(settings, state.record.access_token, policy=policy, store=store)


def caller_for(kite: Any) -> KiteCaller:
    caller = getattr(kite, "_op_caller", None)
    if caller is None:
        caller = kite._op_caller = KiteCaller(kite)
    return caller


def call(kite: Any, method_name: str, *args: Any, **kwargs: Any) -> Any:
    """`kite.<method_name>(*args, **kwargs)` paced by the shared limiter and retried by the policy."""
    return caller_for(kite).call(method_name, *args, **kwargs)


def call_stats(kite: Any) -> CallStats:
    return caller_for(kite).stats
