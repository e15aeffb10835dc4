"""Small rollups kept as data arrives, so that a restart (and every cycle) reads kilobytes, not raw history.

- `chain_premium_5m`: per index, expiry bucket and source, the mean total premium (straddle) of each 5-minute IST
  slot, rewritten every cycle while the slot runs. The **weekday premium average** at a moment is the mean, over
  the last `weeks` same weekdays that have data, of that weekday's mean for the slot containing the moment's time
  of day ("mean of same-weekday 5-minute slot means"). A restart re-reads only the running slot's few raw rows.
- `index_daily`: per index symbol and source, the day's last price stamped 15:30 IST (the close once the session
  ended), rewritten every cycle; VIX percentile and regime read the closes from it in one small query.
- `cash_flow_summary` lives with the cash-flow tracker (op_trading/analytics/cashflow.py), `chain_metrics_daily`
  (daily ATM IV closes and the day's `iv_open`) with the chain analyzer (op_trading/analytics/chain_history.py).

Each rollup is written through the same store as everything else (every configured sink), and its figures equal
the ones computed from raw history (tests/unit/test_analytics_rollups.py recomputes them from the raw rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Iterable, Mapping

from op_trading.analytics import common
from op_trading.market.calendar import IST, market_close_at

PREMIUM_MEASUREMENT = "chain_premium_5m"
INDEX_DAILY_MEASUREMENT = "index_daily"
SLOT = timedelta(minutes=5)


def slot_start(moment: datetime) -> datetime:
    moment = common.as_ist(moment)
    midnight = datetime.combine(moment.date(), time(0), IST)
    seconds = int((moment - midnight).total_seconds())
    return midnight + timedelta(seconds=seconds - seconds % int(SLOT.total_seconds()))


@dataclass
class _Slot:
    start: datetime
    total: float = 0.0
    samples: int = 0

    @property
    def mean(self) -> float | None:
        return self.total / self.samples if self.samples else None


class PremiumSlots:
    """The running 5-minute premium slot per series, and same-weekday slot means read once per series and day."""

    def __init__(self, store: Any, weeks: int = 8, raw_measurement: str = "chain_metrics") -> None:
        self.store, self.weeks, self.raw_measurement = store, weeks, raw_measurement
        self._running: dict[tuple, _Slot] = {}
        self._weekdays: dict[tuple, tuple[date, dict[datetime, list[float]]]] = {}

    def observe(self, tags: Mapping[str, str], moment: datetime, premium: float | None) -> list:
        """Add one cycle's total premium to its slot; returns the slot's rollup point (nothing without a premium)."""
        key, start = tuple(sorted(tags.items())), slot_start(moment)
        slot = self._running.get(key)
        if slot is None or slot.start != start:
            slot = self._running[key] = self._seed_slot(tags, start, moment)
        if common.finite(premium) is None:
            return []
        slot.total += float(premium)
        slot.samples += 1
        return [common.make_point(PREMIUM_MEASUREMENT, tags, {"premium_mean": slot.mean, "samples": slot.samples},
                                  start)]

    def _seed_slot(self, tags: Mapping[str, str], start: datetime, moment: datetime) -> _Slot:
        """A slot met for the first time: the raw rows already in it (a restart inside the slot), else empty."""
        slot = _Slot(start)
        rows = common.query(self.store, self.raw_measurement, start=start,
                            end=common.as_ist(moment) - timedelta(microseconds=1), tags=tags,
                            fields=["total_premium"])
        for row in rows:
            value = common.finite(row.get("total_premium"))
            if value is not None:
                slot.total += value
                slot.samples += 1
        return slot

    def weekday_average(self, tags: Mapping[str, str], moment: datetime) -> tuple[float | None, int]:
        """(mean of the same-weekday slot means, days used) for the slot containing `moment`."""
        moment = common.as_ist(moment)
        slots = self._weekday_slots(tags, moment.date())
        values = slots.get(slot_start(moment).time(), [])
        return (sum(values) / len(values) if values else None), len(values)

    def _weekday_slots(self, tags: Mapping[str, str], day: date) -> dict[Any, list[float]]:
        key = tuple(sorted(tags.items()))
        cached = self._weekdays.get(key)
        if cached is None or cached[0] != day:
            by_slot: dict[Any, list[float]] = {}
            for weeks in range(1, self.weeks + 1):
                then = datetime.combine(day - timedelta(weeks=weeks), time(0), IST)
                for row in common.query(self.store, PREMIUM_MEASUREMENT, start=then,
                                        end=then + timedelta(days=1) - timedelta(microseconds=1), tags=tags,
                                        fields=["premium_mean"]):
                    value = common.finite(row.get("premium_mean"))
                    if value is not None:
                        by_slot.setdefault(common.record_time(row).time(), []).append(value)
            cached = self._weekdays[key] = (day, by_slot)
        return cached[1]


def weekday_average_from_raw(rows: Iterable[Mapping[str, Any]], moment: datetime, weeks: int = 8,
                             field: str = "total_premium") -> tuple[float | None, int]:
    """The same figure from raw `chain_metrics` rows (for checks and one-off queries): per earlier same weekday
    within `weeks`, the mean of the rows in the slot of `moment`'s time of day; then the mean over those days."""
    moment = common.as_ist(moment)
    wanted = slot_start(moment).time()
    first = moment.date() - timedelta(weeks=weeks)
    per_day: dict[date, list[float]] = {}
    for row in rows:
        when, value = common.record_time(row), common.finite(row.get(field))
        if (value is not None and when.weekday() == moment.weekday() and first <= when.date() < moment.date()
                and slot_start(when).time() == wanted):
            per_day.setdefault(when.date(), []).append(value)
    means = [sum(values) / len(values) for values in per_day.values()]
    return (sum(means) / len(means) if means else None), len(means)


def index_daily_points(overviews: Iterable[Mapping[str, Any]]) -> list:
    """The day's row of each overview (its last price so far), stamped 15:30 IST of its day."""
    points = []
    for row in overviews:
        # collector records name the Kite symbol `symbol`; stored overview rows carry it as the `index` tag
        price, symbol = common.finite(row.get("last_price")), row.get("symbol") or row.get("index")
        if price is not None and symbol:
            moment = common.record_time(row)
            points.append(common.make_point(INDEX_DAILY_MEASUREMENT,
                                            {"index": symbol, "source": row.get("source") or "unknown"},
                                            {"close": price}, market_close_at(moment.date())))
    return points
