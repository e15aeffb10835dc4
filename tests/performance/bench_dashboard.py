"""Dashboard page timings in headless Chromium: first contentful paint and the time until the page's data and
charts are in (`body[data-ready]`), per page, against a service that collected from the simulator.

    python -m tests.performance.bench_dashboard [cycles]

The pages read bounded queries, so a longer history does not make them heavier; the figure to watch is first
paint, which SPEC wants under a second with a day of data.
"""

from __future__ import annotations

import sys

PAGES = ("/", "/chain", "/charts", "/volatility", "/participants", "/flows", "/alerts")
PAINT = "() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || null"


def page_timings(browser, base_url: str, pages=PAGES) -> dict[str, tuple[float | None, float]]:
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


def timings_table(figures: dict[str, tuple[float | None, float]]) -> str:
    lines = [f"{'page':<14}{'first paint (ms)':>18}{'data ready (ms)':>18}"]
    for path, (paint, ready) in figures.items():
        lines.append(f"{path:<14}{'n/a' if paint is None else f'{paint:.0f}':>18}{ready:>18.0f}")
    return "\n".join(lines)


def main(cycles: int = 6) -> None:  # pragma: no cover - a manual run
    import tempfile
    from pathlib import Path

    from playwright.sync_api import sync_playwright

    from tests.e2e.browser import FLAGS, chromium_path
    from tests.fixtures_api import import_mock_participants, start_service

    with tempfile.TemporaryDirectory() as folder:
        running = start_service(Path(folder), cycles=cycles)
        import_mock_participants(running.settings)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium_path(), args=FLAGS)
                page_timings(browser, running.url, ("/",))  # warm the browser's own caches once
                print(timings_table(page_timings(browser, running.url)))
                browser.close()
        finally:
            running.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 6)
