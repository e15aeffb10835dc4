"""Dashboard page timings in headless Chromium and query times, side by side at 1, 20 and 120 days of history.

    python -m tests.performance.bench_dashboard [--days 1,20,120] [--cycles 75] [--step 300] [--cache DIR]

One simulated trading day (tests/performance/trading_day.py: `cycles` collection cycles `step` seconds apart over
the simulator) is replayed onto earlier trading days through the storage API. At each history length the query
layer's queries are timed (bench_queries.time_queries) and a real uvicorn serves the store (the `api` command's
ApiServer) while Chromium opens every page: first contentful paint and the time until the page's data and charts
are in (`body[data-ready]`). Every query reads a bounded window, so the figures must stay within a small constant
factor of the 1-day ones (the ratio columns); first paint is what SPEC wants under a second with a day of data.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PAGES = ("/", "/chain", "/charts", "/volatility", "/participants", "/flows", "/alerts")
PAINT = "() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || null"
Timings = dict[str, tuple[float | None, float]]


def page_timings(browser, base_url: str, pages=PAGES) -> Timings:
    """{path: (first contentful paint ms, data ready ms)} from the browser's own clock (navigation start = 0)."""
    figures = {}
    for path in pages:
        page = browser.new_page()
        try:
            page.goto(base_url + path, wait_until="domcontentloaded")
            page.wait_for_selector("body[data-ready]", timeout=30_000)
            ready = page.evaluate("() => performance.now()")
            figures[path] = (page.evaluate(PAINT), ready)
        finally:
            page.close()
    return figures


def timings_table(figures: Timings) -> str:
    lines = [f"{'page':<14}{'first paint (ms)':>18}{'data ready (ms)':>18}"]
    for path, (paint, ready) in figures.items():
        lines.append(f"{path:<14}{'n/a' if paint is None else f'{paint:.0f}':>18}{ready:>18.0f}")
    return "\n".join(lines)


def history_table(by_days: dict[int, Timings]) -> str:
    """First paint and data ready per page for each history length, with the ratio to the shortest history."""
    days = sorted(by_days)
    header = f"{'page':<14}" + "".join(f"{f'{d} d paint/ready (ms)':>24}" for d in days) + "".join(
        f"{f'ready x{d}/{days[0]}':>14}" for d in days[1:])
    lines = [header, "-" * len(header)]
    for path in by_days[days[0]]:
        cells = []
        for d in days:
            paint, ready = by_days[d][path]
            cells.append(f"{'n/a' if paint is None else f'{paint:.0f}'} / {ready:.0f}".rjust(24))
        base = by_days[days[0]][path][1]
        ratios = "".join(f"{by_days[d][path][1] / base:>14.2f}" for d in days[1:])
        lines.append(f"{path:<14}" + "".join(cells) + ratios)
    return "\n".join(lines)


def serve_and_time(settings, browser, pages=PAGES) -> Timings:
    """The API over the stored data (as the `api` command serves it) on a free port; every page timed once after
    one warm-up load (the browser's own caches, like a trader's second visit)."""
    from op_trading.api.server import ApiServer

    server = ApiServer(settings, port=0, cache_prefix=f"optrading-bench:{id(settings)}:").start()
    try:
        page_timings(browser, server.url, ("/",))
        return page_timings(browser, server.url, pages)
    finally:
        server.stop()


def run(home: Path, points, days=(1, 20, 120), browser=None, repeat: int = 3):
    """Fills a fresh embedded store in `home` step by step up to each history length; returns
    ({days: query figures}, {days: page timings}) (page timings empty without a browser)."""
    from op_trading.storage import open_store
    from tests.fixtures_api import mock_settings
    from tests.performance.bench_queries import time_queries
    from tests.performance.trading_day import fill_history

    settings = mock_settings(home)
    queries, pages, filled = {}, {}, 0
    for count in sorted(days):
        store = open_store(settings)
        try:
            fill_history(store, points, range(filled, count))
            filled = count
            queries[count] = time_queries(settings, store, repeat=repeat)
        finally:
            store.close()
        if browser is not None:
            pages[count] = serve_and_time(settings, browser)
    return queries, pages


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - a manual run
    from playwright.sync_api import sync_playwright

    from tests.e2e.browser import FLAGS, chromium_path
    from tests.performance.bench_queries import queries_table
    from tests.performance.trading_day import cached_day

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", default="1,20,120")
    parser.add_argument("--cycles", type=int, default=75)
    parser.add_argument("--step", type=int, default=300, help="seconds between cycles")
    parser.add_argument("--cache", type=Path, default=None, help="folder keeping the built day between runs")
    args = parser.parse_args(argv)
    days = tuple(int(part) for part in args.days.split(","))
    with tempfile.TemporaryDirectory() as folder:
        points = cached_day(args.cache or Path(folder) / "day", args.cycles, timedelta(seconds=args.step))
        print(f"one trading day: {len(points)} points ({args.cycles} cycles {args.step} s apart), "
              f"replayed onto {', '.join(map(str, days))} trading days")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(), args=FLAGS)
            try:
                queries, pages = run(Path(folder) / "home", points, days, browser)
            finally:
                browser.close()
    print(queries_table(queries))
    print()
    print(history_table(pages))


if __name__ == "__main__":
    main()
