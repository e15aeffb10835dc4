"""Ctrl-C while the product works: the current cycle finishes its writes, the summary is printed, exit 130, and
every file the run wrote is whole."""

from __future__ import annotations

import csv
import json
import re
import time

from tests.e2e.helpers import Screen
from tests.fixtures_collect import sim_settings

MOCK = {"DATA_SOURCE_MODE": "mock", "SIMULATOR_SPEED": "120", "STORAGE_SINKS": "embedded,csv,json",
        "CHAIN_SNAPSHOT_SECONDS": "0"}


def test_ctrl_c_during_collect_finishes_the_cycle_prints_the_summary_and_exits_130(project_home):
    # Every simulator answer takes 0.6 s, so a cycle lasts well over a second: the first Ctrl-C lands in one.
    screen = Screen(project_home, "collect", "--cycles", "100", timeout=60, SIMULATOR_FAULTS="slow_ms=600", **MOCK)
    screen.expect("legs=")
    time.sleep(0.5)
    screen.child.sendintr()
    screen.expect("Stopping after the current cycle")
    screen.child.sendintr()  # impatient: a second Ctrl-C must not kill the worker half-way
    assert screen.exit_status() == 130
    text = screen.transcript
    assert "Traceback" not in text and "ended without a result" not in text
    match = re.search(r"(\d+) cycle\(s\) collected", text)
    assert match and "(stopped by Ctrl-C)" in text, text[-2000:]
    cycles = int(match.group(1))
    assert cycles == text.count("legs=140") >= 1, text[-3000:]  # every cycle that started was finished and reported

    settings = sim_settings(**MOCK)
    from op_trading.storage import open_store

    store = open_store(settings)
    try:
        legs = store.query("atm_option_quote")
    finally:
        store.close()
    assert len(legs) == cycles * 140
    assert not list(project_home.rglob("*.tmp"))
    csv_files = list((project_home / "data" / "csv_data").rglob("*.csv"))
    assert csv_files
    for path in csv_files:
        content = path.read_text(encoding="utf-8")
        assert content.endswith("\n")
        rows = list(csv.reader(content.splitlines()))
        assert rows[0][0] == "timestamp" and len(rows) - 1 == cycles
        assert all(len(row) == len(rows[0]) for row in rows)
    for path in (project_home / "data" / "raw_snapshots").rglob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))
