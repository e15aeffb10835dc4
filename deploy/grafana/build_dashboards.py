"""Grafana dashboards as code: the JSON in deploy/grafana/dashboards/ is generated from the descriptions below.

    python deploy/grafana/build_dashboards.py          # rewrite the JSON files (commit them)
    python deploy/grafana/build_dashboards.py --check  # exit 1 when a committed file differs

Queries are written against the declared schema (op_trading/storage/schema.py): buckets, measurements, fields and
tags come from it, and tests/unit/test_grafana_dashboards.py parses the committed JSON and checks every Flux query
against the schema and every PromQL metric against what the service exports. The `index` variable holds the index
key (NIFTY, FINNIFTY, ...); measurements that tag the index by its label or Kite symbol are matched through a Flux
dictionary generated from op_trading/market/indices.py.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from op_trading.market.expiries import BUCKETS  # noqa: E402
from op_trading.market.indices import INDIA_VIX, OPTION_INDICES  # noqa: E402
from op_trading.storage.schema import bucket_of, measurement_spec  # noqa: E402

OUT = Path(__file__).resolve().parent / "dashboards"
INFLUX = {"type": "influxdb", "uid": "influxdb-v2"}
PROMETHEUS = {"type": "prometheus", "uid": "prometheus"}
TIMEFRAMES = ("1m", "5m", "15m", "30m", "1h", "1d", "1w")
RANGE = "|> range(start: v.timeRangeStart, stop: v.timeRangeStop)"
WINDOW = "|> aggregateWindow(every: v.windowPeriod, fn: last, createEmpty: false)"
SOURCE = 'r.source =~ /^${source:regex}$/'
DICTS = {  # how each measurement spells the index in its `index` tag, from the key the variable holds
    "labels": {index.key: index.label for index in OPTION_INDICES},
    "symbols": {index.key: index.tradingsymbol for index in OPTION_INDICES},
}
INDEX_FORM = {"atm_option_quote": "labels", "cash_flow": "labels", "index_overview": "symbols",
              "position_close": "labels"}


# ----------------------------------------------------------------------------------------------- Flux building
def flux(measurement: str, fields: tuple[str, ...] = (), *, index: bool = True, bucket: bool = False,
         where: str = "", then: tuple[str, ...] = (WINDOW,)) -> str:
    """One pipeline: the measurement's bucket, its filters (index/bucket variables, source), fields, then steps."""
    spec = measurement_spec(measurement)
    conditions = [f'r._measurement == "{measurement}"', SOURCE]
    lines = []
    if index:
        form = INDEX_FORM.get(measurement)
        if form:
            lines += ['import "dict"', f"{form} = {_flux_dict(DICTS[form])}"]
            conditions.append(f'r.index == dict.get(dict: {form}, key: "${{index}}", default: "")')
        else:
            conditions.append('r.index == "${index}"')
    if bucket:
        conditions.append('r.bucket == "${bucket}"')
    if where:
        conditions.append(where)
    assert all(name in spec.field_types() for name in fields), (measurement, fields)
    lines += [f'from(bucket: "{bucket_of(measurement)}")', f"    {RANGE}",
              f"    |> filter(fn: (r) => {' and '.join(conditions)})"]
    if fields:
        lines.append(f"    |> filter(fn: (r) => {' or '.join(f'r._field == {json.dumps(f)}' for f in fields)})")
    lines += [f"    {step}" for step in then]
    return "\n".join(lines)


def _flux_dict(mapping: dict[str, str]) -> str:
    return "[" + ", ".join(f"{json.dumps(key)}: {json.dumps(value)}" for key, value in mapping.items()) + "]"


def latest_cycle(query: str) -> str:
    """Keep only the rows of the newest cycle (older ATM sets of the range would show stale strikes)."""
    lines = query.splitlines()
    head = [line for line in lines if line.startswith("import ") or " = [" in line]
    pipeline = "\n".join(lines[len(head):])
    return "\n".join(head + [f"data = {pipeline}",
                             'newest = data |> group() |> max(column: "_time")'
                             ' |> findRecord(fn: (key) => true, idx: 0)',
                             "data |> filter(fn: (r) => r._time == newest._time)"])


