"""Properties of the analytics: max pain is a listed strike, PCR is never negative, timeframe aggregation conserves
totals, buildup classes are exhaustive and exclusive, percentiles stay in range, simulated participant files always
keep NSE's invariants."""

from datetime import date, datetime, timedelta

from hypothesis import given, settings, strategies as st

from op_trading.analytics import cashflow as cf
from op_trading.analytics import chain
from op_trading.analytics import participants as pa
from op_trading.analytics.chain import Buildup
from op_trading.market import calendar
from op_trading.market.calendar import IST
from op_trading.sandbox import participants as sim

strikes = st.lists(st.integers(min_value=1, max_value=400).map(lambda k: k * 50.0), min_size=1, max_size=25,
                   unique=True)
counts = st.integers(min_value=0, max_value=10_000_000)


@st.composite
def chains(draw):
    listed = draw(strikes)
    options = []
    for strike in listed:
        for side in draw(st.sets(st.sampled_from(["CALL", "PUT"]), min_size=1)):
            options.append({"strike": strike, "side": side, "expiry": "2026-07-28", "oi": draw(counts),
                            "volume": draw(counts)})
    return options


@given(chains())
def test_max_pain_is_a_listed_strike_with_the_least_payout(options):
    found = chain.max_pain(options)
    if not any(option["oi"] for option in options):
        assert found is None
        return
    pains = chain.pain_by_strike(options)
    assert found in {option["strike"] for option in options}
    assert pains[found] == min(pains.values())


@given(chains())
def test_running_sum_payouts_equal_the_definition(options):
    def payout(settle):  # the textbook sum over every option, O(n) per strike
        return sum(option["oi"] * max(0.0, (settle - option["strike"]) if option["side"] == "CALL"
                                      else (option["strike"] - settle)) for option in options)

    for settle, pain in chain.pain_by_strike(options).items():
        assert abs(pain - payout(settle)) <= 1e-9 * max(1.0, payout(settle))


@given(chains())
def test_pcr_is_never_negative(options):
    for by in ("oi", "volume"):
        value = chain.pcr(options, by)
        assert value is None or value >= 0


finite_or_missing = st.one_of(st.none(), st.just(float("nan")),
                              st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
thresholds = st.floats(min_value=0, max_value=100, allow_nan=False)


@given(finite_or_missing, finite_or_missing, thresholds, thresholds)
def test_buildup_classes_are_exhaustive_and_exclusive(price, oi, price_threshold, oi_threshold):
    def moved(value, threshold, sign):
        return value is not None and value == value and value * sign > 0 and abs(value) >= threshold

    up, down = moved(price, price_threshold, 1), moved(price, price_threshold, -1)
    added, cut = moved(oi, oi_threshold, 1), moved(oi, oi_threshold, -1)
    definitions = {Buildup.LONG_BUILDUP: up and added, Buildup.SHORT_COVERING: up and cut,
                   Buildup.SHORT_BUILDUP: down and added, Buildup.LONG_UNWINDING: down and cut}
    definitions[Buildup.NEUTRAL] = not any(definitions.values())
    assert sum(definitions.values()) == 1  # exclusive and exhaustive by definition...
    result = chain.classify_buildup(price, oi, price_threshold, oi_threshold)
    assert definitions[result]  # ...and the function picks exactly that class


values = st.floats(min_value=0.01, max_value=2.0, allow_nan=False)


@given(values, st.lists(st.one_of(values, st.none()), max_size=40))
def test_percentile_and_rank_stay_between_0_and_100(current, history):
    for result in (chain.iv_percentile(current, history), chain.iv_rank(current, history)):
        assert result is None or 0 <= result <= 100
    if any(value is not None for value in history):
        assert chain.iv_percentile(current, history) is not None


start = datetime(2026, 7, 27, 9, 15, tzinfo=IST)
flows = st.lists(st.builds(
    lambda seconds, index, inflow, outflow, unclassified: cf.Flow(
        start + timedelta(seconds=seconds), f"{index} X", index, inflow, outflow, unclassified, "mock"),
    st.integers(min_value=0, max_value=14 * 86_400), st.sampled_from(["NIFTY", "NIFTY BANK", "SENSEX", "MIDCPNIFTY"]),
    st.floats(min_value=0, max_value=1e9), st.floats(min_value=0, max_value=1e9),
    st.floats(min_value=0, max_value=1e9)), max_size=60)


@given(flows, st.sampled_from(list(cf.TIMEFRAMES)), st.sampled_from(cf.GROUPS))
def test_aggregation_over_timeframes_conserves_totals(items, timeframe, by):
    buckets = cf.aggregate(items, timeframe, by)
    for component in ("inflow", "outflow", "unclassified"):
        total = sum(getattr(flow, component) for flow in items)
        assert abs(sum(getattr(bucket, component) for bucket in buckets) - total) <= 1e-6 * max(1.0, total)
    assert sum(bucket.flows for bucket in buckets) == len(items)
    for bucket in buckets:
        assert bucket.start <= bucket.end and (bucket.pressure_pct is None or -100 <= bucket.pressure_pct <= 100)
    assert all(bucket.start <= flow.time < bucket.end for bucket in buckets for flow in items
               if cf.bucket_start(flow.time, timeframe) == bucket.start)


@given(st.lists(st.tuples(st.integers(min_value=0, max_value=23_000), st.integers(min_value=0, max_value=10_000),
                          st.floats(min_value=0.05, max_value=500)), min_size=2, max_size=40))
def test_estimated_flows_never_negative_and_split_is_exclusive(steps):
    records, volume = [], 0
    for seconds, traded, price in sorted(steps):
        volume += traded
        records.append({"timestamp": (start + timedelta(seconds=seconds)).isoformat(), "tradingsymbol": "X",
                        "volume": volume, "average_price": None, "last_price": price})
    for flow in cf.estimate_flows(records):
        parts = (flow.inflow, flow.outflow, flow.unclassified)
        assert min(parts) >= 0 and sum(1 for part in parts if part > 0) == 1


trading_days = st.dates(min_value=date(2021, 1, 1), max_value=date(2030, 12, 31)).filter(calendar.is_trading_day)


@settings(max_examples=40, deadline=None)
@given(trading_days, st.integers(min_value=0, max_value=1000), st.sampled_from(["oi", "vol"]))
def test_simulated_participant_files_keep_nse_invariants(day, seed, kind):
    report = pa.parse_participant_csv(sim.participant_csv(kind, day, seed), f"fao_participant_{kind}_{day:%d%m%Y}.csv")
    assert report.warnings == () and report.day == day
    assert all(value >= 0 for row in report.rows.values() for value in row.values())
