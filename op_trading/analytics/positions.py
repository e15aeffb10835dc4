"""Open-interest position changes over the monitoring interval, net positions, unusual activity, buildup patterns.

Input: option snapshots over time (collector leg records or stored `atm_option_quote` rows), each with a time, the
contract (index, expiry, strike, side), ``oi``, cumulative day ``volume`` and ``last_price``.

- Position change (POSITION_MONITOR_INTERVAL, 1m–1h): per contract, the latest snapshot against the latest one at
  least one interval older: OI change (contracts and %), price change %, and the buildup class of
  `chain.classify_buildup` with the BUILDUP_* thresholds. Contracts without a snapshot that old are left out.
- Net positions (NET_POSITION_ENABLED), per index and expiry over the same interval: call OI, put OI, their changes,
  and net = put OI change − call OI change (positive: puts added faster than calls, which option-writer readings take
  as support below; negative: calls added faster).
- Unusual activity: a **volume spike** when the volume traded in the interval running now is at least
  VOLUME_SPIKE_MULTIPLIER × the mean of that contract's previous intervals of the same day (the last
  `baseline_intervals`, at least `min_baseline_intervals` of them; the first interval seen each day has no known
  start and is not used); an **OI spike** when |OI change %| over the interval ≥ OI_CHANGE_ALERT_PERCENT.
- Buildup pattern (POSITION_PATTERN_LOOKBACK_DAYS, 0 = off): per contract, the day's last snapshot against the
  previous day's, classified as above; the classes are counted per index over the lookback days. The days' last
  snapshots are kept as the rollup `position_close` (one row per contract and day, rewritten every cycle); a store
  from before that rollup is read as before (the last 10 minutes of each session).

`PositionMonitor` keeps the snapshots of the last (baseline_intervals + 2) intervals in memory as cycles arrive
(seeded once from the store after a start), and reads the lookback days' closing snapshots from the store once a
day (the last 10 minutes of each session), so no cycle scans weeks of stored rows.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Iterable, Mapping

from op_trading.analytics import common
from op_trading.analytics.cashflow import bucket_start
from op_trading.analytics.chain import Buildup, classify_buildup, pct_change, side_of
from op_trading.analytics.common import finite, fmt_contracts, fmt_number, fmt_pct
from op_trading.market import calendar
from op_trading.outcome import Table

INTERVALS = ("1m", "5m", "15m", "30m", "1h")
LEG_MEASUREMENT = "atm_option_quote"
CLOSE_MEASUREMENT = "position_close"  # rollup: each contract's last snapshot of the day (the pattern's input)
SNAPSHOT_FIELDS = ["leg_strike", "oi", "volume", "last_price"]  # the `strike` tag is the ATM strike; see schema


def _series(history: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    series: dict[str, list[Mapping[str, Any]]] = {}
    for record in history:
        series.setdefault(common.instrument_key(record), []).append(record)
    for records in series.values():
        records.sort(key=common.record_time)
    return series


def _at_or_before(records: list[Mapping[str, Any]], moment: datetime) -> Mapping[str, Any] | None:
    found = None
    for record in records:
        if common.record_time(record) > moment:
            break
        found = record
    return found


@dataclass(frozen=True)
class PositionChange:
    instrument: str
    index: str
    expiry: str
    side: str
    start: datetime
    end: datetime
    oi_start: float | None
    oi_end: float | None
    oi_change: float | None
    oi_change_pct: float | None
    price_change_pct: float | None
    buildup: Buildup
    source: str


def _change(key: str, then: Mapping[str, Any], now: Mapping[str, Any], price_pct_threshold: float,
            oi_pct_threshold: float) -> PositionChange:
    oi_start, oi_end = finite(then.get("oi")), finite(now.get("oi"))
    oi_pct = pct_change(oi_end, oi_start)
    price_pct = pct_change(finite(now.get("last_price")), finite(then.get("last_price")))
    return PositionChange(
        key, str(now.get("index", "")), str(now.get("expiry") or now.get("expiration") or ""), side_of(now),
        common.record_time(then), common.record_time(now), oi_start, oi_end,
        None if oi_start is None or oi_end is None else oi_end - oi_start, oi_pct, price_pct,
        classify_buildup(price_pct, oi_pct, price_pct_threshold, oi_pct_threshold),
        str(now.get("source") or "unknown"))


def position_changes(history: Iterable[Mapping[str, Any]], interval: str, now: datetime, *,
                     price_threshold_pct: float, oi_threshold_pct: float) -> list[PositionChange]:
    """Per contract still being collected (a snapshot within one interval of `now`), the change over one interval."""
    step, now = timedelta(seconds=_seconds(interval)), common.as_ist(now)
    changes = []
    for key, records in sorted(_series(history).items()):
        latest = _at_or_before(records, now)
        if latest is None or common.record_time(latest) < now - step:
            continue  # no longer collected (the ATM moved away): its last change is history, not news
        baseline = _at_or_before(records, common.record_time(latest) - step)
        if baseline is not None:
            changes.append(_change(key, baseline, latest, price_threshold_pct, oi_threshold_pct))
    return changes


def _seconds(interval: str) -> int:
    if interval not in INTERVALS:
        raise ValueError(f"unknown monitoring interval {interval!r}; use one of {', '.join(INTERVALS)}")
    return {"1m": 60, "5m": 300, "15m": 900, "30m": 1800, "1h": 3600}[interval]


@dataclass(frozen=True)
class NetPosition:
    index: str
    expiry: str
    call_oi: float
    put_oi: float
    call_oi_change: float
    put_oi_change: float
    end: datetime
    source: str

    @property
    def net_change(self) -> float:
        return self.put_oi_change - self.call_oi_change


def net_positions(changes: Iterable[PositionChange]) -> list[NetPosition]:
    groups: dict[tuple[str, str], list[PositionChange]] = {}
    for change in changes:
        if change.oi_end is not None and change.oi_change is not None:
            groups.setdefault((change.index, change.expiry), []).append(change)
    nets = []
    for (index, expiry), group in sorted(groups.items()):
        def total(side: str, attribute: str) -> float:
            return sum(getattr(change, attribute) for change in group if change.side == side)
        nets.append(NetPosition(index, expiry, total("CALL", "oi_end"), total("PUT", "oi_end"),
                                total("CALL", "oi_change"), total("PUT", "oi_change"),
                                max(change.end for change in group),
                                "+".join(sorted({change.source for change in group}))))
    return nets


@dataclass(frozen=True)
class Unusual:
    kind: str  # "volume_spike" or "oi_spike"
    instrument: str
    index: str
    time: datetime
    interval: str
    value: float  # volume in the interval, or OI change %
    baseline: float | None  # mean earlier interval volume, or OI at the interval start
    ratio: float  # value / baseline for volume; |OI change %| for OI
    source: str


def interval_volumes(records: list[Mapping[str, Any]], interval: str) -> list[tuple[datetime, float]]:
    """Volume traded per interval bucket from cumulative day volume; a day's first bucket has no known start."""
    last_in_bucket: dict[datetime, float] = {}
    for record in records:
        volume = finite(record.get("volume"))
        if volume is not None:
            start = bucket_start(common.record_time(record), interval)
            last_in_bucket[start] = max(volume, last_in_bucket.get(start, 0.0))
    volumes, previous = [], None
    for start in sorted(last_in_bucket):
        if previous is not None and previous[0].date() == start.date() and last_in_bucket[start] >= previous[1]:
            volumes.append((start, last_in_bucket[start] - previous[1]))
        previous = (start, last_in_bucket[start])
    return volumes


