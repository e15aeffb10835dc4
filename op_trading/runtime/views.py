"""Tables of collected data for people (index overview, ATM legs), and the live views attached to a running service.

Tables fit an 80-column terminal and say what each number is: "PCR OI (ATM legs)" is put OI / call OI over the
cycle's ATM ± STRIKE_OFFSETS legs only, "PCR OI (chain)" the same over the whole chain snapshot; chain metrics carry
their snapshot time. `attached_view` shows the running service's data through its API (the terminal never starts a
second collector next to a service); outside market hours it says so and shows the last session.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Mapping

from op_trading.analytics.common import MISSING, fmt_contracts, fmt_number, fmt_pct, fmt_vol_points
from op_trading.outcome import ExitCode, Outcome, Status, Table, failed, ok

BUCKET_ORDER = ("this_week", "next_week", "this_month", "next_month")
BUCKET_SHORT = {"this_week": "week", "next_week": "next wk", "this_month": "month", "next_month": "next mo"}


def nearest_bucket(overview: Mapping[str, Any]) -> str | None:
    return next((bucket for bucket in BUCKET_ORDER if f"{bucket}_atm_iv" in overview or f"pcr_{bucket}" in overview),
                None)


def _index_name(record: Mapping[str, Any]) -> str:
    return str(record.get("index") or record.get("symbol") or "?")


def overview_table(records: Iterable[Mapping[str, Any]], timestamp: str = "") -> Table:
    """One row per index from a cycle's overview records: spot, change, ATM and the nearest expiry's straddle,
    ATM-legs PCR and ATM IV (8 columns: fits 80)."""
    rows = []
    sources = set()
    for record in records:
        if "symbol" not in record:
            continue
        sources.add(record.get("source", "?"))
        bucket = nearest_bucket(record)
        upper = bucket.upper() if bucket else ""
        rows.append((_index_name(record), fmt_number(record.get("last_price")),
                     fmt_pct(record.get("net_change_percent"), 2, signed=True),
                     fmt_contracts(record.get("atm_strike")), BUCKET_SHORT.get(bucket or "", MISSING),
                     fmt_number(record.get(f"{upper}_TP") if bucket else None),
                     fmt_number(record.get(f"pcr_{bucket}") if bucket else None),
                     fmt_vol_points(record.get(f"{bucket}_atm_iv") if bucket else None)))
    label = ", ".join(sorted(sources)) or MISSING
    caption = (f"{timestamp} IST, source: {label}" + ("  [MOCK DATA]" if "mock" in sources else "")
               + " · nearest expiry; CE+PE = ATM straddle; PCR over the ATM legs only; IV in vol points")
    return Table("Index overview", ("Index", "Spot", "Chg %", "ATM", "Expiry", "CE+PE", "PCR OI (ATM legs)",
                                    "ATM IV"), tuple(rows), caption)


def legs_table(records: Iterable[Mapping[str, Any]], index: str | None = None, limit: int = 40) -> Table:
    """ATM ±N legs: one row per strike and side, with IV and OI change since the day's open (fits 80)."""
    rows = []
    for record in records:
        if "side" not in record or (index and record.get("index") != index):
            continue
        rows.append((record["index"], BUCKET_SHORT.get(record["bucket"], record["bucket"]), record["strike_offset"],
                     fmt_number(record.get("strike"), 0), record["side"], fmt_number(record.get("last_price")),
                     fmt_vol_points(record.get("iv")), fmt_contracts(record.get("oi")),
                     fmt_contracts(record.get("oi_change"), signed=True)))
        if len(rows) >= limit:
            break
    return Table("ATM option legs", ("Index", "Expiry", "Off", "Strike", "Side", "LTP", "IV", "OI", "OI chg"),
                 tuple(rows), "IV in vol points; OI chg since the day's open")


# ----- answers of the query layer / API (dicts as the API sends them) -----

