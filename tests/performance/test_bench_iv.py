"""The IV benchmark runs at a tiny size and produces its figures (no wall-clock assertion: shared machines vary)."""

import math


def test_iv_benchmark_produces_figures():
    from tests.performance.bench_iv import report, run

    rows, notes = run(sizes=(300,), baseline_size=30, budget=0.05)
    text = report(rows, notes)
    print(text)
    methods = {row["method"] for row in rows}
    assert any(name.startswith("ours") for name in methods) and any(name.startswith("brentq") for name in methods)
    for row in rows:
        assert row["rate"] > 0 and row["repeats"] >= 1 and row["posed"] > 0
    ours = next(row for row in rows if row["method"].startswith("ours"))
    assert ours["max_err"] <= 1e-9 and ours["nan_posed"] == 0 and ours["wrong_all"] == 0
    assert "options/s" in text and "300" in text
    # py_vollib(_vectorized) are optional: either measured or reported as not available
    for name in ("py_vollib per option", "py_vollib_vectorized"):
        assert name in methods or any(note.startswith(name) for note in notes)
    assert not math.isnan(ours["median_err"])