def unusual_activity(history: Iterable[Mapping[str, Any]], interval: str, now: datetime, *,
                     volume_multiplier: float, oi_change_pct: float, min_baseline_intervals: int = 3,
                     baseline_intervals: int = 12) -> list[Unusual]:
    now = common.as_ist(now)
    found = []
    for key, records in sorted(_series(history).items()):
        records = [record for record in records if common.record_time(record) <= now]
        volumes = [item for item in interval_volumes(records, interval) if item[0].date() == now.date()]
        current = bucket_start(now, interval)
        if len(volumes) > min_baseline_intervals and volumes[-1][0] == current:  # only the interval running now
            volume, earlier = volumes[-1][1], [value for _, value in volumes[-1 - baseline_intervals:-1]]
            baseline = sum(earlier) / len(earlier)
            if baseline > 0 and volume >= volume_multiplier * baseline:
                last = records[-1]
                found.append(Unusual("volume_spike", key, str(last.get("index", "")), common.record_time(last),
                                     interval, volume, baseline, volume / baseline, str(last.get("source") or
                                                                                          "unknown")))
    for change in position_changes(history, interval, now, price_threshold_pct=0, oi_threshold_pct=0):
        if oi_change_pct > 0 and change.oi_change_pct is not None and abs(change.oi_change_pct) >= oi_change_pct:
            found.append(Unusual("oi_spike", change.instrument, change.index, change.end, interval,
                                 change.oi_change_pct, change.oi_start, abs(change.oi_change_pct), change.source))
    return found


