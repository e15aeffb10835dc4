"""Collection against the simulator while it cuts answers short: every cut is retried, no cycle is lost, and no
line the product writes (cycle line, log record, outcome) carries the body."""

from __future__ import annotations

import logging

import pytest

from op_trading.runtime.collect import run_collection
from tests.fixtures_collect import sim_settings

LINE_LIMIT = 1000  # what the log file handler allows at most; error texts themselves are cut to 300


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def product_log():
    logger = logging.getLogger("op_trading")
    handler, level = Records(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_truncated_quote_answers_are_retried_and_no_line_carries_a_body(product_log):
    # Seed 1: the fault draws cut one quote answer (the legs of all five indices: a ~140 KB JSON document cut in
    # half, whose numbers include "414" and "400") and no other.
    settings = sim_settings(DATA_SOURCE_MODE="mock", SIMULATOR_SPEED="120", STORAGE_SINKS="embedded",
                            CHAIN_SNAPSHOT_SECONDS="0", SIMULATOR_FAULTS="malformed_rate=0.3", SIMULATOR_SEED="1")
    reports = []
    outcome = run_collection(settings, cycles=2, on_cycle=reports.append)

    retried = [r.getMessage() for r in product_log.records if "retrying in" in r.getMessage()]
    assert retried and all("DataException (HTTP 200)" in message for message in retried)  # cut bodies came, ...
    assert outcome.data["errors"] == 0 and outcome.data["cycles"] == 2  # ... and every one was asked again
    assert not [r for r in product_log.records if "not retried" in r.getMessage()]
    lines = [report.line() for report in reports] + [r.getMessage() for r in product_log.records]
    lines += [outcome.message] + [check.detail for check in outcome.checks]
    assert max(len(line) for line in lines) < LINE_LIMIT
    assert not any("b'{" in line or '"status":"success"' in line for line in lines)


def test_a_run_whose_every_cycle_fails_ends_with_the_reason_and_short_lines(product_log):
    from op_trading.collectors.loop import MAX_FAILURES_IN_A_ROW
    from op_trading.outcome import ExitCode, Status

    settings = sim_settings(DATA_SOURCE_MODE="mock", SIMULATOR_SPEED="120", STORAGE_SINKS="embedded",
                            INDICES="NIFTY", CHAIN_SNAPSHOT_SECONDS="0", KITE_MAX_RETRIES="1",
                            SIMULATOR_FAULTS="malformed_rate=1")
    reports = []
    outcome = run_collection(settings, cycles=1000, on_cycle=reports.append)
    assert outcome.status == Status.FAILED and outcome.code() == ExitCode.FAILED
    assert outcome.message.startswith(f"Collection stopped after {MAX_FAILURES_IN_A_ROW} failed cycles in a row")
    assert len(reports) == MAX_FAILURES_IN_A_ROW and all(report.cycle is None for report in reports)
    assert "(response body not shown)" in reports[0].line()
    for line in [report.line() for report in reports] + [r.getMessage() for r in product_log.records]:
        assert len(line) < 400 and "b'{" not in line, line