# ------------------------------------------------------------------------------------------------ panel building
class Board:
    def __init__(self, uid: str, title: str, description: str, variables: tuple[str, ...],
                 time_from: str = "now-1d", refresh: str = "30s"):
        self.uid, self.title, self.description = uid, title, description
        self.variables, self.time_from, self.refresh = variables, time_from, refresh
        self.panels: list[dict] = []
        self._x = self._y = self._row_height = 0

    def panel(self, kind: str, title: str, targets: list[dict], *, unit: str = "", width: int = 12,
              height: int = 8, description: str = "", options: dict | None = None, bars: bool = False,
              overrides: list | None = None, datasource: dict = INFLUX) -> "Board":
        if self._x + width > 24:
            self._x, self._y = 0, self._y + self._row_height
            self._row_height = 0
        defaults: dict = {"unit": unit} if unit else {}
        if bars:  # a time series drawn as bars (per-window sums and counts)
            defaults["custom"] = {"drawStyle": "bars", "fillOpacity": 80}
        self.panels.append({
            "id": len(self.panels) + 1, "type": kind, "title": title, "description": description,
            "datasource": datasource, "gridPos": {"h": height, "w": width, "x": self._x, "y": self._y},
            "fieldConfig": {"defaults": defaults, "overrides": overrides or []}, "options": options or {},
            "targets": [{**target, "refId": chr(ord("A") + n), "datasource": datasource}
                        for n, target in enumerate(targets)]})
        self._x += width
        self._row_height = max(self._row_height, height)
        return self

    def json(self) -> dict:
        return {
            "uid": self.uid, "title": self.title, "description": self.description, "tags": ["op-trading"],
            "timezone": "Asia/Kolkata", "editable": True, "graphTooltip": 1, "schemaVersion": 39, "version": 1,
            "time": {"from": self.time_from, "to": "now"}, "refresh": self.refresh,
            "templating": {"list": [VARIABLES[name] for name in self.variables]},
            "annotations": {"list": []}, "links": [{"type": "dashboards", "tags": ["op-trading"], "asDropdown": True,
                                                    "title": "OP Trading dashboards"}],
            "panels": self.panels}


def custom_variable(name: str, label: str, values: tuple[str, ...], current: str, include_all: bool = False) -> dict:
    options = ([{"text": "All", "value": "$__all", "selected": current == "$__all"}] if include_all else [])
    options += [{"text": value, "value": value, "selected": value == current} for value in values]
    text = "All" if current == "$__all" else current
    variable = {"type": "custom", "name": name, "label": label, "query": ",".join(values),
                "current": {"text": text, "value": current}, "options": options, "hide": 0}
    if include_all:
        variable.update(includeAll=True, allValue=".*", multi=False)
    return variable


VARIABLES = {
    "index": custom_variable("index", "Index", tuple(index.key for index in OPTION_INDICES), "NIFTY"),
    "bucket": custom_variable("bucket", "Expiry bucket", BUCKETS, "this_week"),
    "timeframe": custom_variable("timeframe", "Timeframe", TIMEFRAMES, "5m"),
    "source": custom_variable("source", "Data source", ("live", "mock", "nse"), "$__all", include_all=True),
}


def q(query: str) -> dict:
    return {"query": query}


def prom(expr: str, legend: str) -> dict:
    return {"expr": expr, "legendFormat": legend, "range": True}