def buildup_pattern(history: Iterable[Mapping[str, Any]], lookback_days: int, today: date, *,
                    price_threshold_pct: float, oi_threshold_pct: float) -> dict[str, Counter]:
    """Per index, how many contract-days fell in each buildup class over the lookback (day close vs day close)."""
    if lookback_days <= 0:
        return {}
    first = today - timedelta(days=lookback_days)
    counts: dict[str, Counter] = {}
    for key, records in _series(history).items():
        closes: dict[date, Mapping[str, Any]] = {}
        for record in records:
            day = common.record_time(record).date()
            if first <= day <= today:
                closes[day] = record  # records are in time order: the last one per day wins
        days = sorted(closes)
        for before, after in zip(days, days[1:]):
            change = _change(key, closes[before], closes[after], price_threshold_pct, oi_threshold_pct)
            counts.setdefault(change.index, Counter())[change.buildup] += 1
    return counts


class PositionMonitor:
    def __init__(self, *, price_threshold_pct: float, oi_threshold_pct: float, enabled: bool = True,
                 interval: str = "5m", oi_change_alert_pct: float = 10.0, volume_multiplier: float = 3.0,
                 net_positions: bool = True, pattern_lookback_days: int = 20, store: Any = None,
                 leg_measurement: str = LEG_MEASUREMENT, baseline_intervals: int = 12):
        self.price_threshold_pct, self.oi_threshold_pct = price_threshold_pct, oi_threshold_pct
        self.enabled, self.interval, self.store, self.leg_measurement = enabled, interval, store, leg_measurement
        self.oi_change_alert_pct, self.volume_multiplier = oi_change_alert_pct, volume_multiplier
        self.net_positions, self.pattern_lookback_days = net_positions, pattern_lookback_days
        self.baseline_intervals = baseline_intervals
        self.window = timedelta(seconds=_seconds(interval) * (baseline_intervals + 2))
        self._recent: deque[Mapping[str, Any]] = deque()
        self._seeded = False
        self._closing: tuple[date, list[dict]] | None = None
        from op_trading.analytics.position_monitor import ContractWindows

        self._windows = ContractWindows(interval, timedelta(seconds=_seconds(interval)), baseline_intervals + 1)
        self._pattern_base: Any = None

    @classmethod
    def from_settings(cls, settings, store: Any = None) -> "PositionMonitor":
        return cls(price_threshold_pct=settings["BUILDUP_PRICE_THRESHOLD_PERCENT"],
                   oi_threshold_pct=settings["BUILDUP_OI_THRESHOLD_PERCENT"],
                   enabled=settings["ENABLE_POSITION_MONITORING"], interval=settings["POSITION_MONITOR_INTERVAL"],
                   oi_change_alert_pct=settings["OI_CHANGE_ALERT_PERCENT"],
                   volume_multiplier=settings["VOLUME_SPIKE_MULTIPLIER"],
                   net_positions=settings["NET_POSITION_ENABLED"],
                   pattern_lookback_days=settings["POSITION_PATTERN_LOOKBACK_DAYS"], store=store)

    def observe(self, records: Iterable[Mapping[str, Any]], now: datetime) -> None:
        """Add a cycle's snapshots to the rolling window (after seeding it from the store on first use)."""
        now = common.as_ist(now)
        if not self._seeded:
            self._seeded = True  # the cycle's own rows may already be stored: seed strictly before `now`
            seed = common.query(self.store, self.leg_measurement, start=now - self.window,
                                end=now - timedelta(microseconds=1), fields=SNAPSHOT_FIELDS)
            self._recent.extend(seed)
            self._windows.add(seed)
        records = list(records)
        self._recent.extend(records)
        self._windows.add(records)
        if self.pattern_lookback_days > 0 and records:
            common.write_points(self.store, close_points(records))
        self._windows.trim(now)
        while self._recent and common.record_time(self._recent[0]) < now - self.window:
            self._recent.popleft()

    def recent(self) -> list[Mapping[str, Any]]:
        return list(self._recent)

    def closing_history(self, now: datetime) -> list[dict]:
        """The closing snapshots of the lookback sessions before today, read from the store once a day."""
        today = common.as_ist(now).date()
        if self.pattern_lookback_days <= 0 or self.store is None:
            return []
        if self._closing is None or self._closing[0] != today:
            first, last = today - timedelta(days=self.pattern_lookback_days), today - timedelta(days=1)
            rows = common.query(self.store, CLOSE_MEASUREMENT, start=calendar.market_close_at(first),
                                end=calendar.market_close_at(last))
            if not rows:  # a store from before the rollup: the raw closing windows, once, then the rollup rows
                rows = common.closing_rows(self.store, self.leg_measurement, calendar.trading_days(first, last),
                                           fields=SNAPSHOT_FIELDS)
                common.write_points(self.store, close_points(_last_per_day(rows)))
            self._closing = (today, rows)
        return self._closing[1]

    def report(self, recent: list[Mapping[str, Any]], now: datetime,
               closing: list[Mapping[str, Any]] = ()) -> dict[str, Any]:
        """Changes, net positions, unusual activity and the buildup pattern (closing snapshots of earlier days plus
        today's latest); empty when monitoring is off."""
        if not self.enabled:
            return {}
        thresholds = {"price_threshold_pct": self.price_threshold_pct, "oi_threshold_pct": self.oi_threshold_pct}
        changes = position_changes(recent, self.interval, now, **thresholds)
        return {
            "changes": changes,
            "net": net_positions(changes) if self.net_positions else [],
            "unusual": unusual_activity(recent, self.interval, now, volume_multiplier=self.volume_multiplier,
                                        oi_change_pct=self.oi_change_alert_pct,
                                        baseline_intervals=self.baseline_intervals),
            "pattern": buildup_pattern(list(closing) + list(recent), self.pattern_lookback_days,
                                       common.as_ist(now).date(), **thresholds),
        }

    def live_report(self, now: datetime) -> dict[str, Any]:
        """`report(recent(), now, closing_history(now))` from the per-contract state `observe` keeps: the same
        figures at a cost that does not grow with the window (see op_trading/analytics/position_monitor.py)."""
        if not self.enabled:
            return {}
        now = common.as_ist(now)

        def classify(key: str, then: Mapping[str, Any], latest: Mapping[str, Any]) -> PositionChange:
            return _change(key, then, latest, self.price_threshold_pct, self.oi_threshold_pct)

        changes = [classify(key, then, latest) for key, then, latest in self._windows.pairs(now)]
        unusual = [Unusual("volume_spike", key, str(last.get("index", "")), common.record_time(last), self.interval,
                           volume, baseline, volume / baseline, str(last.get("source") or "unknown"))
                   for key, last, volume, baseline in self._windows.volume_spikes(now, self.baseline_intervals)
                   if baseline > 0 and volume >= self.volume_multiplier * baseline]
        unusual += [Unusual("oi_spike", c.instrument, c.index, c.end, self.interval, c.oi_change_pct, c.oi_start,
                            abs(c.oi_change_pct), c.source) for c in changes
                    if self.oi_change_alert_pct > 0 and c.oi_change_pct is not None
                    and abs(c.oi_change_pct) >= self.oi_change_alert_pct]
        pattern: dict[str, Counter] = {}
        if self.pattern_lookback_days > 0:
            base = self._pattern(now)
            pattern = base.with_today(((key, contract.latest) for key, contract in self._windows.contracts.items()
                                       if contract.latest is not None), classify)
        return {"changes": changes, "net": net_positions(changes) if self.net_positions else [],
                "unusual": unusual, "pattern": pattern}

    def _pattern(self, now: datetime):
        from op_trading.analytics.position_monitor import PatternBase

        today = now.date()
        if self._pattern_base is None or self._pattern_base.today != today:
            self._pattern_base = PatternBase(today, self.closing_history(now), self.pattern_lookback_days,
                                             lambda key, then, latest: _change(key, then, latest,
                                                                               self.price_threshold_pct,
                                                                               self.oi_threshold_pct))
        return self._pattern_base

    def tables(self, report: Mapping[str, Any]) -> list[Table]:
        if not report:
            return []
        tables = [positions_table(report["changes"], self.interval)]
        if self.net_positions:
            tables.append(net_positions_table(report["net"], self.interval))
        tables.append(unusual_table(report["unusual"]))
        if self.pattern_lookback_days:
            tables.append(pattern_table(report["pattern"], self.pattern_lookback_days))
        return tables


