"""The collector's quote call: the official client's own request, without its timestamp parsing."""

from __future__ import annotations

from datetime import datetime

from op_trading.kite.client import KiteCaller, raw_quote
from op_trading.kite.ratelimit import HISTORICAL, OTHER, QUOTE, RateLimiter
from tests.fixtures_sandbox import frozen_sandbox, kite  # noqa: F401 - fixtures

KEYS = ["NSE:NIFTY 50", "NSE:NIFTY BANK"]


def option_keys(kite, count: int) -> list[str]:
    return [f"NFO:{r['tradingsymbol']}" for r in kite.instruments("NFO") if r["instrument_type"] == "CE"][:count]


def test_raw_quote_is_quote_with_kites_time_text(kite):  # noqa: F811
    keys = KEYS + option_keys(kite, 5)
    parsed, raw = kite.quote(keys), raw_quote(kite, keys)
    assert set(parsed) == set(raw) == set(keys)
    for key in keys:
        for field in ("timestamp", "last_trade_time"):
            if isinstance(parsed[key][field], datetime):
                assert raw[key][field] == parsed[key][field].strftime("%Y-%m-%d %H:%M:%S")
            else:
                assert raw[key][field] == parsed[key][field]  # None for an index's last_trade_time
        rest = {name: value for name, value in raw[key].items() if name not in ("timestamp", "last_trade_time")}
        assert rest == {name: parsed[key][name] for name in rest}


def test_raw_quote_takes_one_key_a_list_or_several(kite):  # noqa: F811
    assert set(raw_quote(kite, KEYS[0])) == {KEYS[0]}
    assert set(raw_quote(kite, KEYS)) == set(raw_quote(kite, *KEYS)) == set(KEYS)


def test_the_caller_sends_quote_through_the_raw_path(kite, frozen_sandbox):  # noqa: F811
    caller = KiteCaller(kite, limiter=RateLimiter(rates={QUOTE: 1e9, HISTORICAL: 1e9, OTHER: 1e9}, margin=0))
    before = frozen_sandbox.count("GET /quote")
    answer = caller.call("quote", KEYS)
    assert isinstance(answer[KEYS[0]]["timestamp"], str) and frozen_sandbox.count("GET /quote") == before + 1
