"""The web dashboard in a real headless Chromium against a service that collected from the simulator: every page
renders its tables and charts with data points, the data source is shown, the live alerts feed updates over the
WebSocket, and no page logs a console error. Screenshots go to test-artifacts/dashboard (TEST_ARTIFACTS_DIR;
gitignored, never committed)."""

from __future__ import annotations

import json

import pytest

from tests.e2e.browser import PageWatch, artefact_dir, browser  # noqa: F401 (fixture)
from tests.fixtures_api import import_mock_participants, raise_alert, start_service

PAGES = {"/": "overview", "/chain": "chain", "/charts": "charts", "/volatility": "volatility",
         "/participants": "participants", "/flows": "flows", "/alerts": "alerts"}
CHART_POINTS = """() => [...document.querySelectorAll('.chart')].map(el => ({
    id: el.id, points: (el.data || []).reduce((n, t) => n + (t.y || []).filter(v => v !== null).length, 0)}))"""


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    running = start_service(tmp_path_factory.mktemp("dashboard"), cycles=3)
    import_mock_participants(running.settings)
    yield running
    running.stop()


def open_page(watch: PageWatch, url: str) -> None:
    watch.page.goto(url, wait_until="domcontentloaded")
    watch.page.wait_for_selector("body[data-ready]", timeout=20_000)
    assert watch.page.get_attribute("body", "data-ready") == "1", watch.page.inner_text("#status")


@pytest.mark.parametrize("path", list(PAGES))
def test_page_renders_with_data_and_no_console_error(running, browser, path):  # noqa: F811
    watch = PageWatch(browser)
    try:
        open_page(watch, running.url + path)
        page = watch.page
        assert "MOCK DATA" in page.inner_text("#source")
        charts = page.evaluate(CHART_POINTS)
        assert all(chart["points"] > 0 for chart in charts), charts
        if PAGES[path] in ("overview",):
            assert page.locator("#overview tbody tr").count() == 5
        if PAGES[path] == "chain":
            rows = page.locator("#chain tbody tr")
            assert rows.count() == 17  # strikes=10 each side, capped by CHAIN_STRIKE_WINDOW=8
            assert page.locator("#chain tbody tr.atm").count() == 1 and page.locator("td.itm").count() > 0
        page.screenshot(path=str(artefact_dir("dashboard") / f"{PAGES[path]}.png"), full_page=True)
    finally:
        watch.close()
    assert watch.errors == []


def test_live_alerts_feed_updates_over_the_websocket(running, browser):  # noqa: F811
    watch = PageWatch(browser)
    try:
        open_page(watch, running.url + "/alerts")
        page = watch.page
        page.wait_for_function("() => document.getElementById('alerts-feed').dataset.empty !== undefined || "
                               "document.querySelectorAll('#alerts-feed li').length > 0", timeout=10_000)
        raise_alert(running.settings, "browser feed check: <b>not markup</b>")
        page.wait_for_function("() => Number(document.getElementById('alerts-feed').dataset.updates || 0) >= 1",
                               timeout=15_000)
        first = page.locator("#alerts-feed li").first
        assert "browser feed check: <b>not markup</b>" in first.inner_text()  # shown as text, never as HTML
        assert page.locator("#alerts-feed li b").count() == 0
        page.screenshot(path=str(artefact_dir("dashboard") / "alerts-live.png"))
    finally:
        watch.close()
    assert watch.errors == []


def test_chain_table_agrees_with_the_api(running, browser):  # noqa: F811
    import urllib.request

    watch = PageWatch(browser)
    try:
        open_page(watch, running.url + "/chain?index=NIFTY")
        atm_text = watch.page.inner_text("#chain tbody tr.atm td.strike")
    finally:
        watch.close()
    chain = json.loads(urllib.request.urlopen(running.url + "/api/v1/options/NIFTY?strikes=10", timeout=10).read())
    assert atm_text.startswith(f"{chain['atm_strike']:,.0f}".replace(",", ",")) or \
        atm_text.replace(",", "").startswith(str(int(chain["atm_strike"])))
    assert "ATM" in atm_text


def test_page_timings_are_printed(running, browser, capsys):  # noqa: F811
    from tests.performance.bench_dashboard import page_timings, timings_table

    figures = page_timings(browser, running.url, ("/", "/chain"))
    print(timings_table(figures))  # figures for people; never asserted (the machine is shared)
    assert set(figures) == {"/", "/chain"} and "first paint" in capsys.readouterr().out


def test_chain_page_switches_the_oi_change_window(running, browser):  # noqa: F811
    watch = PageWatch(browser)
    try:
        open_page(watch, running.url + "/chain")
        watch.page.select_option("#window", "15")
        watch.page.wait_for_function("() => (document.getElementById('oi-change-chart').layout.title.text || '')"
                                     ".includes('min')", timeout=15_000)
        title = watch.page.evaluate("() => document.getElementById('oi-change-chart').layout.title.text")
        assert "15 min" in title
    finally:
        watch.close()
    assert watch.errors == []


def test_numbers_come_before_the_chart_library(running, browser):  # noqa: F811
    """plotly.min.js is asked for only once the page's first API answer is in (first paint never waits for it),
    with a versioned URL the browser may keep a year."""
    watch = PageWatch(browser)
    try:
        open_page(watch, running.url + "/chain")
        entries = watch.page.evaluate("""() => performance.getEntriesByType('resource').map(e => ({
            name: e.name, start: e.startTime, end: e.responseEnd}))""")
        assert watch.page.locator("head script[src*='plotly']").count() == 1  # added by app.js, not by the HTML
    finally:
        watch.close()
    plotly = [entry for entry in entries if "plotly.min.js" in entry["name"]]
    first_api = min((entry for entry in entries if "/api/v1/" in entry["name"]), key=lambda entry: entry["end"])
    assert len(plotly) == 1 and "?v=" in plotly[0]["name"]
    assert plotly[0]["start"] >= first_api["end"], (plotly, first_api)
    assert watch.errors == []
