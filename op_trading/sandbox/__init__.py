"""A local Kite Connect v3 compatible server with a seeded market simulator (mock data, always labelled so).

The official `kiteconnect` client talks to it unchanged through ``KiteConnect(api_key, root=sb.url)``::

    from op_trading.sandbox import Sandbox

    with Sandbox(port=0, seed=42, speed=1.0, rate_limits=True, faults="", start_at=None) as sb:
        kite = KiteConnect(sb.api_key, root=sb.url)
        kite.generate_session(sb.create_request_token(), api_secret=sb.api_secret)
        kite.quote("NSE:NIFTY 50")

From the command line: ``python -m op_trading.sandbox --port 8765 --seed 42`` prints the url, api_key, api_secret
and the KITE_API_ROOT / KITE_LOGIN_URL lines for `.env`.

Python API (`Sandbox`): ``start()`` / ``stop()`` / context manager, ``url``, ``login_url``, ``api_key``,
``api_secret``, ``create_request_token(user_id)``, ``issue_access_token(user_id)``, ``set_faults(spec)``,
``expire_tokens()``, ``clock.now()`` / ``clock.set(moment, speed)`` / ``clock.freeze()``, ``stats()``,
``count("GET /quote", status)``, ``reset_stats()``, ``universe()``, ``limiter.enabled``, ``from_settings(settings)``.

Endpoints (Kite paths): POST/DELETE /session/token, GET /user/profile, /user/margins[/{segment}], /instruments,
/instruments/{exchange}, /quote, /quote/ohlc, /quote/ltp, /instruments/historical/{token}/{interval}; the login
page /connect/login; control endpoints under /_sandbox (faults, expire_tokens, request_token, access_token, clock,
rate_limits, stats) — see `op_trading.sandbox.control`.

Faults (`SIMULATOR_FAULTS` syntax, e.g. "429_burst=3,error_rate=0.1,slow_ms=200,malformed_rate=0.05,token_ttl=600"):
see `op_trading.sandbox.faults`; change them at run time with ``sb.set_faults(...)`` or
``curl -X POST --data 'spec=error_rate=0.2' http://127.0.0.1:8765/_sandbox/faults``.

Importing this package is cheap: numpy and the server modules load only when used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from op_trading.sandbox.faults import FaultSpec, parse_faults
    from op_trading.sandbox.server import Sandbox

__all__ = ["Sandbox", "FaultSpec", "parse_faults"]


def __getattr__(name: str):
    if name == "Sandbox":
        from op_trading.sandbox.server import Sandbox

        return Sandbox
    if name in ("FaultSpec", "parse_faults"):
        from op_trading.sandbox import faults

        return getattr(faults, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