# ----------------------------------------------------------------------------------------------------- dashboards
def market_overview() -> Board:
    board = Board("op-market-overview", "OP Trading · Market overview",
                  "Spot, straddle (total) premium against its weekday-and-time average, PCR and max pain per index "
                  "and expiry bucket.", ("index", "bucket", "source"))
    last = ("|> last()",)
    chain = dict(bucket=True)
    board.panel("stat", "Spot", [q(flux("index_overview", ("last_price",), then=last))], width=6, height=4)
    board.panel("stat", "Change from previous close", [q(flux("index_overview", ("net_change_percent",), then=last))],
                unit="percent", width=6, height=4)
    board.panel("stat", "ATM IV ($bucket)", [q(flux("chain_metrics", ("atm_iv",), then=last, **chain))],
                unit="percentunit", width=6, height=4)
    board.panel("stat", "PCR by OI ($bucket)", [q(flux("chain_metrics", ("pcr_oi",), then=last, **chain))],
                width=6, height=4)
    board.panel("timeseries", "Straddle premium vs its weekday average ($index $bucket)",
                [q(flux("chain_metrics", ("total_premium", "premium_weekday_avg"), **chain))], unit="currencyINR",
                description="total_premium = ATM call + ATM put; premium_weekday_avg = mean of the same weekday's "
                            "premium at the same time of day over the previous weeks.")
    board.panel("timeseries", "Premium vs weekday average (%)", [q(flux(
        "chain_metrics", ("total_premium", "premium_weekday_avg"), **chain, then=(
            WINDOW, '|> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")',
            "|> map(fn: (r) => ({_time: r._time, premium_vs_avg: "
            "(r.total_premium / r.premium_weekday_avg - 1.0) * 100.0}))")))], unit="percent")
    board.panel("timeseries", "Straddle premium, 5-minute slot means ($index $bucket, rollup)",
                [q(flux("chain_premium_5m", ("premium_mean",), **chain, then=()))], unit="currencyINR",
                description="chain_premium_5m: the mean premium of each 5-minute IST slot; the weekday average is "
                            "the mean of the same weekday's slot means over the previous weeks.")
    tp_fields = tuple(f"{bucket.upper()}_TP" for bucket in BUCKETS)
    board.panel("timeseries", "Total premium per expiry bucket ($index, collector overview)",
                [q(flux("index_overview", tp_fields))], unit="currencyINR")
    board.panel("timeseries", "PCR ($index $bucket)", [q(flux("chain_metrics", ("pcr_oi", "pcr_volume"), **chain))])
    board.panel("timeseries", "Max pain vs spot ($index $bucket)",
                [q(flux("chain_metrics", ("spot", "max_pain"), **chain))])
    board.panel("table", "All indices now", [q(flux("index_overview", ("last_price", "net_change_percent",
                                                                      "day_width_percent"), index=False, then=(
        "|> last()", '|> pivot(rowKey: ["index"], columnKey: ["_field"], valueColumn: "_value")', "|> group()",
        '|> keep(columns: ["index", "source", "last_price", "net_change_percent", "day_width_percent"])')))],
        width=12)
    board.panel("barchart", "Overnight gap at the open (%, pre-market summary)", [q(flux(
        "premarket_summary", ("gap_pct",), index=False, where='r.part == "gap"', then=(
            "|> last()", "|> group()", '|> keep(columns: ["index", "_value"])')))], unit="percent",
        options={"xField": "index", "orientation": "vertical"})
    return board