def _last_per_day(records: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Each contract's last record of each day."""
    last: dict[tuple[str, date], Mapping[str, Any]] = {}
    for record in sorted(records, key=common.record_time):
        last[(common.instrument_key(record), common.record_time(record).date())] = record
    return list(last.values())


def close_points(records: Iterable[Mapping[str, Any]]) -> list:
    """The day's row of each contract, stamped 15:30 IST and rewritten every cycle, so it holds the day's last
    snapshot (the close once the session ended)."""
    points = []
    for record in records:
        moment, strike = common.record_time(record), finite(record.get("strike"))
        close = calendar.market_close_at(moment.date())
        if strike is None:
            continue
        tags = {"index": record.get("index"), "expiration": record.get("expiry") or record.get("expiration"),
                "strike": f"{strike:g}", "option_type": {"CALL": "CE", "PUT": "PE"}.get(side_of(record), "")
                or None, "source": record.get("source")}
        points.append(common.make_point(CLOSE_MEASUREMENT, tags, {name: finite(record.get(name)) for name in
                                                                  ("oi", "volume", "last_price")}, close))
    return points


def _sources_caption(items: Iterable[Any]) -> str:
    return "source: " + (", ".join(sorted({item.source for item in items})) or "none")


def positions_table(changes: list[PositionChange], interval: str) -> Table:
    rows = tuple((c.instrument, fmt_contracts(c.oi_end), fmt_contracts(c.oi_change, signed=True),
                  fmt_pct(c.oi_change_pct, 1, signed=True), fmt_pct(c.price_change_pct, 1, signed=True),
                  c.buildup.value, common.fmt_time(c.end)) for c in changes)
    return Table(f"OI position changes over {interval}",
                 ("Contract", "OI", "OI chg", "OI chg %", "Price chg %", "Buildup", "As of"), rows,
                 _sources_caption(changes))


def net_positions_table(nets: list[NetPosition], interval: str) -> Table:
    rows = tuple((n.index, n.expiry, fmt_contracts(n.call_oi), fmt_contracts(n.put_oi),
                  fmt_contracts(n.call_oi_change, signed=True), fmt_contracts(n.put_oi_change, signed=True),
                  fmt_contracts(n.net_change, signed=True)) for n in nets)
    return Table(f"Net option positions, change over {interval}",
                 ("Index", "Expiry", "Call OI", "Put OI", "Call chg", "Put chg", "Net (put − call)"), rows,
                 _sources_caption(nets) + " · collected strikes only")


def unusual_table(items: list[Unusual]) -> Table:
    rows = tuple((u.instrument, "volume spike" if u.kind == "volume_spike" else "OI spike", u.interval,
                  fmt_contracts(u.value) if u.kind == "volume_spike" else fmt_pct(u.value, 1, signed=True),
                  fmt_contracts(u.baseline), fmt_number(u.ratio, 1) + ("×" if u.kind == "volume_spike" else "%"),
                  common.fmt_time(u.time)) for u in items)
    return Table("Unusual activity", ("Contract", "Kind", "Interval", "Value", "Baseline", "Ratio", "As of"), rows,
                 _sources_caption(items) if rows else "Nothing unusual")


def pattern_table(pattern: Mapping[str, Counter], lookback_days: int) -> Table:
    classes = list(Buildup)
    rows = tuple((index, *(str(counts.get(cls, 0)) for cls in classes),
                  counts.most_common(1)[0][0].value if counts else "n/a") for index, counts in sorted(pattern.items()))
    return Table(f"Buildup pattern, last {lookback_days} days (contract-days)",
                 ("Index", *(cls.value for cls in classes), "Most frequent"), rows,
                 "Day close against previous day close per contract")
