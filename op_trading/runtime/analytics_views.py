"""Terminal views of the analytics: live while collection runs (chain metrics, cash flows by timeframe, OI
positions, breadth and regime, alerts), and the participant panel from NSE's files.

Live views run the same service as production deployment (collection, analytics, alerts) against the configured
source and refresh every ANALYTICS_REFRESH_SECONDS until Ctrl-C; they show only the panels the item is about.
"""

from __future__ import annotations

from op_trading.context import Question
from op_trading.outcome import ExitCode, Outcome, Status, Table, failed, ok

VIEWS = ("overview", "flows", "positions", "alerts")
MOCK_PARTICIPANT_SESSIONS = 10


def live_view(ctx, view: str = "overview", cycles: int | None = None) -> Outcome:
    """Collection plus analytics with a refreshing view of one group of panels."""
    from op_trading.runtime.analysis import CycleAnalyzer
    from op_trading.runtime.service import Service

    if view not in VIEWS:
        return failed(f"unknown view {view!r}; one of {', '.join(VIEWS)}")
    timeframe = _ask_timeframe(ctx) if view == "flows" else None
    from op_trading.runtime.views import attached_view, market_closed_note

    attached = attached_view(ctx, view, timeframe)  # a running service: read its API, never a second collector
    if attached is not None:
        return attached
    closed = market_closed_note(ctx.settings)
    analyzer = CycleAnalyzer(ctx.settings)
    service = Service(ctx.settings, cycles=cycles, analyzers=[analyzer]).start()

    def frame() -> Outcome:
        snapshot = service.snapshot()
        tables = _panels(view, analyzer, timeframe, snapshot.tables)
        if closed is not None and service.last_report is None:  # say so, and show the last session meanwhile
            return Outcome(snapshot.status, f"{closed[0]}; collection starts at the open", snapshot.checks,
                           closed[1] + tuple(tables))
        return Outcome(snapshot.status, snapshot.message, snapshot.checks, tuple(tables))

    interrupted = True
    try:
        interrupted = ctx.ui.live(frame, ctx.settings["ANALYTICS_REFRESH_SECONDS"], stop=service.finished)
    finally:
        service.stop()
    result = service.outcome or ok("view closed")
    code = ExitCode.INTERRUPTED if interrupted and result.exit_code is None else result.exit_code
    return Outcome(result.status, f"{view} view: {result.message}", result.checks, tuple(frame().tables), code,
                   result.data)


def _panels(view: str, analyzer, timeframe: str | None, service_tables: tuple[Table, ...]) -> list[Table]:
    live, last = analyzer.live, analyzer.last
    status = [table for table in service_tables if table.title in ("Service", "Index overview")]
    if live is None or last is None:
        return status
    from op_trading.analytics.alerts import alerts_table
    from op_trading.analytics.breadth import breadth_table
    from op_trading.analytics.chain import chain_table

    panels = {
        "overview": lambda: [chain_table(last.metrics)] + ([breadth_table(last.breadth, last.regime)]
                                                           if last.breadth and last.regime else []),
        "flows": lambda: live.flows.tables(last.as_of, timeframe),
        "positions": lambda: live.positions.tables(last.positions),
        "alerts": lambda: [alerts_table(live.alerts.recent, "Recent alerts")],
    }
    return status + panels[view]()


def _ask_timeframe(ctx) -> str:
    timeframes = [str(tf) for tf in ctx.settings["CASH_FLOW_TIMEFRAMES"]] or ["5m"]
    return ctx.ui.ask(Question("Timeframe", default=timeframes[0], choices=tuple(timeframes),
                               validate=lambda text: None if text in timeframes else
                               f"choose one of {', '.join(timeframes)} (CASH_FLOW_TIMEFRAMES)"))


def participants(ctx) -> Outcome:
    """Import NSE participant files (downloading when enabled) and show positions and FII/DII cash.

    In mock mode an empty folder is filled with simulator files in NSE's exact format, labelled mock."""
    from op_trading.analytics.alerts import AlertEngine
    from op_trading.analytics.participant_import import ParticipantImporter
    from op_trading.market.calendar import latest_session_day, now_ist
    from op_trading.storage import open_store

    settings = ctx.settings
    folder = settings.path("PARTICIPANT_DATA_DIR")
    notes = []
    if settings["DATA_SOURCE_MODE"] == "mock" and not any(folder.glob("fao_participant_oi_*.csv")):
        from op_trading.sandbox.participants import write_history

        written = write_history(folder, latest_session_day(now_ist()), MOCK_PARTICIPANT_SESSIONS,
                                settings["SIMULATOR_SEED"])
        notes.append(f"wrote {len(written)} simulated NSE files (MOCK DATA) to {folder}")
    store = open_store(settings)
    try:
        alerts = AlertEngine.from_settings(settings, store)
        result = ParticipantImporter.from_settings(settings, store).run(alerts=alerts)
        raised = list(alerts.recent)
    finally:
        store.close()
    if raised:
        from op_trading.analytics.alerts import alerts_table

        result = Outcome(result.status, result.message, result.checks,
                         result.tables + (alerts_table(raised, "Alerts raised"),), result.exit_code, result.data)
    if notes and result.status is not Status.FAILED:
        return Outcome(result.status, f"{result.message} ({'; '.join(notes)})", result.checks, result.tables,
                       result.exit_code, result.data)
    return result