def option_chain() -> Board:
    board = Board("op-option-chain", "OP Trading · Option chain and OI by strike",
                  "Open interest, its change since the open and IV by strike: the full chain from the latest snapshot "
                  "(option_chain) and the collected ATM legs.", ("index", "bucket", "source"))
    by_strike = ("|> group()", '|> pivot(rowKey: ["leg_strike"], columnKey: ["option_type"], valueColumn: "_value")',
                 '|> sort(columns: ["leg_strike"])')
    for field, title, unit in (("oi", "OI by strike (ATM legs, latest cycle)", ""),
                               ("oi_change", "Change in OI since the open by strike (ATM legs)", ""),
                               ("iv", "IV by strike (ATM legs)", "percentunit")):
        legs = flux("atm_option_quote", (field, "leg_strike"), bucket=True, then=(
            "|> last()", '|> pivot(rowKey: ["_time", "option_type"], columnKey: ["_field"], valueColumn: "_value")',
            f"|> map(fn: (r) => ({{leg_strike: r.leg_strike, option_type: r.option_type, _time: r._time, "
            f"_value: r.{field}}}))"))
        board.panel("barchart", title, [q(latest_cycle(legs) + "\n    " + "\n    ".join(by_strike))], unit=unit,
                    options={"xField": "leg_strike", "orientation": "vertical"})
    expiry = ('expiry = from(bucket: "options-data")\n'
              f"    {RANGE}\n"
              '    |> filter(fn: (r) => r._measurement == "option_chain_snapshot" and r.index == "${index}" and '
              f'{SOURCE} and r._field == "buckets")\n'
              '    |> filter(fn: (r) => strings.containsStr(v: r._value, substr: "${bucket}"))\n'
              '    |> group()\n    |> sort(columns: ["_time"], desc: true)\n'
              "    |> findRecord(fn: (key) => true, idx: 0)\n")
    chain = (f'import "strings"\n{expiry}'
             + flux("option_chain", ("oi",), where="r.expiration == expiry.expiration and r._time == expiry._time",
                    then=("|> group()", '|> map(fn: (r) => ({r with strike: float(v: r.strike)}))',
                          '|> pivot(rowKey: ["strike"], columnKey: ["option_type"], valueColumn: "_value")',
                          '|> sort(columns: ["strike"])')))
    board.panel("barchart", "Full chain OI by strike (latest snapshot of the $bucket expiry)", [q(chain)], width=24,
                options={"xField": "strike", "orientation": "vertical"})
    board.panel("timeseries", "Closing OI per contract, day by day ($index, rollup)", [q(flux(
        "position_close", ("oi",), then=('|> group(columns: ["expiration", "strike", "option_type"])',)))],
        width=24, description="position_close: each contract's last snapshot of the session (15:30 IST); the "
                              "buildup pattern compares these day to day.")
    board.panel("timeseries", "OI per strike offset through the day ($index $bucket)", [q(flux(
        "atm_option_quote", ("oi",), bucket=True, then=(
            WINDOW, '|> group(columns: ["strike_offset", "option_type"])')))], width=24)
    return board


def volatility() -> Board:
    board = Board("op-volatility", "OP Trading · Volatility",
                  "ATM IV and its day change, IV percentile and rank, skew, the term structure across expiry buckets, "
                  "India VIX.", ("index", "bucket", "source"))
    chain = dict(bucket=True)
    board.panel("timeseries", "ATM IV ($index $bucket)", [q(flux("chain_metrics", ("atm_iv", "iv_open"), **chain))],
                unit="percentunit")
    board.panel("timeseries", "IV percentile and rank (0-100)",
                [q(flux("chain_metrics", ("iv_percentile", "iv_rank"), **chain))], unit="percent")
    board.panel("timeseries", "IV skew: put IV(ATM − d) − call IV(ATM + d)",
                [q(flux("chain_metrics", ("iv_skew",), **chain))], unit="percentunit")
    board.panel("barchart", "Term structure: ATM IV per expiry bucket (latest)", [q(flux(
        "chain_metrics", ("atm_iv",), then=("|> last()", "|> group()", '|> keep(columns: ["bucket", "_value"])',
                                            '|> sort(columns: ["_value"])')))],
        unit="percentunit", options={"xField": "bucket", "orientation": "vertical"})
    board.panel("timeseries", "India VIX", [q(flux("index_overview", ("last_price",), index=False,
                                                   where=f'r.index == "{INDIA_VIX.tradingsymbol}"'))])
    board.panel("timeseries", "ATM IV at each day's close ($index $bucket)",
                [q(flux("chain_metrics_daily", ("atm_iv",), then=()))], unit="percentunit",
                description="chain_metrics_daily: one row per day (15:30 IST); choose a range of weeks or months.")
    board.panel("timeseries", "India VIX at each day's close (rollup)", [q(flux(
        "index_daily", ("close",), index=False, where=f'r.index == "{INDIA_VIX.tradingsymbol}"', then=()))],
        description="index_daily: the day's last price, one row per day (15:30 IST); the VIX percentile reads it.")
    return board


