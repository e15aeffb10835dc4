"""The REST API served by a real uvicorn inside the service, over data the service collected from the simulator."""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.request
from datetime import date

import pytest

from tests.fixtures_api import start_service

ENDPOINTS = ["/health", "/api/v1/overview", "/api/v1/options/NIFTY", "/api/v1/options/SENSEX?strikes=3",
             "/api/v1/participants?days=5", "/api/v1/analytics/cash-flows?timeframe=1m",
             "/api/v1/analytics/market-breadth", "/api/v1/analytics/volatility", "/api/v1/positions/monitor",
             "/api/v1/alerts", "/api/v1/errors", "/api/v1/premarket",
             "/api/v1/series/intraday?index=NIFTY&fields=total_premium,premium_weekday_avg,pcr_oi",
             "/api/v1/series/daily?index=BANKNIFTY&days=5", "/api/v1/series/oi-change?index=NIFTY&window=1"]


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    running = start_service(tmp_path_factory.mktemp("api"))
    yield running
    running.stop()


def get(url: str, headers: dict | None = None) -> tuple[int, dict, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


@pytest.mark.parametrize("path", ENDPOINTS)
def test_every_endpoint_answers_with_source_and_time(running, path):
    code, _, body = get(running.url + path)
    assert code == 200, body
    data = json.loads(body)
    assert data["source"] == "mock"
    assert "as_of" in data


@pytest.mark.parametrize("path, reason", [
    ("/api/v1/options/NOPE", "unknown index 'NOPE'"),
    ("/api/v1/options/NIFTY?strikes=0", "strikes:"),
    ("/api/v1/options/NIFTY?expiry=tomorrow", "expiry:"),
    ("/api/v1/analytics/cash-flows?timeframe=2m", "timeframe:"),
    ("/api/v1/series/intraday?index=NIFTY&fields=nonsense", "unknown field(s) nonsense"),
    ("/api/v1/series/daily?index=NIFTY&days=100000", "days:"),
    ("/api/v1/series/intraday?index=NIFTY&bucket=someday", "unknown bucket"),
    ("/api/v1/alerts?limit=-1", "limit:"),
])
def test_bad_parameters_get_422_with_one_line(running, path, reason):
    code, _, body = get(running.url + path)
    assert code == 422
    detail = json.loads(body)["detail"]
    assert isinstance(detail, str) and "\n" not in detail and reason in detail


def test_missing_chain_is_404_with_a_reason(running):
    code, _, body = get(running.url + "/api/v1/options/NIFTY?expiry=2001-01-01")
    assert code == 404 and "no option chain snapshot" in json.loads(body)["detail"]


def bs_reference(spot, strike, t, r, sigma, call):
    """Black-Scholes (q = 0) written out from the textbook formula, independent of the product's module."""
    from scipy.stats import norm

    d1 = (math.log(spot / strike) + (r + sigma * sigma / 2) * t) / (sigma * math.sqrt(t))
    d2 = d1 - sigma * math.sqrt(t)
    delta = norm.cdf(d1) if call else norm.cdf(d1) - 1
    gamma = norm.pdf(d1) / (spot * sigma * math.sqrt(t))
    vega = spot * norm.pdf(d1) * math.sqrt(t) / 100
    carry = -r * strike * math.exp(-r * t) * (norm.cdf(d2) if call else -norm.cdf(-d2))
    theta = (-spot * norm.pdf(d1) * sigma / (2 * math.sqrt(t)) + carry) / 365
    return delta, gamma, theta, vega


def test_chain_greeks_match_an_independent_black_scholes(running):
    from op_trading.analytics.iv_conventions import time_to_expiry
    from op_trading.analytics.common import as_ist

    code, _, body = get(running.url + "/api/v1/options/NIFTY?strikes=4")
    chain = json.loads(body)
    assert code == 200 and chain["model"] == "black_scholes" and len(chain["rows"]) == 9
    assert sum(row["atm"] for row in chain["rows"]) == 1 and chain["atm_strike"] == chain["rows"][4]["strike"]
    t = time_to_expiry(as_ist(chain["as_of"]), date.fromisoformat(chain["expiry"]))
    r = float(running.settings["IV_RISK_FREE_RATE"])
    checked = 0
    for row in chain["rows"]:
        for side, call in (("call", True), ("put", False)):
            option = row[side]
            if option is None or option["iv"] is None:
                continue
            expected = bs_reference(chain["spot"], row["strike"], t, r, option["iv"], call)
            got = (option["delta"], option["gamma"], option["theta"], option["vega"])
            assert got == pytest.approx(expected, rel=1e-6, abs=1e-9)
            assert option["itm"] == (row["strike"] < chain["spot"] if call else row["strike"] > chain["spot"])
            checked += 1
    assert checked >= 12


def test_series_match_the_store(running):
    from op_trading.analytics import common
    from op_trading.storage import open_store

    _, _, body = get(running.url + "/api/v1/series/intraday?index=NIFTY&bucket=this_week&fields=pcr_oi,atm_iv")
    series = json.loads(body)
    store = open_store(running.settings)
    try:
        rows = common.query(store, "chain_metrics", tags={"index": "NIFTY", "bucket": "this_week", "source": "mock"})
    finally:
        store.close()
    assert len(series["times"]) == len(rows) >= 2
    assert series["values"]["pcr_oi"] == pytest.approx([row["pcr_oi"] for row in rows])


def test_docs_work_offline(running):
    code, _, html = get(running.url + "/docs")
    assert code == 200
    assert "https://" not in html and "http://" not in html  # nothing from a CDN
    for asset in ("/static/docs/swagger-ui-bundle.js", "/static/docs/swagger-ui.css"):
        assert asset in html
        assert get(running.url + asset)[0] == 200
    spec = json.loads(get(running.url + "/openapi.json")[2])
    assert "/api/v1/options/{index}" in spec["paths"] and "ChainView" in json.dumps(spec["components"])


def test_metrics_are_prometheus_text_with_cache_counts(running):
    get(running.url + "/api/v1/market-breadth")
    get(running.url + "/api/v1/analytics/market-breadth")
    get(running.url + "/api/v1/analytics/market-breadth")
    code, headers, text = get(running.url + "/metrics")
    assert code == 200 and headers["content-type"].startswith("text/plain")
    assert 'op_api_cache_requests_total{kind="market_breadth",result="hit"}' in text
    assert "op_cycles_total 3" in text  # the service's own counters come along


def test_plotly_is_served_from_the_installed_package(running):
    from op_trading.api.dashboard import plotly_js

    code, headers, body = get(running.url + "/static/vendor/plotly.min.js")
    assert code == 200 and "javascript" in headers["content-type"]
    assert len(body) == len(plotly_js().read_text(encoding="utf-8"))


def raw_get(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=30) as response:
        return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()


def test_assets_are_versioned_long_cached_and_gzipped(running):
    import gzip
    import re

    from op_trading.api.dashboard import WEB, plotly_js

    page = get(running.url + "/chain")[2]
    urls = re.findall(r'(?:href|src|data-plotly)="(/static/[^"]+)"', page)
    assert len(urls) == 3 and all("?v=" in url for url in urls), urls
    for url in urls:
        code, headers, body = raw_get(running.url + url, {"Accept-Encoding": "gzip"})
        assert code == 200 and "immutable" in headers["cache-control"], (url, headers)
        assert headers.get("content-encoding") == "gzip"
        name = url.split("?")[0].rsplit("/", 1)[1]
        original = plotly_js() if name == "plotly.min.js" else WEB / "static" / name
        assert gzip.decompress(body) == original.read_bytes() and len(body) < len(original.read_bytes()) / 2
    stale = raw_get(running.url + urls[0].split("?")[0] + "?v=old")[1]
    assert "immutable" not in stale["cache-control"]  # a URL of another release is not pinned for a year
    code, headers, body = raw_get(running.url + "/api/v1/options/NIFTY?strikes=10", {"Accept-Encoding": "gzip"})
    assert headers.get("content-encoding") == "gzip" and json.loads(gzip.decompress(body))["source"] == "mock"
    assert "data-plotly=\"\"" in get(running.url + "/")[2]  # a page without charts never loads plotly


def test_websocket_sends_the_latest_state_at_once(running):
    from websockets.sync.client import connect

    with connect(running.url.replace("http", "ws") + "/ws/cycles", open_timeout=10) as socket:
        message = json.loads(socket.recv(timeout=10))
    assert message["stream"] == "cycles" and message["kind"] == "snapshot"
    assert message["data"]["source"] == "mock" and len(message["data"]["indices"]) == 5
