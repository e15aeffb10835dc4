"""`Sandbox`: the local Kite Connect v3 server with its seeded market, started on a background thread."""

from __future__ import annotations

import threading
from collections import defaultdict
from datetime import date, datetime
from typing import Any

from op_trading.market import calendar
from op_trading.sandbox.clock import SimClock
from op_trading.sandbox.faults import FaultInjector
from op_trading.sandbox.ratelimit import RateLimiter
from op_trading.sandbox.sessions import DEFAULT_USER_ID, SessionStore

DEFAULT_REDIRECT_URL = "http://127.0.0.1:5000/success"
UNIVERSES_KEPT = 3


class Sandbox:
    """A Kite Connect v3 compatible server on `host:port` (0 = any free port) with a market seeded by `seed`.

    `speed` runs the simulated clock faster than real time; `start_at` (datetime or ISO text, IST) fixes where it
    starts; `rate_limits=False` turns Kite's per-api_key limits off; `faults` uses the `SIMULATOR_FAULTS` syntax.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, seed: int = 42, speed: float = 1.0,
                 rate_limits: bool = True, faults: str = "", start_at: datetime | str | None = None,
                 redirect_url: str = DEFAULT_REDIRECT_URL) -> None:
        self.host, self.port, self.seed = host, port, int(seed)
        self.redirect_url = redirect_url
        self.clock = SimClock(start_at, speed)
        self.sessions = SessionStore(self.seed)
        self.faults = FaultInjector(self.seed, faults)
        self.limiter = RateLimiter(enabled=rate_limits)
        self.stopping = False
        self._lock = threading.Lock()
        self._counts: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        self._universes: dict[date, Any] = {}
        self._models: tuple | None = None
        self._server = None
        self._thread: threading.Thread | None = None
        from op_trading.sandbox.api import KiteApi
        from op_trading.sandbox.control import Control
        from op_trading.sandbox.web import Router

        self.api = KiteApi(self)
        self.router = Router(self.api.routes() + Control(self).routes())

    @classmethod
    def from_settings(cls, settings, **overrides) -> "Sandbox":
        """From SIMULATOR_PORT, SIMULATOR_SEED, SIMULATOR_SPEED, SIMULATOR_FAULTS and KITE_REDIRECT_URL."""
        options = {"port": settings["SIMULATOR_PORT"], "seed": settings["SIMULATOR_SEED"],
                   "speed": settings["SIMULATOR_SPEED"], "faults": settings.get("SIMULATOR_FAULTS", ""),
                   "redirect_url": settings.get("KITE_REDIRECT_URL", DEFAULT_REDIRECT_URL)}
        return cls(**{**options, **overrides})

    # --- credentials --------------------------------------------------------------------------------------------

    @property
    def api_key(self) -> str:
        return self.sessions.api_key

    @property
    def api_secret(self) -> str:
        return self.sessions.api_secret

    def create_request_token(self, user_id: str = DEFAULT_USER_ID) -> str:
        return self.sessions.create_request_token(user_id)

    def issue_access_token(self, user_id: str = DEFAULT_USER_ID) -> str:
        return self.sessions.issue(user_id).access_token

    def expire_tokens(self) -> int:
        """Every access token issued so far becomes invalid; returns how many."""
        return self.sessions.expire_all()

    def set_faults(self, spec: str) -> str:
        """Replace the fault spec (ValueError if it does not parse); returns it as applied."""
        return self.faults.set(spec or "").text()

    # --- market -------------------------------------------------------------------------------------------------

    def _market_models(self) -> tuple:
        with self._lock:
            if self._models is None:
                from op_trading.sandbox.historical import CandleMaker
                from op_trading.sandbox.market import MarketModel
                from op_trading.sandbox.quotes import QuoteMaker

                market = MarketModel(self.seed)
                from op_trading.sandbox.answers import QuoteAnswers

                quotes = QuoteMaker(market, self.seed)
                self._models = (market, quotes, CandleMaker(market, quotes), QuoteAnswers(quotes))
            return self._models

    @property
    def market(self):
        return self._market_models()[0]

    @property
    def quotes(self):
        return self._market_models()[1]

    @property
    def candles(self):
        return self._market_models()[2]

    @property
    def answers(self):
        return self._market_models()[3]

    def universe(self, on: date | None = None):
        """The instrument dump of the simulated date (strikes centred on the previous session's close)."""
        from op_trading.sandbox.contracts import build_universe

        on = on or self.clock.now().date()
        with self._lock:
            found = self._universes.get(on)
        if found is None:
            reference_day = calendar.previous_trading_day(on)
            found = build_universe(on, lambda key: self.market.close(key, reference_day))
            with self._lock:
                self._universes[on] = found
                while len(self._universes) > UNIVERSES_KEPT:
                    self._universes.pop(min(self._universes))
        return found

    # --- statistics ---------------------------------------------------------------------------------------------

    def record(self, endpoint: str, status: int) -> None:
        with self._lock:
            self._counts[endpoint][status] += 1

    def stats(self) -> dict:
        """{"total": n, "endpoints": {"GET /quote": {200: n, 429: m, "total": n + m}, ...}}; status 0 = reset."""
        with self._lock:
            endpoints = {name: {**dict(codes), "total": sum(codes.values())} for name, codes in self._counts.items()}
        return {"total": sum(codes["total"] for codes in endpoints.values()), "endpoints": endpoints}

    def count(self, endpoint: str, status: int | None = None) -> int:
        """Requests seen for e.g. "GET /quote" (with that status, if given)."""
        codes = self.stats()["endpoints"].get(endpoint, {})
        return codes.get("total", 0) if status is None else codes.get(status, 0)

    def reset_stats(self) -> None:
        with self._lock:
            self._counts.clear()

    # --- lifecycle ----------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._server is None and not self.port:
            raise RuntimeError("the sandbox picks its port when started; call start() first")
        return f"http://{self.host}:{self.port}"

    @property
    def login_url(self) -> str:
        return self.url + "/connect/login"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> "Sandbox":
        from op_trading.sandbox.httpd import SandboxHTTPServer

        if self._server is not None:
            return self
        self.stopping = False
        self._server = SandboxHTTPServer((self.host, self.port), self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"kite-sandbox-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self.stopping = True
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server, self._thread = None, None

    def __enter__(self) -> "Sandbox":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = f"{self.host}:{self.port}" if self.port else "not started"
        return f"Sandbox({where}, seed={self.seed}, speed={self.clock.speed})"
