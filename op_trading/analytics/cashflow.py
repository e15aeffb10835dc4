"""Estimated cash in/out per instrument from traded value, and its aggregation over timeframes.

Traded value per interval. Kite's quote carries the day's cumulative ``volume`` (units) and ``average_price`` (the
day's VWAP), so the day's turnover so far is volume × average_price, and the turnover of one interval between two
snapshots is the difference. Without an average price, Δvolume × last price is used instead. For options this is
premium turnover in ₹, not notional. A new session (volume going down, or a new date) starts again from zero.
The first snapshot of an instrument after start-up only sets the baseline (the day's earlier turnover has no
known direction and is not counted).

Direction rule (tick rule with zero-tick continuation): the interval's whole value counts as **inflow** (buying)
when the last price rose since the previous snapshot, **outflow** (selling) when it fell, and keeps the previous
interval's direction when it did not move; with no direction known yet it is **unclassified**. Limits, stated
plainly: it works on snapshots (every collection cycle), not on individual trades, so a whole interval gets one
direction; it estimates the aggressor side, not who bought or sold; a falling option price can be call sellers or
put buyers alike. It is an estimate and is labelled as one.

Aggregation: flows are summed into buckets aligned to IST (1m, 5m, 15m, 30m, 1h from midnight; 1d = the IST
calendar day; 1w = the week starting Monday), per index, per sector (`Index.sector`), per instrument or overall.
Net = inflow − outflow; pressure = net / (inflow + outflow) × 100, from −100 (all selling) to +100 (all buying).
Buckets conserve totals: summed over buckets, every component equals the sum over flows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from datetime import date, datetime, time, timedelta
from typing import Any, Iterable, Mapping

from op_trading.analytics import common
from op_trading.analytics.common import finite, fmt_pct, fmt_rupees_as_crore
from op_trading.outcome import Table
from op_trading.market.calendar import IST

MEASUREMENT = "cash_flow"
SUMMARY_MEASUREMENT = "cash_flow_summary"  # rollup: the running bucket per timeframe and grouping (see the tracker)
SUMMARY_GROUPS = ("all", "index", "sector")  # per-instrument sums stay in memory only (hundreds of series)
TIMEFRAMES = {"1m": timedelta(minutes=1), "5m": timedelta(minutes=5), "15m": timedelta(minutes=15),
              "30m": timedelta(minutes=30), "1h": timedelta(hours=1), "1d": timedelta(days=1),
              "1w": timedelta(weeks=1)}
GROUPS = ("all", "index", "sector", "instrument")
PANELS = {"buying": "Buying (₹ cr)", "selling": "Selling (₹ cr)", "net": "Net (₹ cr)"}


@dataclass(frozen=True)
class Flow:
    time: datetime
    instrument: str
    index: str
    inflow: float  # ₹
    outflow: float
    unclassified: float
    source: str

    @property
    def net(self) -> float:
        return self.inflow - self.outflow


@dataclass(frozen=True)
class FlowBucket:
    timeframe: str
    start: datetime
    group: str
    inflow: float
    outflow: float
    unclassified: float
    flows: int
    source: str

    @property
    def end(self) -> datetime:
        return self.start + TIMEFRAMES[self.timeframe]

    @property
    def net(self) -> float:
        return self.inflow - self.outflow

    @property
    def pressure_pct(self) -> float | None:
        share = common.ratio(self.net, self.inflow + self.outflow)
        return None if share is None else 100.0 * share


@lru_cache(maxsize=256)
def sector_of(index_name: str) -> str:
    """Cached: it is asked for every flow of every cycle, and the index list never changes in a run."""
    index = common.find_index(index_name)
    return index.sector if index is not None else "other"


@dataclass
class _Last:
    day: date
    volume: float
    turnover: float
    price: float | None
    direction: int  # +1 buying, −1 selling, 0 unknown


def _turnover(volume: float, record: Mapping[str, Any]) -> float | None:
    average = finite(record.get("average_price"))
    price = average if average is not None and average > 0 else finite(record.get("last_price"))
    return None if price is None else volume * price


def _interval_value(record: Mapping[str, Any], volume: float, day: date, last: _Last) -> float:
    """Turnover since the previous snapshot; a new session counts from zero."""
    if day != last.day or volume < last.volume:
        return _turnover(volume, record) or 0.0
    value = (_turnover(volume, record) or 0.0) - last.turnover
    if value <= 0 and volume > last.volume:  # average price rounding; fall back to Δvolume × last price
        value = (volume - last.volume) * (finite(record.get("last_price")) or 0.0)
    return max(value, 0.0)


def estimate_flows(records: Iterable[Mapping[str, Any]], state: dict[str, _Last] | None = None,
                   default_source: str = "unknown") -> list[Flow]:
    """Flows between consecutive snapshots per instrument; `state` carries the last snapshot across calls."""
    state = {} if state is None else state
    flows = []
    for record in sorted(records, key=common.record_time):
        volume, moment = finite(record.get("volume")), common.record_time(record)
        if volume is None:
            continue
        key, price = common.instrument_key(record), finite(record.get("last_price"))
        last = state.get(key)
        now = _Last(moment.date(), volume, _turnover(volume, record) or 0.0, price, 0)
        if last is not None:
            value = _interval_value(record, volume, moment.date(), last)
            tick = 0 if price is None or last.price is None else (price > last.price) - (price < last.price)
            now.direction = tick or last.direction
            if value > 0:
                flows.append(Flow(moment, key, str(record.get("index", "")),
                                  value if now.direction > 0 else 0.0, value if now.direction < 0 else 0.0,
                                  value if now.direction == 0 else 0.0, str(record.get("source") or default_source)))
        state[key] = now
    return flows


def bucket_start(moment: datetime, timeframe: str) -> datetime:
    moment = common.as_ist(moment)
    midnight = datetime.combine(moment.date(), time(0), IST)
    if timeframe == "1w":
        return midnight - timedelta(days=moment.weekday())
    if timeframe == "1d":
        return midnight
    size = int(TIMEFRAMES[timeframe].total_seconds())
    seconds = int((moment - midnight).total_seconds())
    return midnight + timedelta(seconds=seconds - seconds % size)


def _group_of(flow: Flow, by: str) -> str:
    if by == "index":
        return flow.index
    if by == "instrument":
        return flow.instrument
    return sector_of(flow.index) if by == "sector" else "all"


def aggregate(flows: Iterable[Flow], timeframe: str, by: str = "index") -> list[FlowBucket]:
    """Flows summed per (bucket start, group), oldest first."""
    if timeframe not in TIMEFRAMES:
        raise ValueError(f"unknown timeframe {timeframe!r}; use one of {', '.join(TIMEFRAMES)}")
    if by not in GROUPS:
        raise ValueError(f"unknown grouping {by!r}; use one of {', '.join(GROUPS)}")
    return _sum_flows(flows, by, timeframe, lambda moment: bucket_start(moment, timeframe))


def _sum_flows(flows: Iterable[Flow], by: str, timeframe: str, start_of) -> list[FlowBucket]:
    """Flows summed per (start_of(time), group), oldest first."""
    sums: dict[tuple[datetime, str], list] = {}
    starts: dict[datetime, datetime] = {}  # a cycle's flows share their time: one start_of per distinct time
    for flow in flows:
        start = starts.get(flow.time)
        if start is None:
            start = starts[flow.time] = start_of(flow.time)
        entry = sums.setdefault((start, _group_of(flow, by)), [0.0, 0.0, 0.0, 0, set()])
        entry[0] += flow.inflow
        entry[1] += flow.outflow
        entry[2] += flow.unclassified
        entry[3] += 1
        entry[4].add(flow.source)
    return [FlowBucket(timeframe, start, group, inflow, outflow, unclassified, count, "+".join(sorted(sources)))
            for (start, group), (inflow, outflow, unclassified, count, sources) in sorted(sums.items())]


def flow_points(flows: Iterable[Flow]) -> list:
    return [common.make_point(MEASUREMENT, {"instrument": f.instrument, "index": f.index,
                                            "sector": sector_of(f.index), "source": f.source},
                              {"inflow": f.inflow, "outflow": f.outflow, "unclassified": f.unclassified}, f.time)
            for f in flows]


def flows_from_rows(rows: Iterable[Mapping[str, Any]]) -> list[Flow]:
    return [Flow(common.record_time(row), str(row.get("instrument", "")), str(row.get("index", "")),
                 finite(row.get("inflow")) or 0.0, finite(row.get("outflow")) or 0.0,
                 finite(row.get("unclassified")) or 0.0, str(row.get("source", ""))) for row in rows]


def flows_table(buckets: Iterable[FlowBucket], timeframe: str, panels: Iterable[str] = ("buying", "selling", "net"),
                title: str | None = None) -> Table:
    """One row per group for the buckets given (normally the current bucket of one timeframe)."""
    panels = [panel for panel in PANELS if panel in set(panels)]
    buckets = [bucket for bucket in buckets if bucket.timeframe == timeframe]
    values = {"buying": lambda b: fmt_rupees_as_crore(b.inflow), "selling": lambda b: fmt_rupees_as_crore(b.outflow),
              "net": lambda b: fmt_rupees_as_crore(b.net, signed=True)}
    rows = tuple((b.group, common.fmt_time(b.start), *(values[panel](b) for panel in panels),
                  fmt_pct(b.pressure_pct, 0, signed=True), fmt_rupees_as_crore(b.unclassified)) for b in buckets)
    sources = sorted({bucket.source for bucket in buckets})
    return Table(title or f"Estimated cash flow, {timeframe}",
                 ("Group", "From", *(PANELS[panel] for panel in panels), "Pressure", "Unclassified (₹ cr)"), rows,
                 "Estimate from traded value by the tick rule (see docs) · source: " + (", ".join(sources) or "none"))


def _plus(a: FlowBucket, b: FlowBucket) -> FlowBucket:
    sources = (a.source if a.source == b.source  # the common case: one source all day
               else "+".join(sorted(set(a.source.split("+")) | set(b.source.split("+")))))
    return FlowBucket(a.timeframe, a.start, a.group, a.inflow + b.inflow, a.outflow + b.outflow,
                      a.unclassified + b.unclassified, a.flows + b.flows, sources)


def summary_points(buckets: Iterable[FlowBucket], by: str) -> list:
    """The rollup rows of running buckets: one row per (timeframe, grouping, group) at the bucket start, rewritten
    every cycle (same tags and time), so its last value is the bucket's total."""
    return [common.make_point(SUMMARY_MEASUREMENT, {"timeframe": b.timeframe, "by": by, "group": b.group,
                                                    "source": b.source},
                              {"inflow": b.inflow, "outflow": b.outflow, "unclassified": b.unclassified,
                               "flows": int(b.flows)}, b.start) for b in buckets]


