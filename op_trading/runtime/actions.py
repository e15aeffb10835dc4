"""Menu leaves that run the product's main job: the mock data environment, collection, production deployment."""

from __future__ import annotations

import threading
import time

from op_trading.config.fields import mask
from op_trading.outcome import Check, ExitCode, Outcome, Status, Table, failed, from_checks, ok
from op_trading.runtime.views import legs_table, overview_table

MOCK_CYCLES = 3
MOCK_SPEED = 60.0  # simulated seconds per real second: three 30-second cycles in a few real seconds
QUOTE_KEYS = ("NSE:NIFTY 50", "BSE:SENSEX", "NSE:NIFTY BANK", "NSE:NIFTY FIN SERVICE", "NSE:NIFTY MID SELECT",
              "NSE:INDIA VIX")


def collect(ctx, cycles: int | None = None) -> Outcome:
    """Collection in a worker thread; Ctrl-C lets the current cycle finish, then the summary comes with exit 130."""
    from op_trading.errortext import error_line
    from op_trading.runtime.collect import run_collection
    from op_trading.runtime.worker import Worker, wait_for

    stop = threading.Event()
    last: list = []

    def on_cycle(report) -> None:
        last[:] = [report]
        ctx.ui.notify(report.line())

    worker = Worker(lambda: run_collection(ctx.settings, cycles=cycles, stop_event=stop, on_cycle=on_cycle),
                    "op-collect").start()
    interrupted = wait_for(worker, stop, ctx.ui.notify)
    outcome = worker.result if worker.error is None else failed(f"collection stopped: {error_line(worker.error)}")
    if interrupted:
        outcome = Outcome(outcome.status, f"{outcome.message.removesuffix(' (stopped)')} (stopped by Ctrl-C)",
                          outcome.checks, outcome.tables, ExitCode.INTERRUPTED, outcome.data)
    return _with_tables(outcome, last[0] if last else None)


def _with_tables(outcome: Outcome, report) -> Outcome:
    cycle = getattr(report, "cycle", None)
    if cycle is None:
        return outcome
    tables = (overview_table(cycle.overviews, cycle.timestamp), legs_table(cycle.legs, limit=10)) + outcome.tables
    return Outcome(outcome.status, outcome.message, outcome.checks, tables, outcome.exit_code, outcome.data)


def mock_environment(ctx) -> Outcome:
    """Start the simulator, log in through the real session exchange, show quotes, collect a few cycles."""
    from kiteconnect import KiteConnect

    from op_trading.sandbox.server import Sandbox

    settings = ctx.settings
    checks: list[Check] = []
    with ctx.ui.progress("Starting the local Kite simulator"):
        sandbox = _start_sandbox(Sandbox, settings, checks)
    try:
        kite = KiteConnect(api_key=sandbox.api_key, root=sandbox.url, timeout=settings["KITE_REQUEST_TIMEOUT_SECONDS"])
        session = kite.generate_session(sandbox.create_request_token(), api_secret=sandbox.api_secret)
        kite.set_access_token(session["access_token"])
        profile = kite.profile()
        checks.append(Check("session", Status.OK, f"logged in as {profile['user_id']} with token "
                            f"{mask(session['access_token'])} (checksum exchange, like Kite)"))
        quotes = kite.quote(list(QUOTE_KEYS))
        counts = {exchange: len(kite.instruments(exchange)) for exchange in ("NFO", "BFO")}
        checks.append(Check("instruments", Status.OK, ", ".join(f"{n:,} {ex} contracts" for ex, n in counts.items())))
    finally:
        sandbox_url = sandbox.url
        sandbox.stop()
    fast = settings.with_overrides({"DATA_SOURCE_MODE": "mock", "SIMULATOR_SPEED": str(MOCK_SPEED)})
    ctx.settings = fast
    try:
        collected = collect(ctx, cycles=MOCK_CYCLES)
    finally:
        ctx.reload()
    checks += list(collected.checks)
    checks.append(Check("run it yourself", Status.OK, f"`python -m op_trading.sandbox --port {settings['SIMULATOR_PORT']}`"
                        f"; for live-mode tests point KITE_API_ROOT at it (was {sandbox_url})"))
    tables = (_quote_table(quotes),) + collected.tables
    outcome = from_checks(checks, f"mock data environment works: {collected.message}", tables=tables)
    return outcome if collected.ok else failed(collected.message, checks=tuple(checks), tables=tables)


