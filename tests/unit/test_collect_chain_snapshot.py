"""Chain snapshots over hand-made dumps and quotes: coverage, batching, reuse of the cycle's quotes, shared bucket
labels, records, due timing and failures (the simulator with the official client is in tests/mock)."""

import math
from datetime import date, datetime, timedelta

import pytest

from op_trading.collectors.baselines import DayBaselines
from op_trading.collectors.chain_snapshot import ChainSnapshotter, distinct_expiries
from op_trading.collectors.cycle import Collector
from op_trading.collectors.iv import AnalyticsIv
from op_trading.collectors.market_data import MarketData
from op_trading.collectors.records import LEG_KEYS
from op_trading.market.calendar import IST
from op_trading.market.indices import NIFTY, OPTION_INDICES
from op_trading.market.instruments import InstrumentCache
from tests.fixtures_collect import FakeDumps, QuoteBook, index_rows, ladder, option_rows, standard_dumps

NOW = datetime(2025, 10, 14, 11, 0, 7, tzinfo=IST)


class Clock:
    def __init__(self, moment: datetime):
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


def make(tmp_path, dumps=None, indices=OPTION_INDICES, interval=300, window=20, batch=500, clock=None):
    dumps = dumps or standard_dumps()
    book = QuoteBook(dumps, now=NOW)
    clock = clock or Clock(NOW)
    collector = Collector(book, MarketData(dumps, InstrumentCache(tmp_path / "cache"), indices),
                          DayBaselines(tmp_path / "state", "mock"), AnalyticsIv(), batch_size=batch, source="mock",
                          clock=clock)
    return collector, ChainSnapshotter.for_collector(collector, interval, window), book


def window_keys(cycle, window):
    """Every listed contract within ±window strikes of each distinct expiry's ATM (nearest to the overview spot)."""
    spots = {row["index"]: row["last_price"] for row in cycle.overviews}
    keys = set()
    for chain, _ in distinct_expiries(cycle.universe):
        centre = min(range(len(chain.strikes)), key=lambda pos: abs(chain.strikes[pos] - spots[chain.index.key]))
        for pair in chain.pairs[max(0, centre - window):centre + window + 1]:
            keys |= {pair.call.quote_key, pair.put.quote_key}
    return keys


def test_snapshot_covers_every_listed_strike_in_the_window_on_both_sides_once(tmp_path):
    collector, snapshotter, book = make(tmp_path)
    cycle = collector.run_cycle()
    calls_before = len(book.calls)
    snapshot = snapshotter.after_cycle(cycle)
    expected = window_keys(cycle, 20)
    got = [f"{'BFO' if o['index'] == 'SENSEX' else 'NFO'}:{o['tradingsymbol']}" for o in snapshot.options]
    assert len(got) == len(set(got)) == len(expected) == snapshot.size == snapshot.stats.options
    assert set(got) == expected
    assert len(snapshot.expiries) == 14 == len({(e.index, e.expiry) for e in snapshot.expiries})
    for expiry in snapshot.expiries:
        calls = {o["strike"] for o in expiry.options if o["side"] == "CALL"}
        assert calls == {o["strike"] for o in expiry.options if o["side"] == "PUT"}
        assert expiry.atm_strike in calls and expiry.spot == snapshot.spots[expiry.index]
    # the cycle's own quotes (its legs and over-fetch margin) are reused, the rest asked for in full batches
    stats = snapshot.stats
    assert stats.instruments_reused == len(expected & set(cycle.quotes)) > 0
    assert stats.instruments_requested == len(expected) - stats.instruments_reused
    assert stats.quote_calls == math.ceil(stats.instruments_requested / 500) == len(book.calls) - calls_before
    assert set().union(*book.calls[calls_before:]).isdisjoint(cycle.quotes)
    assert cycle.stats.quote_calls == 2  # the cycle's own count is untouched by the snapshot (first run: 2)


def test_records_have_the_leg_keys_the_cycle_timestamp_iv_and_day_open_oi(tmp_path):
    collector, snapshotter, book = make(tmp_path, indices=(NIFTY,))
    cycle = collector.run_cycle()
    snapshot = snapshotter.after_cycle(cycle)
    legs = {(leg["expiry"], leg["strike"], leg["side"]): leg for leg in cycle.legs}
    for option in snapshot.options:
        assert list(option)[:len(LEG_KEYS)] == list(LEG_KEYS) and option["buckets"][0] == option["bucket"]
        assert option["timestamp"] == cycle.timestamp == snapshot.timestamp and option["source"] == "mock"
        assert option["oi_open"] == option["oi"] and option["index"] == "NIFTY"
        same = legs.get((option["expiry"], option["strike"], option["side"]))
        if same is not None:  # a leg of the cycle: the same quote, the same IV from the same solver
            assert option["iv"] == pytest.approx(same["iv"]) and option["last_price"] == same["last_price"]
    # QuoteBook prices at 14 % vol (r = 6.5 %, the solver's default) rounded to ticks: priced options solve back
    priced = [o for o in snapshot.options if o["days_to_expiry"] > 0 and o["last_price"] >= 5]
    assert len(priced) > 0.6 * snapshot.size and all(o["iv"] == pytest.approx(0.14, abs=0.01) for o in priced)
    assert {o["strike_offset"] for o in snapshot.options} >= {"atm_m20", "atm", "atm_p20"}
    # the day-open OI is the first seen today, kept by the same baselines as the legs (and saved)
    book.oi_shift = 500
    collector.clock.moment = NOW + timedelta(minutes=5)
    later = snapshotter.after_cycle(collector.run_cycle())
    assert all(o["oi"] - o["oi_open"] == 500 for o in later.options)
    saved = DayBaselines(tmp_path / "state", "mock")
    saved.use_day(NOW.date())
    assert len(saved.oi_open) >= later.size