def buckets_from_summary(rows: Iterable[Mapping[str, Any]]) -> list[tuple[str, FlowBucket]]:
    """(grouping, bucket) of each rollup row."""
    return [(str(row["by"]), FlowBucket(str(row["timeframe"]), common.record_time(row), str(row["group"]),
                                        finite(row.get("inflow")) or 0.0, finite(row.get("outflow")) or 0.0,
                                        finite(row.get("unclassified")) or 0.0, int(finite(row.get("flows")) or 0),
                                        str(row.get("source") or ""))) for row in rows]


class CashFlowTracker:
    """Live flow estimation across collection cycles.

    Each cycle's flows are stored (measurement `cash_flow`) and added to running sums of the current bucket of every
    enabled timeframe and grouping, so a view or an alert never re-reads a week of flows. The running buckets of the
    all/index/sector groupings are written as the rollup `cash_flow_summary` every cycle (one row per bucket,
    rewritten), so after a start the sums are seeded from a few dozen rollup rows, not from a week of raw flows.
    Only when CASH_FLOW_RETENTION_DAYS cuts into a running bucket are that bucket's raw flows read (since the
    retention limit). Per-instrument sums are not rolled up: they start again after a restart."""

    def __init__(self, *, enabled: bool = True, timeframes: Iterable[str] = tuple(TIMEFRAMES),
                 panels: Iterable[str] = ("buying", "selling"), retention_days: int = 90, sector_analysis: bool = True,
                 store: Any = None):
        self.enabled, self.store = enabled, store
        self.timeframes = tuple(tf for tf in TIMEFRAMES if tf in set(timeframes))
        self.panels, self.retention = tuple(panels), timedelta(days=retention_days)
        self.sector_analysis = sector_analysis
        self.groupings = tuple(by for by in GROUPS if by != "sector" or sector_analysis)
        self._state: dict[str, _Last] = {}
        self._current: dict[tuple[str, str], dict[tuple[datetime, str], FlowBucket]] = {}
        self._seeded = False

    @classmethod
    def from_settings(cls, settings, store: Any = None) -> "CashFlowTracker":
        return cls(enabled=settings["ENABLE_CASH_FLOW_TRACKING"], timeframes=settings["CASH_FLOW_TIMEFRAMES"],
                   panels=settings["CASH_FLOW_PANELS"], retention_days=settings["CASH_FLOW_RETENTION_DAYS"],
                   sector_analysis=settings["CASH_FLOW_SECTOR_ANALYSIS"], store=store)

    def update(self, records: Iterable[Mapping[str, Any]]) -> list[Flow]:
        """Flows since the previous cycle: stored and added to the running sums."""
        if not self.enabled:
            return []
        records = list(records)
        if not self._seeded and records:
            self._seed(max(common.record_time(record) for record in records))
        flows = estimate_flows(records, self._state)
        self._add(flows)
        common.write_points(self.store, flow_points(flows) + self._summary_points(flows))
        return flows

    def _summary_points(self, flows: list[Flow]) -> list:
        """The rollup rows of the buckets these flows changed (nothing to rewrite when nothing flowed)."""
        if not flows:
            return []
        latest = max(flow.time for flow in flows)
        points = []
        for timeframe in self.timeframes:
            for by in self.groupings:
                if by in SUMMARY_GROUPS:
                    points += summary_points(self.summary(latest, timeframe, by), by)
        return points

    def _seed(self, now: datetime) -> None:
        self._seeded = True
        if self.store is None or not self.timeframes:
            return
        end = now - timedelta(microseconds=1)
        for timeframe in self.timeframes:
            start = bucket_start(now, timeframe)
            if start < now - self.retention:  # the retention cuts into the bucket: its raw flows since the limit
                self._add_to(timeframe, flows_from_rows(common.query(self.store, MEASUREMENT,
                                                                     start=now - self.retention, end=end)))
                continue
            rows = common.query(self.store, SUMMARY_MEASUREMENT, start=start, end=start,
                                tags={"timeframe": timeframe})
            for by, bucket in buckets_from_summary(rows):
                if by in self.groupings:
                    self._current.setdefault((timeframe, by), {})[(bucket.start, bucket.group)] = bucket

    def _add(self, flows: list[Flow]) -> None:
        if flows:  # summed per time and group once, then folded into every timeframe (not summed 7 times)
            partials = self._per_time(flows)
            for timeframe in self.timeframes:
                self._fold(timeframe, partials)

    def _add_to(self, timeframe: str, flows: list[Flow]) -> None:
        if flows:
            self._fold(timeframe, self._per_time(flows))

    def _per_time(self, flows: list[Flow]) -> dict[str, list[FlowBucket]]:
        return {by: _sum_flows(flows, by, "", lambda moment: moment) for by in self.groupings}

    def _fold(self, timeframe: str, partials: dict[str, list[FlowBucket]]) -> None:
        """Adds per-time partial sums to the running buckets of `timeframe`; older buckets are dropped."""
        starts: dict[datetime, datetime] = {}
        for parts in partials.values():
            for part in parts:
                if part.start not in starts:
                    starts[part.start] = bucket_start(part.start, timeframe)
        current = max(starts.values(), default=None)
        for by, parts in partials.items():
            sums = self._current.setdefault((timeframe, by), {})
            for part in parts:
                key = (starts[part.start], part.group)
                bucket = FlowBucket(timeframe, key[0], part.group, part.inflow, part.outflow, part.unclassified,
                                    part.flows, part.source)
                sums[key] = _plus(sums[key], bucket) if key in sums else bucket
            for key in [key for key in sums if key[0] < current]:
                del sums[key]  # only the running bucket is kept: memory stays flat

    def summary(self, now: datetime, timeframe: str, by: str = "index") -> list[FlowBucket]:
        """The running bucket of `timeframe` that contains `now`, per group."""
        if timeframe not in self.timeframes:
            raise ValueError(f"timeframe {timeframe} is switched off; enabled: {', '.join(self.timeframes)}")
        if by not in self.groupings:
            raise ValueError("sector analysis is off (CASH_FLOW_SECTOR_ANALYSIS=false)" if by == "sector"
                             else f"unknown grouping {by!r}; use one of {', '.join(self.groupings)}")
        current = bucket_start(now, timeframe)
        sums = self._current.get((timeframe, by), {})
        return [sums[key] for key in sorted(sums) if key[0] == current]

    def tables(self, now: datetime, timeframe: str | None = None) -> list[Table]:
        if not self.enabled or not self.timeframes:
            return []
        timeframe = timeframe or self.timeframes[0]
        groupings = ("index", "sector") if self.sector_analysis else ("index",)
        return [flows_table(self.summary(now, timeframe, by), timeframe, self.panels,
                            f"Estimated cash flow by {by}, {timeframe}") for by in groupings]
