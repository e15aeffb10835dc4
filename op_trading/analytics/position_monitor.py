"""The position monitor's per-cycle state, kept per contract so that a cycle costs O(contracts), not O(window).

`ContractWindows` holds, per contract, the snapshots of the last two intervals (enough for "the latest snapshot
against the latest one at least one interval older"), the day's largest cumulative volume per interval bucket (what
`positions.interval_volumes` reads), and its latest snapshot. `PatternBase` holds the buildup-pattern counts of
the lookback days before today (computed once a day from the closing history) and each contract's previous close,
so a cycle only classifies today's latest snapshot against it.

The figures are those of the functions in `positions.py` over the raw window (position_changes, unusual_activity,
buildup_pattern): the same definitions, computed from smaller inputs.
"""

from __future__ import annotations

from collections import Counter, deque
from datetime import date, datetime, timedelta
from typing import Any, Iterable, Mapping

from op_trading.analytics import common
from op_trading.analytics.cashflow import bucket_start
from op_trading.analytics.common import finite


class _Contract:
    __slots__ = ("snapshots", "volumes", "latest", "latest_time")

    def __init__(self) -> None:
        self.snapshots: deque[tuple[datetime, Mapping[str, Any]]] = deque()
        self.volumes: dict[datetime, float] = {}  # bucket start -> the day's cumulative volume at its end
        self.latest: Mapping[str, Any] | None = None
        self.latest_time: datetime | None = None


class ContractWindows:
    def __init__(self, interval: str, step: timedelta, buckets: int) -> None:
        self.interval, self.step, self.buckets = interval, step, buckets
        self.contracts: dict[str, _Contract] = {}

    def add(self, records: Iterable[Mapping[str, Any]]) -> None:
        for record in sorted(records, key=common.record_time):
            moment = common.record_time(record)
            contract = self.contracts.setdefault(common.instrument_key(record), _Contract())
            if contract.latest_time is not None and moment < contract.latest_time:
                continue  # an older snapshot than we hold (a seed overlapping a cycle): nothing new
            contract.snapshots.append((moment, record))
            contract.latest, contract.latest_time = record, moment
            volume = finite(record.get("volume"))
            if volume is not None:
                start = bucket_start(moment, self.interval)
                contract.volumes[start] = max(volume, contract.volumes.get(start, 0.0))

    def trim(self, now: datetime) -> None:
        """Drop what no report reads any more: memory stays flat over a long run."""
        keep_from = now - 2 * self.step - timedelta(minutes=1)
        oldest_bucket = bucket_start(now, self.interval) - self.step * (self.buckets + 1)
        for key in list(self.contracts):
            contract = self.contracts[key]
            while contract.snapshots and contract.snapshots[0][0] < keep_from:
                contract.snapshots.popleft()
            for start in [start for start in contract.volumes if start < oldest_bucket]:
                del contract.volumes[start]
            if contract.latest_time is not None and contract.latest_time < oldest_bucket:
                del self.contracts[key]

    def recent(self) -> list[Mapping[str, Any]]:
        return [record for contract in self.contracts.values() for _, record in contract.snapshots]

    def pairs(self, now: datetime) -> list[tuple[str, Mapping[str, Any], Mapping[str, Any]]]:
        """(contract, baseline, latest) for contracts still collected: the latest snapshot within one interval of
        `now` against the latest one at or before (latest − interval)."""
        found = []
        for key in sorted(self.contracts):
            contract = self.contracts[key]
            if contract.latest_time is None or contract.latest_time > now or contract.latest_time < now - self.step:
                continue
            target, baseline = contract.latest_time - self.step, None
            for moment, record in contract.snapshots:
                if moment > target:
                    break
                baseline = record
            if baseline is not None:
                found.append((key, baseline, contract.latest))
        return found

    def volume_spikes(self, now: datetime, baseline_intervals: int,
                      min_baseline_intervals: int = 3) -> list[tuple[str, Mapping[str, Any], float, float]]:
        """(contract, latest snapshot, volume in the running interval, mean of earlier intervals) per contract whose
        running interval has a same-day baseline (the day's first bucket has no known start)."""
        current, found = bucket_start(now, self.interval), []
        for key in sorted(self.contracts):
            contract = self.contracts[key]
            if current not in contract.volumes or contract.latest_time > now:
                continue
            starts = sorted(start for start in contract.volumes if start.date() == now.date() and start <= current)
            volumes, previous = [], None
            for start in starts:
                if previous is not None and contract.volumes[start] >= previous:
                    volumes.append((start, contract.volumes[start] - previous))
                previous = contract.volumes[start]
            if len(volumes) > min_baseline_intervals and volumes[-1][0] == current:
                earlier = [value for _, value in volumes[-1 - baseline_intervals:-1]]
                found.append((key, contract.latest, volumes[-1][1], sum(earlier) / len(earlier)))
        return found


class PatternBase:
    """Buildup-pattern counts of the days before `today` and each contract's last close before today."""

    def __init__(self, today: date, closing: Iterable[Mapping[str, Any]], lookback_days: int, classify) -> None:
        self.today = today
        first = today - timedelta(days=lookback_days)
        closes: dict[str, dict[date, Mapping[str, Any]]] = {}
        for record in sorted(closing, key=common.record_time):
            day = common.record_time(record).date()
            if first <= day < today:
                closes.setdefault(common.instrument_key(record), {})[day] = record
        self.counts: dict[str, Counter] = {}
        self.previous: dict[str, Mapping[str, Any]] = {}
        for key, by_day in closes.items():
            days = sorted(by_day)
            for before, after in zip(days, days[1:]):
                change = classify(key, by_day[before], by_day[after])
                self.counts.setdefault(change.index, Counter())[change.buildup] += 1
            self.previous[key] = by_day[days[-1]]

    def with_today(self, latest: Iterable[tuple[str, Mapping[str, Any]]], classify) -> dict[str, Counter]:
        counts = {index: Counter(counter) for index, counter in self.counts.items()}
        for key, record in latest:
            before = self.previous.get(key)
            if before is not None and common.record_time(record).date() == self.today:
                change = classify(key, before, record)
                counts.setdefault(change.index, Counter())[change.buildup] += 1
        return counts