def test_a_small_batch_size_means_more_calls_none_above_the_limit(tmp_path):
    collector, snapshotter, book = make(tmp_path, indices=(NIFTY,), batch=100, window=10)
    cycle = collector.run_cycle()
    before = len(book.calls)
    snapshot = snapshotter.after_cycle(cycle)
    sizes = [len(call) for call in book.calls[before:]]
    assert snapshot.stats.quote_calls == len(sizes) == math.ceil(sum(sizes) / 100) and max(sizes) <= 100
    assert snapshot.size == 4 * 21 * 2


def test_an_expiry_shared_by_two_buckets_is_quoted_once_and_labelled_with_both(tmp_path):
    nfo = option_rows("NIFTY", "NFO", [date(2025, 10, 28), date(2025, 11, 4), date(2025, 11, 11),
                                       date(2025, 11, 18), date(2025, 11, 25)], ladder(25200, 50))
    dumps = FakeDumps({"NFO": nfo, "NSE": [row for row in index_rows() if row["exchange"] == "NSE"]})
    moment = datetime(2025, 10, 27, 11, 0, 7, tzinfo=IST)  # the Monday before the monthly: this week's is the month's
    collector, snapshotter, book = make(tmp_path, dumps, indices=(NIFTY,), clock=Clock(moment))
    cycle = collector.run_cycle()
    assert [c.bucket for c in cycle.universe.chains] == ["this_week", "next_week", "this_month", "next_month"]
    snapshot = snapshotter.after_cycle(cycle)
    assert [e.buckets for e in snapshot.expiries] == [("this_week", "this_month"), ("next_week",), ("next_month",)]
    shared = snapshot.expiries[0]
    assert shared.expiry == date(2025, 10, 28) and {o["bucket"] for o in shared.options} == {"this_week"}
    assert snapshot.chain_for("NIFTY", "this_month") is shared is snapshot.chain_for("NIFTY", "this_week")
    symbols = [o["tradingsymbol"] for o in snapshot.options]
    assert len(symbols) == len(set(symbols)) == 3 * 41 * 2
    asked = [key for call in book.calls for key in call]
    assert len(asked) == len(set(asked))  # cycle and snapshot together asked for each contract once


def test_due_every_interval_of_cycle_time_first_at_once_never_when_off(tmp_path):
    _, snapshotter, _ = make(tmp_path, interval=300)
    start = datetime(2025, 10, 14, 11, 0, tzinfo=IST)
    assert snapshotter.due(start.isoformat())
    snapshotter.last_due = start
    assert not snapshotter.due(start) and not snapshotter.due(start + timedelta(seconds=270))
    assert snapshotter.due(start + timedelta(seconds=300)) and snapshotter.due(start - timedelta(days=1))
    off = ChainSnapshotter(lambda keys: {}, DayBaselines(None, "mock"), AnalyticsIv(), interval_seconds=0)
    assert not off.enabled and not off.due(start)


def test_a_failed_snapshot_raises_and_waits_for_the_next_interval(tmp_path):
    clock = Clock(NOW)
    collector, snapshotter, book = make(tmp_path, clock=clock)
    good_quote = collector.quote

    def failing(keys):
        raise ConnectionError("quote endpoint down")

    cycle = collector.run_cycle()
    snapshotter.quote = failing
    with pytest.raises(ConnectionError):
        snapshotter.after_cycle(cycle)
    snapshotter.quote = good_quote
    clock.moment = NOW + timedelta(seconds=30)
    assert snapshotter.after_cycle(collector.run_cycle()) is None  # not retried at every cycle
    clock.moment = NOW + timedelta(seconds=300)
    assert snapshotter.after_cycle(collector.run_cycle()).size > 0


def test_an_index_without_a_spot_is_left_out_with_a_warning(tmp_path):
    collector, snapshotter, book = make(tmp_path)
    collector.run_cycle()  # spots known: the next cycle plans from them
    book.hidden.add("NSE:NIFTY BANK")
    snapshot = snapshotter.after_cycle(collector.run_cycle())
    assert {e.index for e in snapshot.expiries} == {"NIFTY", "SENSEX", "FINNIFTY", "MIDCPNIFTY"}
    assert len(snapshot.warnings) == 2 and all(w.startswith("BANKNIFTY") for w in snapshot.warnings)


def test_a_cycle_without_a_universe_cannot_be_snapshotted(tmp_path):
    collector, snapshotter, _ = make(tmp_path)
    cycle = collector.run_cycle()
    cycle.universe = None
    with pytest.raises(ValueError, match="no universe"):
        snapshotter.take(cycle)