def _clock(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%H:%M")
    return str(value)[11:16] if value else MISSING


def state_overview_table(overview: Mapping[str, Any], breadth: Mapping[str, Any] | None = None) -> Table:
    """The overview answer (`/api/v1/overview`): whole-chain PCR and max pain, straddle vs its weekday average.

    Eight columns fit 80 with the widest values (MIDCPNIFTY, 85,831.78, 1,100.50): the nearest expiry per index
    and the chain snapshot times go to the caption, grouped, rather than two more columns that would fold numbers.
    """
    states = list(overview.get("indices", ()))
    rows = tuple((s["index"], fmt_number(s.get("spot")), fmt_pct(s.get("change_pct"), 2, signed=True),
                  fmt_number(s.get("straddle")), fmt_pct(s.get("straddle_vs_avg_pct"), 0, signed=True),
                  fmt_number(s.get("pcr_oi_chain")), fmt_number(s.get("max_pain"), 0),
                  fmt_vol_points(s.get("atm_iv"))) for s in states)
    source = overview.get("source")
    caption = (f"source {source}{' [MOCK DATA]' if source == 'mock' else ''} · {_breadth_line(breadth)}"
               f"nearest expiry: {_grouped(states, lambda s: BUCKET_SHORT.get(s.get('bucket') or '', MISSING))} · "
               f"chain snapshot {_grouped(states, lambda s: _clock(s.get('chain_as_of')))} IST · "
               "CE+PE = ATM straddle, vs avg = vs same weekday and time; PCR OI over the whole chain; IV in vol points")
    return Table("Index overview", ("Index", "Spot", "Chg %", "CE+PE", "vs avg", "PCR OI", "Max pain", "ATM IV"),
                 rows, caption)


def _breadth_line(breadth: Mapping[str, Any] | None) -> str:
    """Advance/decline of the five option indices (not market breadth) and the volatility regime, as one line."""
    if not breadth:
        return ""
    return (f"the 5 option indices: {breadth.get('advances')} up, {breadth.get('declines')} down "
            f"({breadth.get('label')}) · India VIX {fmt_number(breadth.get('vix'))}, regime {breadth.get('regime')} · ")


def _grouped(states: list[Mapping[str, Any]], label) -> str:
    """One value for all indices ("09:50"), else each value with its indices ("week NIFTY SENSEX; month ...")."""
    groups: dict[str, list[str]] = {}
    for state in states:
        groups.setdefault(str(label(state)), []).append(str(state["index"]))
    if len(groups) <= 1:
        return next(iter(groups), MISSING)
    return "; ".join(f"{value} {' '.join(names)}" for value, names in groups.items())


def flows_answer_table(flows: Mapping[str, Any]) -> Table:
    rows = tuple((_clock(r.get("start")), r["group"], fmt_number(r.get("buying_crore")),
                  fmt_number(r.get("selling_crore")), fmt_number(r.get("net_crore"), 2, signed=True),
                  fmt_pct(r.get("pressure_pct"), 0, signed=True)) for r in flows.get("rows", ()))
    return Table(f"Estimated cash flow, {flows.get('timeframe')} buckets", ("From", "Group", "Buying", "Selling",
                                                                            "Net", "Pressure"), rows,
                 f"₹ crore; {flows.get('method', '')}")


def positions_answer_table(positions: Mapping[str, Any], limit: int = 12) -> Table:
    rows = tuple((c["instrument"][-22:], fmt_contracts(c.get("oi_change"), signed=True),
                  fmt_pct(c.get("oi_change_pct"), 1, signed=True), fmt_pct(c.get("price_change_pct"), 1, signed=True),
                  c.get("buildup", MISSING)) for c in list(positions.get("changes", ()))[:limit])
    return Table(f"Largest OI changes over {positions.get('interval')}", ("Contract", "OI chg", "OI %", "Price %",
                                                                           "Buildup"), rows,
                 "ATM legs; sorted by the size of the OI change %")


def alerts_answer_table(alerts: Mapping[str, Any], limit: int = 15) -> Table:
    rows = tuple((_clock(a.get("time")), a.get("severity", "").upper(), a.get("message", "")[:60])
                 for a in list(alerts.get("items", ()))[:limit])
    return Table("Recent alerts", ("Time", "Level", "Message"), rows, "Newest first" if rows else "No alerts")


ATTACHED_PANELS = {
    # one table: the advance/decline of the five indices goes in its caption (a second table of the same five
    # spots and changes would push the view past 24 lines)
    "overview": (("/api/v1/overview", lambda overview, breadth: state_overview_table(overview, breadth)),),
    "flows": (("/api/v1/analytics/cash-flows?timeframe={timeframe}&buckets=3", flows_answer_table),),
    "positions": (("/api/v1/positions/monitor", positions_answer_table),),
    "alerts": (("/api/v1/alerts?limit=15", alerts_answer_table),),
}


def attached_view(ctx, view: str, timeframe: str | None = None) -> Outcome | None:
    """The view over a running service's API, refreshed until Ctrl-C; None when no service runs on this machine."""
    from op_trading.runtime.attach import ApiUnavailable, fetch, service_url

    url = service_url(ctx.settings)
    if url is None:
        return None
    last: list[Outcome] = []

    def frame() -> Outcome:
        try:
            overview = fetch(url, "/api/v1/overview", ctx.settings)
            breadth = fetch(url, "/api/v1/analytics/market-breadth", ctx.settings) if view == "overview" else None
            tables = tuple(make(overview, breadth) if path == "/api/v1/overview" else
                           make(fetch(url, path.format(timeframe=timeframe or "5m"), ctx.settings))
                           for path, make in ATTACHED_PANELS[view])
        except ApiUnavailable as error:
            last.append(failed(str(error)))
            return last[-1]
        note = overview.get("market_note", "")
        last.append(ok(f"attached to the service at {url} · data as of "
                       f"{str(overview.get('as_of'))[11:16]} · {note}", tables=tables))
        return last[-1]

    interrupted = ctx.ui.live(frame, ctx.settings["ANALYTICS_REFRESH_SECONDS"],
                              stop=lambda: bool(last) and last[-1].status is Status.FAILED)
    result = last[-1] if last else frame()
    code = ExitCode.INTERRUPTED if interrupted and result.status is not Status.FAILED else result.exit_code
    return Outcome(result.status, f"{view} view: {result.message}", result.checks, result.tables, code)


def closed_market_tables(settings, now: datetime | None = None) -> tuple[str, tuple[Table, ...]]:
    """Outside market hours: a line saying so and the last session's overview from the store."""
    import dataclasses

    from op_trading.queries.base import Queries

    queries = Queries.open(settings)
    if now is not None:
        queries.clock = lambda: now
    try:
        overview = dataclasses.asdict(queries.overview())
    finally:
        queries.close()
    if overview["as_of"] is None:
        return overview["market_note"], ()
    return overview["market_note"], (state_overview_table(overview),)


def market_closed_note(settings, now: datetime | None = None) -> tuple[str, tuple[Table, ...]] | None:
    """For a live view about to start its own collector: None while the market is open (or the source is the
    simulator, which keeps its own clock); else the line saying it is closed and the last session's tables."""
    from op_trading.market.calendar import is_market_open

    if settings["DATA_SOURCE_MODE"] != "live" or is_market_open(now):
        return None
    return closed_market_tables(settings, now)
