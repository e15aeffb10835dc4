"""The start-up benchmark runs and prints its figures (no wall-clock assertion: shared machines vary)."""

import sys

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="measures the menu on a pty")


def test_startup_benchmark_prints_figures():
    from tests.performance.bench_startup import measure, report

    text = report(measure(runs=2))
    print(text)
    assert "main menu on a pty" in text and "rich-only menu on a pty" in text and "median s" in text
    assert "main menu / rich-only menu" in text and "target <= 1.7x" in text
