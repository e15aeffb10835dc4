"""Quotes through the official client: the full quote shape, ltp/ohlc, limits, omitted keys, a coherent market."""

from __future__ import annotations

import math
from datetime import datetime

import pytest
from kiteconnect import exceptions as ex

from op_trading.sandbox import Sandbox
from tests.fixtures_sandbox import client, frozen_sandbox, kite  # noqa: F401 - fixtures

FULL_KEYS = {"instrument_token", "timestamp", "last_trade_time", "last_price", "last_quantity", "buy_quantity",
             "sell_quantity", "volume", "average_price", "oi", "oi_day_high", "oi_day_low", "net_change",
             "lower_circuit_limit", "upper_circuit_limit", "ohlc", "depth"}


@pytest.fixture(scope="module")
def contracts(frozen_sandbox):
    rows = client(frozen_sandbox, frozen_sandbox.issue_access_token()).instruments("NFO")
    spot = frozen_sandbox.market.close("NIFTY", datetime(2026, 11, 19).date())
    weekly = [r for r in rows if r["name"] == "NIFTY" and r["expiry"].isoformat() == "2026-12-01"]
    atm = min({r["strike"] for r in weekly}, key=lambda strike: abs(strike - spot))
    pair = {r["instrument_type"]: r for r in weekly if r["strike"] == atm}
    return {"rows": rows, "ce": pair["CE"], "pe": pair["PE"], "atm": atm}


def key(row):
    return f'{row["exchange"]}:{row["tradingsymbol"]}'


def test_full_quote_of_an_option(kite, contracts):
    ce = contracts["ce"]
    quote = kite.quote(key(ce))[key(ce)]
    assert set(quote) == FULL_KEYS and quote["instrument_token"] == ce["instrument_token"]
    assert isinstance(quote["timestamp"], datetime) and isinstance(quote["last_trade_time"], datetime)
    assert quote["timestamp"] == datetime(2026, 11, 20, 11, 0) and quote["last_trade_time"] <= quote["timestamp"]
    ohlc, depth = quote["ohlc"], quote["depth"]
    assert set(ohlc) == {"open", "high", "low", "close"}
    assert ohlc["low"] <= quote["last_price"] <= ohlc["high"] and ohlc["low"] <= ohlc["open"] <= ohlc["high"]
    assert ohlc["low"] <= quote["average_price"] <= ohlc["high"]
    assert len(depth["buy"]) == len(depth["sell"]) == 5
    assert all(set(level) == {"price", "quantity", "orders"} for level in depth["buy"] + depth["sell"])
    bids, asks = [level["price"] for level in depth["buy"]], [level["price"] for level in depth["sell"]]
    assert bids == sorted(bids, reverse=True) and asks == sorted(asks) and bids[0] < asks[0]
    assert bids[0] <= quote["last_price"] <= asks[0]
    lot = ce["lot_size"]
    assert quote["volume"] > 0 and quote["volume"] % lot == 0 and quote["last_quantity"] % lot == 0
    assert quote["oi_day_low"] <= quote["oi"] <= quote["oi_day_high"] and quote["oi"] % lot == 0
    assert all(isinstance(quote[name], int) for name in ("oi", "oi_day_high", "oi_day_low", "volume"))  # as Kite
    assert quote["lower_circuit_limit"] < quote["last_price"] < quote["upper_circuit_limit"]
    for price in [quote["last_price"], *ohlc.values(), *bids, *asks]:
        assert abs(price * 20 - round(price * 20)) < 1e-6  # on the 0.05 tick


def test_full_quote_of_an_index_has_every_key_zeroed(kite):
    quote = kite.quote("NSE:NIFTY 50")["NSE:NIFTY 50"]
    assert set(quote) == FULL_KEYS and quote["instrument_token"] == 256265
    assert quote["last_trade_time"] is None and quote["volume"] == 0 and quote["oi"] == 0
    assert all(isinstance(quote[name], int) for name in ("oi", "oi_day_high", "oi_day_low"))
    assert all(level == {"price": 0, "quantity": 0, "orders": 0} for level in quote["depth"]["buy"])
    ohlc = quote["ohlc"]
    assert ohlc["low"] <= quote["last_price"] <= ohlc["high"] and 15_000 < quote["last_price"] < 45_000


def test_ltp_and_ohlc_shapes(kite, contracts):
    keys = ["NSE:NIFTY 50", "BSE:SENSEX", "NSE:INDIA VIX", key(contracts["pe"])]
    ltp, ohlc = kite.ltp(*keys), kite.ohlc(*keys)
    assert set(ltp) == set(ohlc) == set(keys)
    for name in keys:
        assert set(ltp[name]) == {"instrument_token", "last_price"}
        assert set(ohlc[name]) == {"instrument_token", "last_price", "ohlc"}
        assert ltp[name]["last_price"] == ohlc[name]["last_price"]
    assert 5 < ltp["NSE:INDIA VIX"]["last_price"] < 40


def test_unknown_keys_are_omitted_and_tokens_are_accepted(kite, contracts):
    token = str(contracts["ce"]["instrument_token"])
    data = kite.ltp("NSE:NIFTY 50", "NFO:NIFTY20JAN10000CE", "NSE:NOSUCH", token, "256265")
    assert set(data) == {"NSE:NIFTY 50", token, "256265"}
    assert data["256265"] == data["NSE:NIFTY 50"]
    assert kite.quote() == {}


def test_quote_spellings_with_spaces_are_form_decoded(kite):
    assert kite.ltp("NSE:NIFTY BANK", "NSE:NIFTY FIN SERVICE", "NSE:NIFTY MID SELECT")["NSE:NIFTY BANK"][
        "instrument_token"] == 260105