def participants() -> Board:
    board = Board("op-participants", "OP Trading · Participants",
                  "FII, DII, Pro and Client positions in index derivatives over days (NSE participant-wise OI), and "
                  "FII/DII cash market activity.", ("source",), time_from="now-90d", refresh="")
    daily = ('|> group(columns: ["category"])',)
    for field, title in (("fut_net", "Net index futures (long − short, contracts)"),
                         ("call_net", "Net index calls (long − short, contracts)"),
                         ("put_net", "Net index puts (long − short, contracts)"),
                         ("fut_long_pct", "Index futures long share (%)")):
        board.panel("timeseries", title, [q(flux("participant_positions", (field,), index=False,
                                                 where='r.kind == "oi" and r.category != "TOTAL"', then=daily))],
                    unit="percent" if field.endswith("pct") else "")
    board.panel("barchart", "FII/DII net cash (₹ crore)", [q(flux("fii_dii_cash", ("net",), index=False, then=(
        '|> pivot(rowKey: ["_time"], columnKey: ["category"], valueColumn: "_value")',)))],
        options={"xField": "_time", "orientation": "vertical"})
    board.panel("timeseries", "FII/DII buying and selling (₹ crore)", [q(flux(
        "fii_dii_cash", ("buy", "sell"), index=False, then=('|> group(columns: ["category", "_field"])',)))])
    return board


def cash_flows() -> Board:
    board = Board("op-cash-flows", "OP Trading · Cash flows",
                  "Estimated buying (inflow) and selling (outflow) by the tick rule, summed per timeframe "
                  "(IST-aligned), "
                  "per index and per sector.", ("index", "timeframe", "source"))
    window = ('|> aggregateWindow(every: ${timeframe}, fn: sum, createEmpty: false, '
              'location: timezone.location(name: "Asia/Kolkata"))')
    tz = 'import "timezone"\n'
    board.panel("timeseries", "Buying vs selling per $timeframe ($index, ₹)", [q(tz + flux(
        "cash_flow", ("inflow", "outflow"), then=('|> group(columns: ["_field"])', window)))], unit="currencyINR",
        bars=True)
    net = ('|> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")',
           "|> map(fn: (r) => ({r with _value: r.inflow - r.outflow}))")
    board.panel("timeseries", "Net flow per $timeframe ($index, ₹)", [q(tz + flux(
        "cash_flow", ("inflow", "outflow"), then=net + ("|> group()", window)))], unit="currencyINR")
    board.panel("barchart", "Net flow per sector over the range (₹)", [q(flux(
        "cash_flow", ("inflow", "outflow"), index=False, then=net + (
            '|> group(columns: ["sector"])', "|> sum()", "|> group()")))], unit="currencyINR",
        options={"xField": "sector", "orientation": "horizontal"})
    board.panel("barchart", "Net flow per index over the range (₹)", [q(flux(
        "cash_flow", ("inflow", "outflow"), index=False, then=net + (
            '|> group(columns: ["index"])', "|> sum()", "|> group()")))], unit="currencyINR",
        options={"xField": "index", "orientation": "horizontal"})
    board.panel("table", "Running $timeframe buckets now (₹, rollup)", [q(flux(
        "cash_flow_summary", ("inflow", "outflow", "unclassified"), index=False, where='r.timeframe == "${timeframe}"',
        then=("|> last()", '|> pivot(rowKey: ["by", "group"], columnKey: ["_field"], valueColumn: "_value")',
              "|> group()", '|> keep(columns: ["by", "group", "inflow", "outflow", "unclassified"])')))],
        unit="currencyINR", width=24,
        description="cash_flow_summary: the running bucket per grouping, rewritten every cycle (what the live "
                    "view and alerts use).")
    return board


def alerts() -> Board:
    board = Board("op-alerts", "OP Trading · Alerts", "Every alert raised (the store's `alerts` measurement).",
                  ("source",), time_from="now-7d")
    board.panel("table", "Alerts, newest first", [q(flux("alerts", ("message",), index=False, then=(
        '|> group()', '|> keep(columns: ["_time", "type", "severity", "subject", "source", "_value"])',
        '|> sort(columns: ["_time"], desc: true)', "|> limit(n: 500)")))], width=24, height=12)
    board.panel("timeseries", "Alerts per hour by rule", [q(flux("alerts", ("message",), index=False, then=(
        '|> group(columns: ["type"])', "|> aggregateWindow(every: 1h, fn: count, createEmpty: false)")))], bars=True)
    board.panel("piechart", "Alerts by severity", [q(flux("alerts", ("message",), index=False, then=(
        '|> group(columns: ["severity"])', "|> count()")))])
    return board


