"""Implied-volatility benchmark: throughput and accuracy of our vectorised solver, side by side with a per-option
`scipy.optimize.brentq` and, when installed, py_vollib / py_vollib_vectorized.

    python tests/performance/bench_iv.py [--sizes 1000 10000 100000] [--baseline-size 2000] [--budget 4]

Data (as in reference/perf-baselines.md §1.1): NIFTY-like (24,500, step 50) and BANKNIFTY-like (52,000, step 100)
spots with ±1 % jitter, strikes ATM ±40 steps, calls and puts, 1-60 days, sigma uniform 8-60 %, r uniform
6.5-10 %, seed 20240601; smaller N are prefixes of the largest. Prices come from the textbook formula with
scipy.special.ndtr, independent of the code under test, and the generating sigma is the true IV. "Well-posed"
means at least one tick (₹0.05) of time value. Timing: one warm-up call, then repeats within the budget; medians.
py_vollib / py_vollib_vectorized are not project dependencies; they are used only if importable (each patches the
other, so when both are present, prefer running this script once per package in separate environments).
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SEED = 20240601
TICK = 0.05


def make_chain(n: int, seed: int = SEED) -> dict:
    from scipy.special import ndtr

    rng = np.random.default_rng(seed)
    nifty_like = rng.random(n) < 0.5
    base, step = np.where(nifty_like, 24500.0, 52000.0), np.where(nifty_like, 50.0, 100.0)
    spot = base * (1 + rng.uniform(-0.01, 0.01, n))
    strike = np.round(spot / step) * step + step * rng.integers(-40, 41, n)
    t = rng.integers(1, 61, n) / 365
    sigma, r = rng.uniform(0.08, 0.60, n), rng.uniform(0.065, 0.10, n)
    flag = np.where(rng.random(n) < 0.5, "c", "p")
    sign = np.where(flag == "c", 1.0, -1.0)
    vol = sigma * np.sqrt(t)
    d1 = (np.log(spot / strike) + (r + 0.5 * sigma * sigma) * t) / vol
    price = sign * (spot * ndtr(sign * d1) - strike * np.exp(-r * t) * ndtr(sign * (d1 - vol)))
    time_value = price - np.maximum(sign * (spot - strike * np.exp(-r * t)), 0.0)
    return {"price": price, "spot": spot, "strike": strike, "t": t, "r": r, "flag": flag, "sigma": sigma,
            "well_posed": time_value >= TICK}


def prefix(data: dict, n: int) -> dict:
    return {key: values[:n] for key, values in data.items()}


# --- methods: each takes the data dict and returns an array of sigmas (NaN where it failed) -------------------------

def ours(data: dict) -> np.ndarray:
    from op_trading.analytics.black_scholes import implied_volatility

    return implied_volatility(data["price"], data["spot"], data["strike"], data["t"], data["r"], data["flag"])


def _scalar_price(spot, strike, t, r, sigma, sign):
    vol = sigma * math.sqrt(t)
    d1 = (math.log(spot / strike) + (r + 0.5 * sigma * sigma) * t) / vol
    cdf = lambda x: 0.5 * math.erfc(-x / math.sqrt(2.0))  # noqa: E731
    return sign * (spot * cdf(sign * d1) - strike * math.exp(-r * t) * cdf(sign * (d1 - vol)))


def brentq_per_option(data: dict) -> np.ndarray:
    """What a careful first attempt looks like: one root-finder call per option on [1e-6, 5], failures -> NaN."""
    from scipy.optimize import brentq

    out = np.full(len(data["price"]), np.nan)
    for i, (price, spot, strike, t, r, flag) in enumerate(
            zip(*(data[key].tolist() for key in ("price", "spot", "strike", "t", "r", "flag")))):
        sign = 1.0 if flag == "c" else -1.0
        try:
            out[i] = brentq(lambda v: _scalar_price(spot, strike, t, r, v, sign) - price, 1e-6, 5.0)
        except (ValueError, ZeroDivisionError, OverflowError):
            pass
    return out


def _vollib_per_option():
    try:
        from py_vollib.black_scholes.implied_volatility import implied_volatility
    except Exception:  # not installed, or broken against its own dependencies (perf-baselines §1.0)
        return None

    def run(data: dict) -> np.ndarray:
        out = np.full(len(data["price"]), np.nan)
        for i, args in enumerate(zip(*(data[key].tolist() for key in ("price", "spot", "strike", "t", "r", "flag")))):
            try:
                out[i] = implied_volatility(*args)
            except Exception:  # its exceptions: BelowIntrinsic, AboveMaximum, numba errors
                pass
        return np.where(np.isfinite(out), out, np.nan)

    return run


def _vollib_vectorized():
    try:
        from py_vollib_vectorized import vectorized_implied_volatility
    except Exception:
        return None

    def run(data: dict) -> np.ndarray:
        return np.asarray(vectorized_implied_volatility(
            data["price"], data["spot"], data["strike"], data["t"], data["r"], data["flag"], q=0,
            model="black_scholes", return_as="numpy", on_error="ignore"), dtype=float)

    return run


# --- measuring ------------------------------------------------------------------------------------------------------

def timed(method, data: dict, budget: float, max_repeats: int = 7) -> tuple[float, int, np.ndarray]:
    """Median seconds per call, the number of timed calls, and the last result."""
    method(prefix(data, min(100, len(data["price"]))))  # warm-up: imports, JIT, caches
    times: list[float] = []
    started = time.perf_counter()
    while not times or (len(times) < max_repeats and time.perf_counter() - started < budget):
        begin = time.perf_counter()
        result = method(data)
        times.append(time.perf_counter() - begin)
    return statistics.median(times), len(times), result


def accuracy(iv: np.ndarray, data: dict) -> dict:
    error = np.abs(iv - data["sigma"])
    posed = data["well_posed"]
    solved = posed & np.isfinite(iv)
    return {"max_err": float(np.max(error[solved])) if solved.any() else math.nan,
            "median_err": float(np.median(error[solved])) if solved.any() else math.nan,
            "nan_posed": int(np.sum(posed & ~np.isfinite(iv))), "posed": int(posed.sum()),
            "nan_all": int(np.sum(~np.isfinite(iv))),
            "wrong_all": int(np.sum(np.isfinite(iv) & (error > 1e-4)))}


def run(sizes=(1000, 10000, 100000), baseline_size: int = 2000, budget: float = 4.0) -> tuple[list[dict], list[str]]:
    data = make_chain(max(max(sizes), baseline_size))
    methods = [("ours: vectorised Householder (numpy + erfcx)", ours, sizes)]
    methods.append((f"brentq per option (math.erfc), N={baseline_size} only", brentq_per_option, (baseline_size,)))
    notes = []
    for name, factory, per_option in (("py_vollib per option", _vollib_per_option, True),
                                      ("py_vollib_vectorized", _vollib_vectorized, False)):
        method = factory()
        if method is None:
            notes.append(f"{name}: not available (not installed or not importable); not a project dependency")
        else:
            methods.append((name, method, (baseline_size,) if per_option else sizes))
    rows = []
    for name, method, method_sizes in methods:
        for n in method_sizes:
            seconds, repeats, iv = timed(method, prefix(data, n), budget)
            rows.append({"method": name, "n": n, "seconds": seconds, "rate": n / seconds, "repeats": repeats,
                         **accuracy(iv, prefix(data, n))})
    return rows, notes


def report(rows: list[dict], notes: list[str]) -> str:
    brentq_rate = next((row["rate"] for row in rows if row["method"].startswith("brentq")), math.nan)
    header = (f"{'method':<48} {'N':>7} {'options/s':>12} {'x brentq':>9} {'ms/call':>9} {'runs':>4} "
              f"{'max err':>9} {'median err':>10} {'NaN posed':>9} {'NaN all':>7} {'wrong all':>9}")
    lines = ["Implied volatility: throughput (median) and accuracy |iv - true sigma| on well-posed options", header,
             "-" * len(header)]
    for row in rows:
        lines.append(f"{row['method']:<48} {row['n']:>7,} {row['rate']:>12,.0f} {row['rate'] / brentq_rate:>9,.0f} "
                     f"{row['seconds'] * 1e3:>9.2f} {row['repeats']:>4} {row['max_err']:>9.1e} "
                     f"{row['median_err']:>10.1e} {row['nan_posed']:>9} {row['nan_all']:>7} {row['wrong_all']:>9}")
    posed = max(rows, key=lambda row: row["n"])
    lines.append(f"well-posed = time value >= {TICK} (one tick): {posed['posed']:,} of {posed['n']:,} options.")
    lines.append("NaN all = no IV returned, of all options (ill-posed deep ITM included); wrong all = a finite IV "
                 "more than 1e-4 from the true sigma, of all options.")
    lines.extend(notes)
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--baseline-size", type=int, default=2000)
    parser.add_argument("--budget", type=float, default=4.0, help="seconds of timed repeats per cell")
    args = parser.parse_args(argv)
    print(report(*run(tuple(args.sizes), args.baseline_size, args.budget)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
