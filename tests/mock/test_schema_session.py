"""Every point a simulated session writes agrees with the declared schema, and every declared measurement is written.

The session (tests/fixtures_session.py) runs the collector and all analytics over the simulator, imports participant
files, captures the pre-market summary and the overnight gap; its thresholds are low so alerts of several rules fire.
"""

from collections import Counter
from datetime import date


from op_trading.storage.schema import MEASUREMENTS, schema_problems
from tests.fixtures_analytics import settings, store
from tests.fixtures_session import RecordingStore, run_session

KNOWN: set[str] = set()  # schema problems reported and not yet fixed (none)
# Chain snapshots are stored by the collection session (runtime/collect.py, branch "store"), which this harness does
# not run yet; the InfluxDB end-to-end test (tests/integration/test_stack_session.py) covers them once merged.
NOT_IN_THIS_SESSION = {"option_chain", "option_chain_snapshot"}


def test_every_point_of_a_simulated_session_matches_the_schema(tmp_path):
    recording = RecordingStore(store(tmp_path))
    session = run_session(tmp_path, recording, cycles=3, indices=("NIFTY", "BANKNIFTY"))
    problems = Counter(problem for point in session.points for problem in schema_problems(point)
                       if problem not in KNOWN)
    assert problems == Counter(), problems
    written = {point.measurement for point in session.points}
    declared = {name for name, spec in MEASUREMENTS.items() if not spec.embedded_only} - NOT_IN_THIS_SESSION
    assert written == declared, f"declared but never written: {declared - written}; undeclared: {written - declared}"
    alert_types = {point.tags["type"] for point in session.points if point.measurement == "alerts"}
    assert {"iv_spike", "fii_cash", "dii_cash", "pro_client_divergence", "large_cash_flow"} <= alert_types


def test_alert_thresholds_have_one_type():
    from op_trading.analytics.alerts import AlertRules, alert_point
    from op_trading.analytics.participants import Divergence

    rules = AlertRules.from_settings(settings())
    [alert] = rules.divergence(Divergence(date(2026, 7, 27), "mock", -30_000, 10_000, -50_000, -40_000))
    assert schema_problems(alert_point(alert)) == []