def test_per_call_limits(kite):
    assert len(kite.quote(["NSE:NIFTY 50"] * 500)) == 1
    with pytest.raises(ex.InputException, match="500") as caught:
        kite.quote(["NSE:NIFTY 50"] * 501)
    assert caught.value.code == 400
    assert len(kite.ohlc(["256265"] * 1000)) == 1
    with pytest.raises(ex.InputException, match="1000"):
        kite.ltp(["256265"] * 1001)


def test_an_overlong_url_gets_the_gateways_html_page(kite, contracts):
    options = [key(r) for r in contracts["rows"] if r["instrument_type"] in ("CE", "PE")][:1000]
    with pytest.raises(ex.DataException, match="Unknown Content-Type"):
        kite.ltp(options)


def test_put_call_parity_holds_on_mid_prices(kite, frozen_sandbox, contracts):
    from op_trading.sandbox import pricing

    ce, pe = contracts["ce"], contracts["pe"]
    quotes = kite.quote(key(ce), key(pe), "NSE:NIFTY 50")
    mid = {k: (q["depth"]["buy"][0]["price"] + q["depth"]["sell"][0]["price"]) / 2 for k, q in quotes.items()
           if k != "NSE:NIFTY 50"}
    spot = quotes["NSE:NIFTY 50"]["last_price"]
    years = pricing.years_to_expiry(frozen_sandbox.clock.now(), ce["expiry"])
    parity = math.exp(-pricing.RATE * years) * (pricing.forward(spot, years) - contracts["atm"])
    assert abs(mid[key(ce)] - mid[key(pe)] - parity) < 2.0


def test_same_seed_same_market_and_another_seed_another():
    def snapshot(seed):
        with Sandbox(port=0, seed=seed, speed=0, rate_limits=False, start_at="2026-11-20 13:37:15") as box:
            kite = client(box, box.issue_access_token())
            option = next(r for r in kite.instruments("BFO") if r["instrument_type"] == "PE")
            return kite.quote("NSE:NIFTY 50", "NSE:INDIA VIX", f'BFO:{option["tradingsymbol"]}')

    first, again, other = snapshot(11), snapshot(11), snapshot(12)
    assert first == again
    assert first["NSE:NIFTY 50"]["last_price"] != other["NSE:NIFTY 50"]["last_price"]


def test_the_market_moves_and_accumulates_through_the_day(contracts):
    ce = contracts["ce"]
    with Sandbox(port=0, seed=42, speed=0, rate_limits=False, start_at="2026-11-20 09:30") as box:
        kite = client(box, box.issue_access_token())
        early = kite.quote(key(ce), "NSE:NIFTY 50")
        box.clock.set("2026-11-20 14:45")
        late = kite.quote(key(ce), "NSE:NIFTY 50")
        box.clock.set("2026-11-23 08:00")  # before Monday's open: Friday's closing state
        closed = kite.quote("NSE:NIFTY 50")["NSE:NIFTY 50"]
    assert late[key(ce)]["volume"] > early[key(ce)]["volume"]
    assert late["NSE:NIFTY 50"]["last_price"] != early["NSE:NIFTY 50"]["last_price"]
    assert late["NSE:NIFTY 50"]["ohlc"]["open"] == early["NSE:NIFTY 50"]["ohlc"]["open"]
    assert late["NSE:NIFTY 50"]["ohlc"]["high"] >= early["NSE:NIFTY 50"]["ohlc"]["high"]
    assert closed["timestamp"] == datetime(2026, 11, 20, 15, 30)
    assert closed["ohlc"]["open"] == early["NSE:NIFTY 50"]["ohlc"]["open"]


def test_intraday_volatility_is_consistent_with_vix():
    """Realised volatility of a day's 15-second path is close to beta x VIX (annualised over 252 sessions)."""
    import numpy as np

    from op_trading.sandbox.market import ALL_KEYS, BETA, STEPS, MarketModel

    market = MarketModel(5)
    days = [day for day in market._daily()["days"] if day.year == 2026][:60]
    ratios = []
    for day in days:
        levels = market.day_path(day).levels
        realised = np.diff(np.log(levels[ALL_KEYS.index("NIFTY")])).std() * math.sqrt(252 * STEPS)
        implied = BETA["NIFTY"] * market.previous_close("INDIAVIX", day) / 100
        ratios.append(realised / implied)
    assert 0.8 < float(np.mean(ratios)) < 1.2


@pytest.mark.parametrize("name, tick", [("NIFTY", 0.1), ("BANKNIFTY", 0.2), ("FINNIFTY", 0.1), ("SENSEX", 0.05)])
def test_future_quotes_and_candles_are_on_the_futures_tick(kite, name, tick):
    rows = [r for r in kite.instruments("NFO") + kite.instruments("BFO")
            if r["name"] == name and r["instrument_type"] == "FUT"]
    quotes = kite.quote([f"{r['exchange']}:{r['tradingsymbol']}" for r in rows])
    on_tick = lambda price: abs(price / tick - round(price / tick)) < 1e-6  # noqa: E731
    for quote in quotes.values():
        depth = [level["price"] for level in quote["depth"]["buy"] + quote["depth"]["sell"] if level["price"]]
        prices = [quote["last_price"], quote["average_price"], *quote["ohlc"].values(), *depth]
        assert all(on_tick(price) for price in prices), prices
    candles = kite.historical_data(rows[0]["instrument_token"], "2026-11-20 09:15:00", "2026-11-20 10:00:00", "5minute")
    assert candles and all(on_tick(c[k]) for c in candles for k in ("open", "high", "low", "close"))
