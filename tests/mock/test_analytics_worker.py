"""Analytics run on their own worker: collection never waits for them, and a slow pass is followed by the latest
cycle only (coalescing), never a queue of stale ones."""

import threading
import time
from datetime import datetime
from types import SimpleNamespace

from op_trading.config.settings import load_settings
from op_trading.runtime.analysis import AnalyticsWorker
from op_trading.runtime.service import Service


class SlowAnalyzer:
    """Takes `seconds` of wall time per pass and remembers which cycles it was given."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.seen = seconds, []
        self.closed_in = None

    def analyze(self, report):
        self.seen.append(report.number)
        time.sleep(self.seconds)
        return [SimpleNamespace(severity="warning", message=f"cycle {report.number} analysed")], []

    def tables(self):
        return []

    def close(self):
        self.closed_in = threading.current_thread().name


class Recorder:
    """A face that notes each cycle's simulated time and when (wall clock) collection handed it over."""

    def __init__(self) -> None:
        self.times, self.handed = [], []

    def start(self, service):
        pass

    def on_cycle(self, report):
        self.handed.append(time.monotonic())
        if report.cycle is not None:
            self.times.append(datetime.fromisoformat(report.cycle.timestamp))

    def stop(self):
        pass


def test_cycles_land_on_their_boundaries_while_a_slow_analyzer_runs(project_home):
    settings = load_settings("development", {"SIMULATOR_SPEED": "12", "CHAIN_SNAPSHOT_SECONDS": "0",
                                             "METRICS_PORT": "0"})
    slow, recorder, delivered = SlowAnalyzer(6.0), Recorder(), []
    service = Service(settings, cycles=6, analyzers=[slow], faces=[recorder])
    service.analytics.deliver = delivered.extend
    service.start()
    try:
        deadline = time.monotonic() + 120
        while not service.finished() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert service.finished()
    finally:
        service.stop()
    # 30 simulated seconds are 2.5 s of wall time, a pass takes 6 s: collection never waited for it
    assert len(recorder.times) == 6
    # cycle times are floored to their slot; a cycle delayed past its slot would leave a gap of 60 s or more
    # (the first cycle is left out: it starts whenever the simulator's session is ready)
    steps = {(later - earlier).total_seconds() for earlier, later in zip(recorder.times[1:], recorder.times[2:])}
    assert steps == {30.0}, steps
    assert recorder.handed[-1] - recorder.handed[1] < 6.0 * 3  # five cycles took less than three passes
    # coalesced: fewer passes than cycles, never the same cycle twice, the latest cycle analysed last
    assert slow.seen == sorted(set(slow.seen)) and len(slow.seen) < 6 and slow.seen[-1] == 6
    assert service.analytics.snapshot().skipped == 6 - len(slow.seen)
    assert [alert.message for alert in delivered] == [f"cycle {number} analysed" for number in slow.seen]
    assert slow.closed_in == "op-analytics"  # the analyzers' resources belong to the worker thread


def test_submit_never_blocks_and_keeps_only_the_latest_cycle():
    slow = SlowAnalyzer(0.5)
    worker = AnalyticsWorker(load_settings("development", {}), analyzers=[slow]).start()
    try:
        began = time.perf_counter()
        for number in range(1, 21):
            worker.submit(SimpleNamespace(number=number, cycle=None))
        assert time.perf_counter() - began < 0.25  # 20 hand-overs while a 0.5 s pass runs
        assert worker.wait_idle(10)
    finally:
        worker.stop()
    assert slow.seen[-1] == 20 and len(slow.seen) <= 3, slow.seen
    snapshot = worker.snapshot()
    assert snapshot.passes == len(slow.seen) and snapshot.cycle_number == 20
    assert snapshot.skipped == 20 - len(slow.seen)
    assert "ALERT [warning] cycle 20 analysed" in snapshot.lines


def test_a_failing_analyzer_is_reported_and_the_next_cycle_is_still_analysed():
    class Failing:
        def __init__(self):
            self.calls = 0

        def analyze(self, report):
            self.calls += 1
            if self.calls == 1:
                raise ValueError("bad chain")
            return [], ["fine"]

    lines = []
    worker = AnalyticsWorker(load_settings("development", {}), analyzers=[Failing()], on_lines=lines.extend).start()
    try:
        worker.submit(SimpleNamespace(number=1, cycle=None))
        assert worker.wait_idle(5)
        worker.submit(SimpleNamespace(number=2, cycle=None))
        assert worker.wait_idle(5)
    finally:
        worker.stop()
    assert lines[0].startswith("analytics error:") and "bad chain" in lines[0]
    assert lines[-1] == "fine"