def service_health() -> Board:
    board = Board("op-service-health", "OP Trading · Service health",
                  "The running service's Prometheus metrics (METRICS_PORT /metrics).", (), time_from="now-6h",
                  refresh="15s")
    panel = dict(datasource=PROMETHEUS)
    board.panel("stat", "Seconds since the last cycle",
                [prom("time() - op_last_cycle_timestamp_seconds", "cycle age")], unit="s", width=6, height=4, **panel)
    board.panel("stat", "Kite token valid", [prom("op_kite_token_valid", "token")], width=6, height=4, **panel)
    board.panel("stat", "Health check", [prom("op_health_ok", "health")], width=6, height=4, **panel)
    board.panel("stat", "Last cycle wall time", [prom("op_cycle_seconds", "cycle")], unit="s", width=6, height=4,
                **panel)
    board.panel("timeseries", "Cycles and failed cycles", [
        prom("increase(op_cycles_total[$__rate_interval])", "cycles"),
        prom("increase(op_cycle_failures_total[$__rate_interval])", "failures")], **panel)
    board.panel("timeseries", "Kite quote calls per minute",
                [prom("rate(op_quote_calls_total[$__rate_interval]) * 60", "quote calls")], **panel)
    board.panel("timeseries", "Points written and spooled per minute", [
        prom("rate(op_points_written_total[$__rate_interval]) * 60", "written"),
        prom("rate(op_points_spooled_total[$__rate_interval]) * 60", "spooled (a sink was down)")], **panel)
    board.panel("timeseries", "Alerts raised", [prom("increase(op_alerts_total[$__rate_interval])", "alerts")],
                **panel)
    board.panel("stat", "Kite token life left", [prom("op_kite_token_remaining_seconds", "token")], unit="s",
                width=6, height=4, **panel)
    board.panel("stat", "Spooled points waiting", [prom("op_spool_backlog_points", "backlog")], width=6, height=4,
                **panel)
    board.panel("stat", "Collection state", [prom("op_collection_state == 1", "{{state}}")], width=6, height=4,
                **panel)
    board.panel("stat", "Kite 429 answers", [prom("increase(op_rate_limited_total[1h])", "429 in 1h")], width=6,
                height=4, **panel)
    board.panel("timeseries", "Errors by class", [
        prom("sum by (class) (increase(op_errors_total[$__rate_interval]))", "{{class}}")], **panel)
    board.panel("timeseries", "Thread restarts and alert deliveries", [
        prom("sum by (component) (increase(op_thread_restarts_total[$__rate_interval]))", "restart {{component}}"),
        prom("sum by (channel, result) (increase(op_alerts_delivered_total[$__rate_interval]))",
             "{{channel}} {{result}}")], **panel)
    board.panel("table", "Component health (0 OK, 1 WARN, 2 FAILED)", [prom("op_component_status", "{{component}}")],
                **panel)
    return board


BOARDS = (market_overview, option_chain, volatility, participants, cash_flows, alerts, service_health)


def render() -> dict[str, str]:
    """File name -> JSON text of every dashboard."""
    boards = [build() for build in BOARDS]
    return {f"{board.uid}.json": json.dumps(board.json(), indent=2, ensure_ascii=False) + "\n" for board in boards}


def main(argv: list[str]) -> int:
    wanted = render()
    if "--check" in argv:
        stale = [name for name, text in wanted.items()
                 if not (OUT / name).exists() or (OUT / name).read_text(encoding="utf-8") != text]
        extra = sorted(path.name for path in OUT.glob("*.json") if path.name not in wanted)
        return 1 if stale or extra else 0
    OUT.mkdir(parents=True, exist_ok=True)
    for name, text in wanted.items():
        (OUT / name).write_text(text, encoding="utf-8")
    for path in OUT.glob("*.json"):
        if path.name not in wanted:
            path.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
