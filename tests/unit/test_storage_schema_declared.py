"""The declared schema (op_trading/storage/schema.py): README generated from it, routing as SPEC §6, and a checker
that finds every way a point can disagree with it."""

import ast
from datetime import datetime
from pathlib import Path

import pytest

from op_trading.storage.point import IST, Point
from op_trading.storage.schema import (BUCKETS, MEASUREMENTS, bucket_of, measurement_spec, points_from_records,
                                       schema_problems)
from op_trading.storage.schema_doc import render_schema, replace_schema
from tests.fixtures_storage import cycle_records

ROOT = Path(__file__).resolve().parents[2]
MOMENT = datetime(2026, 7, 27, 10, 0, tzinfo=IST)


def test_readme_schema_is_generated_from_the_declaration():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme == replace_schema(readme)
    assert "| `cash_flow` | `cash-flows` |" in render_schema()


def test_buckets_follow_spec_section_6():
    assert {name: bucket_of(name) for name in ("participant_positions", "cash_flow", "cash_flow_1m", "chain_metrics",
                                               "fii_dii_cash", "alerts")} == {
        "participant_positions": "participant-flows", "cash_flow": "cash-flows", "cash_flow_1m": "cash-flows",
        "chain_metrics": "options-data", "fii_dii_cash": "options-data", "alerts": "options-data"}
    names = {"INFLUXDB_BUCKET": "opt", "INFLUXDB_PARTICIPANT_BUCKET": "part", "INFLUXDB_CASHFLOW_BUCKET": "cash"}
    assert [bucket_of(name, names) for name in ("alerts", "participant_positions", "cash_flow")] == \
        ["opt", "part", "cash"]


def test_the_influx_sink_routes_every_declared_measurement_to_its_declared_bucket():
    from op_trading.config.settings import load_settings
    from op_trading.storage.influx import InfluxSink

    for overrides in ({}, {"INFLUXDB_BUCKET": "a", "INFLUXDB_PARTICIPANT_BUCKET": "b",
                           "INFLUXDB_CASHFLOW_BUCKET": "c"}):
        settings = load_settings("production", {"INFLUXDB_URL": "http://127.0.0.1:1", **overrides})
        sink = InfluxSink.from_settings(settings)
        names = {key: settings[key] for key in ("INFLUXDB_BUCKET", "INFLUXDB_PARTICIPANT_BUCKET",
                                                "INFLUXDB_CASHFLOW_BUCKET")}
        assert {name: sink.bucket_for(name) for name in MEASUREMENTS} == \
            {name: bucket_of(name, names) for name in MEASUREMENTS}


def test_collector_points_match_their_declaration():
    points, problems = points_from_records(cycle_records(MOMENT, indices=("NIFTY", "SENSEX")))
    assert problems == [] and {point.measurement for point in points} == {"atm_option_quote", "index_overview"}
    assert [problem for point in points for problem in schema_problems(point)] == []
    overview = next(point for point in points if point.measurement == "index_overview")
    declared = measurement_spec("index_overview").field_types()
    assert set(overview.fields) == set(declared)  # the fixture fills every overview field, per bucket too
    assert {f"{bucket.upper()}_TP" for bucket in BUCKETS} <= set(declared)


@pytest.mark.parametrize("point, problem", [
    (Point("chain_metric", {"index": "NIFTY"}, {"spot": 1.0}, MOMENT), "chain_metric: measurement not declared"),
    (Point("alerts", {"type": "iv_spike", "subject": "x", "severity": "warning", "source": "mock", "colour": "red"},
           {"message": "m"}, MOMENT), "alerts: tag 'colour' not declared"),
    (Point("alerts", {"type": "iv_spike", "subject": "x", "severity": "loud", "source": "mock"}, {"message": "m"},
           MOMENT), "alerts: tag severity='loud' is not one of warning, critical"),
    (Point("alerts", {"type": "iv_spike", "subject": "x", "source": "mock"}, {"message": "m"}, MOMENT),
     "alerts: tag 'severity' missing"),
    (Point("fii_dii_cash", {"category": "FII", "source": "nse"}, {"net": 1.0, "nett": 2.0}, MOMENT),
     "fii_dii_cash: field 'nett' not declared"),
    (Point("fii_dii_cash", {"category": "FII", "source": "nse"}, {"net": 100}, MOMENT),
     "fii_dii_cash: field 'net' is integer, declared float"),
    (Point("participant_positions", {"category": "FII", "kind": "oi", "source": "nse"}, {"fut_net": 1.0}, MOMENT),
     "participant_positions: field 'fut_net' is float, declared integer"),
    (Point("chain_metrics", {"index": "NIFTY", "bucket": "this_week", "expiry": "2026-07-28", "source": "mock"},
           {"options_used": True}, MOMENT), "chain_metrics: field 'options_used' is boolean, declared integer"),
])
def test_schema_problems_names_each_disagreement(point, problem):
    assert schema_problems(point) == [problem]


def test_optional_tags_may_be_absent_and_declared_values_pass():
    point = Point("premarket_summary", {"part": "cash", "category": "FII", "source": "mock"}, {"net": -12.5}, MOMENT)
    assert schema_problems(point) == []


def test_every_measurement_name_in_the_code_is_declared():
    """Constants named *MEASUREMENT* and literal first arguments of make_point/Point anywhere in op_trading."""
    found = {}
    for path in (ROOT / "op_trading").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for name, value in _measurement_literals(node):
                found.setdefault(value, f"{path.relative_to(ROOT)} ({name})")
    undeclared = {value: where for value, where in found.items() if value not in MEASUREMENTS}
    assert {"atm_option_quote", "index_overview", "chain_metrics", "chain_metrics_daily", "cash_flow", "alerts",
            "participant_positions", "fii_dii_cash", "premarket_summary"} <= set(found)  # the scan sees them
    assert undeclared == {}


def _measurement_literals(node):
    if isinstance(node, ast.Assign):
        targets = [t for target in node.targets for t in (target.elts if isinstance(target, ast.Tuple) else [target])]
        values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value] * len(targets)
        for target, value in zip(targets, values):
            if isinstance(target, ast.Name) and "MEASUREMENT" in target.id and isinstance(value, ast.Constant):
                yield target.id, value.value
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
            and isinstance(node.args[0].value, str) and getattr(node.func, "id", getattr(node.func, "attr", "")) in (
                "make_point", "Point"):
        yield "call", node.args[0].value
