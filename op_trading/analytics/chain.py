"""Option-chain metrics for one index and one expiry, as pure functions over a list of option records.

An option record is a dict with ``strike``, ``side`` ("CALL"/"PUT"; "CE"/"PE" accepted), ``expiry``, ``oi``,
``volume``, ``last_price``, ``iv`` (a decimal, 0.15 = 15 vol points; None/NaN when unknown), ``oi_open`` (OI at the
day's first sight) and optionally ``day_change_percent`` / ``ohlc.open``. Collector leg records and full-chain
snapshots both fit. Missing inputs give None, never a made-up number.

Methods
- PCR (OI) = Σ put OI / Σ call OI over the records given; PCR (volume) the same with traded volume. None when the
  call side sums to 0.
- Max pain = the listed strike K minimising Σ_i callOI_i·max(0, K − K_i) + putOI_i·max(0, K_i − K) (intrinsic
  payout to holders at expiry). OI in contracts; the argmin does not depend on the lot size. One expiry at a time.
  Ties go to the lower strike. None when there is no OI at all.
- ATM strike = the listed strike nearest the spot; an exact tie goes to the higher strike (round half up).
- ATM IV = mean of the call and put IV at the ATM strike (one side alone when the other is missing).
  IV day change = ATM IV now − ATM IV at the day's first computation, in vol points (current − open, the usual sign).
- IV skew = put IV at ATM − d minus call IV at ATM + d, averaged over the nearest `pairs` distances d at which both
  strikes are listed with an IV. Positive: downside puts are richer than upside calls (the usual index smile).
- IV percentile = share of past daily closing ATM IVs strictly below today's value (0–100).
  IV rank = (today − min) / (max − min) × 100 with min and max taken over that history and today's value (so a new
  high is 100, a new low 0). Both None without history (rank also when max = min). History = one value per IST day
  (the day's last), the current day excluded, from stored `chain_metrics` of the same index, bucket and source.
- OI change per strike = OI − day-open OI (positive when OI grew). Buildup, with thresholds from settings
  (BUILDUP_PRICE_THRESHOLD_PERCENT, BUILDUP_OI_THRESHOLD_PERCENT) applied to the % changes since the day open:
  price ↑ and OI ↑ = long buildup; price ↑ and OI ↓ = short covering; price ↓ and OI ↑ = short buildup;
  price ↓ and OI ↓ = long unwinding. A move counts only when it is non-zero and at least its threshold; anything
  else (including unknown inputs) is neutral. The five classes are exhaustive and exclusive.
- Total premium (straddle) = ATM call price + ATM put price (None when either is missing). It is compared with its
  average for the same weekday and time of day: for each earlier day with the same weekday, the stored value whose
  time of day is closest to now within ±`tolerance`, then the mean over those days (each day counts once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any, Iterable, Mapping

from op_trading.analytics import common
from op_trading.analytics.common import finite, fmt_contracts, fmt_number, fmt_pct, fmt_vol_points
from op_trading.outcome import Table

CALL, PUT = "CALL", "PUT"
_SIDES = {"CALL": CALL, "CE": CALL, "PUT": PUT, "PE": PUT}
MEASUREMENT = "chain_metrics"


def side_of(option: Mapping[str, Any]) -> str:
    side = _SIDES.get(str(option.get("side") or option.get("option_type") or "").upper())
    if side is None:
        raise ValueError(f"option record without a CALL/PUT side: strike {option.get('strike')!r}")
    return side


def listed_strikes(options: Iterable[Mapping[str, Any]]) -> list[float]:
    return sorted({strike for strike in (finite(option.get("strike")) for option in options) if strike is not None})


def _by_side_strike(options: Iterable[Mapping[str, Any]]) -> dict[tuple[str, float], Mapping[str, Any]]:
    return {(side_of(option), float(option["strike"])): option for option in options
            if finite(option.get("strike")) is not None}


def _side_sum(options: Iterable[Mapping[str, Any]], side: str, field: str) -> float:
    return sum(finite(option.get(field)) or 0.0 for option in options if side_of(option) == side)


def pcr(options: list[Mapping[str, Any]], by: str = "oi") -> float | None:
    """Put-call ratio by "oi" or "volume"; never negative, None when the call side is 0."""
    return common.ratio(_side_sum(options, PUT, by), _side_sum(options, CALL, by))


def _single_expiry(options: list[Mapping[str, Any]]) -> None:
    expiries = {str(option.get("expiry")) for option in options if option.get("expiry")}
    if len(expiries) > 1:
        raise ValueError(f"max pain is per expiry; got {len(expiries)} expiries ({', '.join(sorted(expiries))})")


def pain_by_strike(options: list[Mapping[str, Any]]) -> dict[float, float]:
    """Total intrinsic payout to option holders if the index settled at each listed strike.

    One pass over the sorted strikes with running sums (O(n), not O(n²)): calls below K pay K·ΣOI − Σ(OI·K_i),
    puts above K pay Σ(OI·K_i) − K·ΣOI."""
    _single_expiry(options)
    call_oi: dict[float, float] = {}
    put_oi: dict[float, float] = {}
    for option in options:
        strike, oi = finite(option.get("strike")), finite(option.get("oi")) or 0.0
        if strike is not None:
            book = call_oi if side_of(option) == CALL else put_oi
            book[strike] = book.get(strike, 0.0) + oi
    strikes = sorted(set(call_oi) | set(put_oi))
    calls_below = calls_value_below = 0.0
    puts_above = sum(put_oi.values())
    puts_value_above = sum(oi * k for k, oi in put_oi.items())
    pains = {}
    for settle in strikes:
        puts_above -= put_oi.get(settle, 0.0)  # a put at the settlement strike expires worthless
        puts_value_above -= put_oi.get(settle, 0.0) * settle
        pains[settle] = (settle * calls_below - calls_value_below) + (puts_value_above - settle * puts_above)
        calls_below += call_oi.get(settle, 0.0)
        calls_value_below += call_oi.get(settle, 0.0) * settle
    return pains


def max_pain(options: list[Mapping[str, Any]]) -> float | None:
    if not any((finite(option.get("oi")) or 0) > 0 for option in options):
        return None
    pains = pain_by_strike(options)
    return min(pains, key=lambda strike: (pains[strike], strike))


def atm_strike(strikes: Iterable[float], spot: float | None) -> float | None:
    strikes = sorted(strikes)
    if finite(spot) is None or not strikes:
        return None
    return min(strikes, key=lambda strike: (abs(strike - spot), -strike))


def _iv_at(book: Mapping[tuple[str, float], Mapping[str, Any]], side: str, strike: float) -> float | None:
    option = book.get((side, strike))
    return None if option is None else finite(option.get("iv"))


def atm_iv(options: list[Mapping[str, Any]], spot: float | None) -> float | None:
    atm = atm_strike(listed_strikes(options), spot)
    if atm is None:
        return None
    book = _by_side_strike(options)
    return common.mean([_iv_at(book, CALL, atm), _iv_at(book, PUT, atm)])


def iv_skew(options: list[Mapping[str, Any]], spot: float | None, pairs: int = 2) -> float | None:
    """Mean of put IV(ATM − d) − call IV(ATM + d) over the nearest `pairs` matched distances (decimal vol)."""
    strikes = listed_strikes(options)
    atm = atm_strike(strikes, spot)
    if atm is None:
        return None
    book = _by_side_strike(options)
    differences = []
    for call_strike in (strike for strike in strikes if strike > atm):
        put_iv, call_iv = _iv_at(book, PUT, 2 * atm - call_strike), _iv_at(book, CALL, call_strike)
        if put_iv is not None and call_iv is not None:
            differences.append(put_iv - call_iv)
        if len(differences) == pairs:
            break
    return common.mean(differences)


def iv_percentile(current: float | None, history: Iterable[float | None]) -> float | None:
    past = [value for value in (finite(item) for item in history) if value is not None]
    if finite(current) is None or not past:
        return None
    return 100.0 * sum(1 for value in past if value < current) / len(past)


def iv_rank(current: float | None, history: Iterable[float | None]) -> float | None:
    past = [value for value in (finite(item) for item in history) if value is not None]
    if finite(current) is None or not past:
        return None
    low, high = min(past + [current]), max(past + [current])  # today's value is part of the range: 0..100
    return None if high == low else min(100.0, max(0.0, 100.0 * (current - low) / (high - low)))


def daily_closes(rows: Iterable[Mapping[str, Any]], field: str, before: date | None = None) -> list[float]:
    """The last finite value of `field` per IST day, oldest first, days before `before` only."""
    last: dict[date, tuple[datetime, float]] = {}
    for row in rows:
        value, moment = finite(row.get(field)), common.record_time(row)
        if value is None or (before is not None and moment.date() >= before):
            continue
        if moment.date() not in last or moment >= last[moment.date()][0]:
            last[moment.date()] = (moment, value)
    return [last[day][1] for day in sorted(last)]


class Buildup(str, Enum):
    LONG_BUILDUP = "long buildup"
    SHORT_COVERING = "short covering"
    SHORT_BUILDUP = "short buildup"
    LONG_UNWINDING = "long unwinding"
    NEUTRAL = "neutral"


def _direction(change: float | None, threshold: float) -> int:
    if change is None or change == 0 or abs(change) < threshold:
        return 0
    return 1 if change > 0 else -1


def classify_buildup(price_change_pct: float | None, oi_change_pct: float | None, price_threshold_pct: float,
                     oi_threshold_pct: float) -> Buildup:
    price = _direction(finite(price_change_pct), price_threshold_pct)
    oi = _direction(finite(oi_change_pct), oi_threshold_pct)
    return {(1, 1): Buildup.LONG_BUILDUP, (1, -1): Buildup.SHORT_COVERING, (-1, 1): Buildup.SHORT_BUILDUP,
            (-1, -1): Buildup.LONG_UNWINDING}.get((price, oi), Buildup.NEUTRAL)


def price_change_pct(option: Mapping[str, Any]) -> float | None:
    """% change of the option price since the day open (the collector's day_change_percent when present)."""
    given = finite(option.get("day_change_percent"))
    if given is not None:
        return given
    opened = option.get("ohlc.open", (option.get("ohlc") or {}).get("open"))
    return pct_change(finite(option.get("last_price")), finite(opened))


def pct_change(now: float | None, then: float | None) -> float | None:
    change = common.ratio(None if now is None or then is None else now - then, then)
    return None if change is None else 100.0 * change


@dataclass(frozen=True)
class StrikeChange:
    strike: float
    side: str
    expiry: str
    oi: float | None
    oi_open: float | None
    oi_change: float | None
    oi_change_pct: float | None
    price_change_pct: float | None
    buildup: Buildup
    source: str = "unknown"
    as_of: datetime | None = None


def strike_changes(options: list[Mapping[str, Any]], price_threshold_pct: float,
                   oi_threshold_pct: float) -> list[StrikeChange]:
    changes = []
    for option in options:
        oi, oi_open = finite(option.get("oi")), finite(option.get("oi_open"))
        oi_pct, price_pct = pct_change(oi, oi_open), price_change_pct(option)
        changes.append(StrikeChange(
            float(option["strike"]), side_of(option), str(option.get("expiry") or ""), oi, oi_open,
            None if oi is None or oi_open is None else oi - oi_open, oi_pct, price_pct,
            classify_buildup(price_pct, oi_pct, price_threshold_pct, oi_threshold_pct),
            str(option.get("source") or "unknown"),
            common.record_time(option) if option.get("time") or option.get("timestamp") else None))
    return sorted(changes, key=lambda change: (change.strike, change.side))


def total_premium(options: list[Mapping[str, Any]], spot: float | None) -> float | None:
    atm = atm_strike(listed_strikes(options), spot)
    if atm is None:
        return None
    book = _by_side_strike(options)
    prices = [finite((book.get((side, atm)) or {}).get("last_price")) for side in (CALL, PUT)]
    return None if None in prices else sum(prices)


def weekday_average(history: Iterable[Mapping[str, Any]], at: datetime, field: str = "total_premium",
                    tolerance: timedelta = timedelta(minutes=5)) -> tuple[float | None, int]:
    """Mean over earlier same-weekday days of the value nearest `at`'s time of day; returns (mean, days used)."""
    at = common.as_ist(at)
    target = at.hour * 3600 + at.minute * 60 + at.second
    best: dict[date, tuple[float, float]] = {}
    for row in history:
        moment, value = common.record_time(row), finite(row.get(field))
        if value is None or moment.weekday() != at.weekday() or moment.date() >= at.date():
            continue
        distance = abs(moment.hour * 3600 + moment.minute * 60 + moment.second - target)
        if distance <= tolerance.total_seconds() and (moment.date() not in best or distance < best[moment.date()][0]):
            best[moment.date()] = (distance, value)
    values = [value for _, value in best.values()]
    return (sum(values) / len(values) if values else None), len(values)


@dataclass(frozen=True)
class ChainMetrics:
    index: str
    expiry: str
    bucket: str | None
    as_of: datetime
    source: str
    spot: float | None
    atm_strike: float | None
    pcr_oi: float | None
    pcr_volume: float | None
    max_pain: float | None
    atm_iv: float | None
    iv_open: float | None
    iv_day_change: float | None
    iv_skew: float | None
    iv_percentile: float | None
    iv_rank: float | None
    total_premium: float | None
    premium_weekday_avg: float | None
    premium_weekday_days: int
    options_used: int
    basis: str = "legs"  # which records: "legs" (the cycle's ATM ± offsets) or "chain" (a full chain snapshot)

    @property
    def premium_vs_avg_pct(self) -> float | None:
        return pct_change(self.total_premium, self.premium_weekday_avg)


def compute_chain_metrics(options: list[Mapping[str, Any]], spot: float | None, *, index: str, expiry: str,
                          as_of: datetime, source: str, bucket: str | None = None, iv_open: float | None = None,
                          iv_history: Iterable[float] = (), premium_history: Iterable[Mapping[str, Any]] = (),
                          premium_tolerance: timedelta = timedelta(minutes=5), basis: str = "legs") -> ChainMetrics:
    """All chain metrics for one index and expiry. `iv_open` None means "this is the day's first": change 0."""
    iv_now, premium = atm_iv(options, spot), total_premium(options, spot)
    iv_open = iv_now if iv_open is None else iv_open
    iv_history = list(iv_history)
    average, days = weekday_average(premium_history, as_of, tolerance=premium_tolerance)
    return ChainMetrics(
        index=index, expiry=expiry, bucket=bucket, as_of=common.as_ist(as_of), source=source, spot=finite(spot),
        atm_strike=atm_strike(listed_strikes(options), spot), pcr_oi=pcr(options, "oi"),
        pcr_volume=pcr(options, "volume"), max_pain=max_pain(options), atm_iv=iv_now, iv_open=finite(iv_open),
        iv_day_change=None if iv_now is None or finite(iv_open) is None else iv_now - iv_open,
        iv_skew=iv_skew(options, spot), iv_percentile=iv_percentile(iv_now, iv_history),
        iv_rank=iv_rank(iv_now, iv_history), total_premium=premium, premium_weekday_avg=average,
        premium_weekday_days=days, options_used=len(options), basis=basis)


def chain_points(metrics: ChainMetrics) -> list:
    fields = {name: getattr(metrics, name) for name in (
        "spot", "atm_strike", "pcr_oi", "pcr_volume", "max_pain", "atm_iv", "iv_open", "iv_day_change", "iv_skew",
        "iv_percentile", "iv_rank", "total_premium", "premium_weekday_avg")}
    fields["options_used"] = metrics.options_used
    fields["basis"] = metrics.basis
    tags = {"index": metrics.index, "bucket": metrics.bucket or metrics.expiry, "expiry": metrics.expiry,
            "source": metrics.source}
    return [common.make_point(MEASUREMENT, tags, fields, metrics.as_of)]


def _caption(items: Iterable[Any]) -> str:
    items = list(items)
    sources = sorted({item.source for item in items})
    latest = max((item.as_of for item in items if item.as_of is not None), default=None)
    return f"Source: {', '.join(sources) or 'none'} · data as of {common.fmt_time(latest)}"


def chain_table(metrics: Iterable[ChainMetrics]) -> Table:
    metrics = list(metrics)
    rows = tuple((
        m.index, m.bucket or m.expiry, fmt_number(m.spot), fmt_number(m.atm_strike, 0), fmt_number(m.pcr_oi),
        fmt_number(m.pcr_volume), fmt_number(m.max_pain, 0), fmt_vol_points(m.atm_iv),
        fmt_vol_points(m.iv_day_change, signed=True), fmt_vol_points(m.iv_skew, signed=True),
        fmt_pct(m.iv_percentile, 0), fmt_pct(m.iv_rank, 0), fmt_number(m.total_premium),
        fmt_pct(m.premium_vs_avg_pct, 1, signed=True) + (f" ({m.premium_weekday_days}d)" if m.premium_weekday_days
                                                          else "")) for m in metrics)
    columns = ("Index", "Expiry", "Spot", "ATM", "PCR OI", "PCR vol", "Max pain", "ATM IV", "IV chg", "Skew",
               "IVP", "IVR", "CE+PE", "vs weekday avg")
    bases = ", ".join(sorted({m.basis for m in metrics})) or "none"
    return Table("Option chain metrics", columns, rows, f"{_caption(metrics)} · from {bases} · IV in vol points")


def buildup_table(changes: Iterable[StrikeChange], title: str = "OI change and buildup by strike") -> Table:
    changes = list(changes)
    rows = tuple((fmt_number(c.strike, 0), c.side, fmt_contracts(c.oi), fmt_contracts(c.oi_change, signed=True),
                  fmt_pct(c.oi_change_pct, 1, signed=True), fmt_pct(c.price_change_pct, 1, signed=True),
                  c.buildup.value) for c in changes)
    return Table(title, ("Strike", "Side", "OI", "OI chg", "OI chg %", "Price chg %", "Buildup"), rows,
                 "Changes since the day open · " + _caption(changes))