def _start_sandbox(sandbox_class, settings, checks: list[Check]):
    from op_trading.services.system import port_in_use

    port = settings["SIMULATOR_PORT"]
    sandbox = None
    if not port_in_use(port):
        try:
            sandbox = sandbox_class.from_settings(settings, port=port).start()
        except OSError:  # taken between the check and the bind (another program starting at the same moment)
            sandbox = None
    if sandbox is None:
        checks.append(Check("simulator port", Status.WARN, f"{port} is in use; using a free port instead"))
        sandbox = sandbox_class.from_settings(settings, port=0).start()
    checks.append(Check("simulator", Status.OK, f"running at {sandbox.url} (seed {settings['SIMULATOR_SEED']}, "
                        "MOCK DATA)"))
    return sandbox


def _quote_table(quotes: dict) -> Table:
    rows = []
    for key in QUOTE_KEYS:
        quote = quotes.get(key)
        if not quote:
            rows.append((key, "-", "-", "-", "-"))
            continue
        ohlc = quote.get("ohlc", {})
        rows.append((key, f"{quote['last_price']:,.2f}", _change(quote['last_price'], ohlc.get("close")),
                     f"{ohlc.get('low', 0):,.2f} - {ohlc.get('high', 0):,.2f}", f"{ohlc.get('close', 0):,.2f}"))
    return Table("Simulator quotes [MOCK DATA]", ("Instrument", "Last", "Change", "Day range", "Prev close"),
                 tuple(rows))


def _change(last: float, close: float | None) -> str:
    """Last against the previous close. Not Kite's `net_change`: its quote feed sends 0 there (domain.md §1.6)."""
    if not close:
        return "-"
    return f"{last - close:+,.2f} ({(last - close) / close:+.2%})"


def deploy(ctx, cycles: int | None = None) -> Outcome:
    """Validate, bootstrap storage, then run the service in the foreground with a live status view."""
    from op_trading.runtime.service import Service
    from op_trading.services.bootstrap import initialize_services
    from op_trading.services.validate import config_checks

    problems = [check for check in config_checks(ctx.settings, ctx.mode) if check.status is Status.FAILED]
    if problems:
        return failed("configuration is not valid for deployment", checks=tuple(problems),
                      exit_code=ExitCode.USAGE)
    storage = initialize_services(ctx)
    if storage.status is Status.FAILED:
        return failed("storage could not be initialised", checks=storage.checks)
    from op_trading.api.security import ApiConfigError
    from op_trading.api.server import api_faces

    try:
        # headless runs print each state change at once ("waiting for Kite login"), between the periodic frames
        on_state = None if ctx.ui.interactive else (lambda line: ctx.ui.notify(f"service: {line}"))
        service = Service(ctx.settings, cycles=cycles, faces=api_faces(ctx.settings), on_state=on_state).start()
    except (ApiConfigError, OSError) as error:
        return failed(f"the API cannot start: {error}", exit_code=ExitCode.USAGE)
    started = time.monotonic()
    interrupted = True
    try:
        interrupted = ctx.ui.live(service.snapshot, ctx.settings["ANALYTICS_REFRESH_SECONDS"], stop=service.finished)
    finally:
        service.stop()
    result = service.outcome or ok("service stopped")
    minutes = (time.monotonic() - started) / 60
    code = ExitCode.INTERRUPTED if interrupted and result.exit_code is None else result.exit_code
    message = f"service ran {minutes:.1f} min{' until Ctrl-C' if interrupted else ''}: {result.message}"
    return Outcome(result.status, message, result.checks, result.tables, code, result.data)
