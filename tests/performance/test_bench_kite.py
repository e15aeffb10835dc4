"""The Kite client benchmark runs at a tiny size against the simulator and prints its figures (no timing asserts)."""

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).with_name("bench_kite.py")
NAMES = ["profile(), bare client", "profile() through call()", "call() overhead", "2 paced quote calls",
         "429s met when paced", "2 unpaced quote calls refused", "429 burst of 3: attempts",
         "429 burst of 3: time to success", "quote() x20, official client", "raw_quote() x20, same request",
         "client timestamp parsing x20"]


def test_benchmark_prints_every_figure():
    run = subprocess.run([sys.executable, str(BENCH), "--calls", "10", "--quotes", "2", "--cooldown", "0.2",
                          "--batch", "20"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    figures = {line[:38].strip(): float(line[38:].split()[0].replace(",", "")) for line in run.stdout.splitlines()}
    assert list(figures) == NAMES
    assert figures["429 burst of 3: attempts"] == 4  # three refusals absorbed, then success: no storm
    assert figures["429s met when paced"] == 0
    assert figures["client timestamp parsing x20"] > 0
