"""Alerts: threshold rules over computed analytics, and an engine that de-duplicates, logs and stores them.

Rules (thresholds from settings; a threshold of 0 switches that rule off):
- ``fii_cash`` / ``dii_cash``: |net cash| ≥ FII_ALERT_THRESHOLD_CRORES / DII_ALERT_THRESHOLD_CRORES (₹ crore);
- ``pro_client_divergence``: |day change of (Pro − Client net index futures)| ≥ PRO_CLIENT_DIVERGENCE_CONTRACTS;
- ``volume_spike``: interval volume ≥ VOLUME_SPIKE_MULTIPLIER × its average (see `positions.unusual_activity`);
- ``oi_change``: |OI change| over the monitoring interval ≥ OI_CHANGE_ALERT_PERCENT (%);
- ``large_cash_flow``: |net estimated flow| in a timeframe bucket ≥ CASH_FLOW_ALERT_THRESHOLD_CRORES (₹ crore);
- ``iv_spike``: |ATM IV day change| ≥ IV_SPIKE_ALERT_POINTS (vol points).
Severity: "critical" at twice the threshold or more, else "warning".

Engine (ALERTS_ENABLED, ALERT_COOLDOWN_MINUTES): an alert is identified by type + subject (e.g. ``iv_spike`` +
``NIFTY this_week``). Once raised, the same identity is not raised again until the cool-down has passed, measured on
the data's own timestamps (so replays and the fast simulator clock behave like the live market). The last raised
times are seeded from the store on first use, so a restart does not repeat alerts. Every raised alert goes to the
log (WARNING or CRITICAL), to the store (measurement ``alerts``) and to `recent` for the console view.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Iterable, Mapping

from op_trading.analytics import common
from op_trading.analytics.common import fmt_contracts, fmt_crore, fmt_number, fmt_pct
from op_trading.outcome import Table

log = logging.getLogger(__name__)
MEASUREMENT = "alerts"


class Severity(str, Enum):
    WARNING = "warning"
    CRITICAL = "critical"


@dataclass(frozen=True)
class Alert:
    type: str
    subject: str
    severity: Severity
    message: str
    time: datetime
    source: str
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.type}:{self.subject}"


def _severity(value: float, threshold: float) -> Severity:
    return Severity.CRITICAL if abs(value) >= 2 * threshold else Severity.WARNING


def _crossed(value: float | None, threshold: float) -> bool:
    return threshold > 0 and value is not None and abs(value) >= threshold


@dataclass(frozen=True)
class AlertRules:
    fii_crore: float = 500.0
    dii_crore: float = 300.0
    divergence_contracts: float = 20000
    volume_spike_multiplier: float = 3.0
    oi_change_pct: float = 10.0
    cash_flow_crore: float = 100.0
    iv_spike_points: float = 3.0

    @classmethod
    def from_settings(cls, settings) -> "AlertRules":
        return cls(settings["FII_ALERT_THRESHOLD_CRORES"], settings["DII_ALERT_THRESHOLD_CRORES"],
                   settings["PRO_CLIENT_DIVERGENCE_CONTRACTS"], settings["VOLUME_SPIKE_MULTIPLIER"],
                   settings["OI_CHANGE_ALERT_PERCENT"], settings["CASH_FLOW_ALERT_THRESHOLD_CRORES"],
                   settings["IV_SPIKE_ALERT_POINTS"])

    def cash(self, report, categories: Iterable[str] = ("FII", "DII")) -> list[Alert]:
        """FII/DII provisional cash nets (a `participants.CashReport`)."""
        alerts = []
        for name, row in sorted(report.rows.items()):
            threshold = self.fii_crore if name == "FII" else self.dii_crore
            if name in set(categories) and _crossed(row.net, threshold):
                verb = "bought" if row.net > 0 else "sold"
                alerts.append(Alert(
                    f"{name.lower()}_cash", name, _severity(row.net, threshold),
                    f"{name} net {verb} ₹{fmt_crore(abs(row.net))} cr in cash on {row.day:%d-%b-%Y} "
                    f"(threshold ₹{fmt_crore(threshold)} cr)", common.session_close(row.day), row.source,
                    {"net_crore": row.net, "buy_crore": row.buy, "sell_crore": row.sell, "threshold": threshold}))
        return alerts

    def divergence(self, divergence) -> list[Alert]:
        """Pro vs Client net index futures moving apart (a `participants.Divergence`)."""
        if not _crossed(divergence.gap_change, self.divergence_contracts):
            return []
        return [Alert(
            "pro_client_divergence", "Pro-Client", _severity(divergence.gap_change, self.divergence_contracts),
            f"Pro and Client index futures moved {fmt_contracts(abs(divergence.gap_change))} contracts "
            f"{'apart' if divergence.gap_change * divergence.gap > 0 else 'together'} on {divergence.day:%d-%b-%Y} "
            f"(Pro {fmt_contracts(divergence.pro_change, signed=True)}, "
            f"Client {fmt_contracts(divergence.client_change, signed=True)})",
            common.session_close(divergence.day), divergence.source,
            {"gap": divergence.gap, "gap_change": divergence.gap_change, "pro_change": divergence.pro_change,
             "client_change": divergence.client_change, "threshold": float(self.divergence_contracts)})]

    def iv_spike(self, metrics: Iterable[Any]) -> list[Alert]:
        """ATM IV day change of `chain.ChainMetrics`, compared in vol points."""
        alerts = []
        for m in metrics:
            points = None if m.iv_day_change is None else m.iv_day_change * 100
            if _crossed(points, self.iv_spike_points):
                subject = f"{m.index} {m.bucket or m.expiry}"
                alerts.append(Alert(
                    "iv_spike", subject, _severity(points, self.iv_spike_points),
                    f"{subject} ATM IV {fmt_number(points, 2, signed=True)} vol points since the open "
                    f"(now {fmt_number(m.atm_iv * 100)})", m.as_of, m.source,
                    {"iv_change_points": points, "atm_iv": m.atm_iv, "threshold": self.iv_spike_points}))
        return alerts

    def unusual(self, items: Iterable[Any]) -> list[Alert]:
        """`positions.Unusual` items: volume spikes against the multiplier, OI spikes against the OI %."""
        alerts = []
        for item in items:
            if item.kind == "volume_spike" and self.volume_spike_multiplier > 0 \
                    and item.ratio >= self.volume_spike_multiplier:
                severity = _severity(item.ratio, self.volume_spike_multiplier)
                text = (f"{item.instrument} volume {fmt_contracts(item.value)} in {item.interval}, "
                        f"{fmt_number(item.ratio, 1)}× its average {fmt_contracts(item.baseline)}")
            elif item.kind == "oi_spike" and _crossed(item.value, self.oi_change_pct):
                severity = _severity(item.value, self.oi_change_pct)
                text = f"{item.instrument} OI {fmt_pct(item.value, 1, signed=True)} in {item.interval}"
            else:
                continue
            alerts.append(Alert("volume_spike" if item.kind == "volume_spike" else "oi_change", item.instrument,
                                severity, text, item.time, item.source,
                                {"value": item.value, "baseline": item.baseline, "ratio": item.ratio}))
        return alerts

    def cash_flow(self, buckets: Iterable[Any]) -> list[Alert]:
        """`cashflow.FlowBucket`s whose net estimated flow is large."""
        alerts = []
        for bucket in buckets:
            net_crore = bucket.net / common.CRORE
            if _crossed(net_crore, self.cash_flow_crore):
                subject = f"{bucket.group} {bucket.timeframe}"
                alerts.append(Alert(
                    "large_cash_flow", subject, _severity(net_crore, self.cash_flow_crore),
                    f"{bucket.group}: estimated net {'inflow' if net_crore > 0 else 'outflow'} "
                    f"₹{fmt_crore(abs(net_crore))} cr in the {bucket.timeframe} from {common.fmt_time(bucket.start)}",
                    bucket.end, bucket.source,
                    {"net_crore": net_crore, "inflow_crore": bucket.inflow / common.CRORE,
                     "outflow_crore": bucket.outflow / common.CRORE, "threshold": self.cash_flow_crore}))
        return alerts


class AlertEngine:
    def __init__(self, rules: AlertRules | None = None, *, enabled: bool = True, cooldown_minutes: float = 15,
                 store: Any = None, keep: int = 200):
        self.rules, self.enabled, self.store = rules or AlertRules(), enabled, store
        self.cooldown = timedelta(minutes=cooldown_minutes)
        self.recent: deque[Alert] = deque(maxlen=keep)
        self._last: dict[str, datetime] = {}
        self._seeded = False

    @classmethod
    def from_settings(cls, settings, store: Any = None) -> "AlertEngine":
        return cls(AlertRules.from_settings(settings), enabled=settings["ALERTS_ENABLED"],
                   cooldown_minutes=settings["ALERT_COOLDOWN_MINUTES"], store=store)

    def _seed(self, since: datetime) -> None:
        """Last raised times from the store, so a restart inside a cool-down stays quiet."""
        self._seeded = True
        for row in common.query(self.store, MEASUREMENT, start=since - self.cooldown):
            key, moment = f"{row.get('type')}:{row.get('subject')}", common.record_time(row)
            self._last[key] = max(moment, self._last.get(key, moment))

    def _cooling(self, alert: Alert) -> bool:
        last = self._last.get(alert.key)
        return last is not None and (alert.time <= last or alert.time - last < self.cooldown)

    def submit(self, candidates: Iterable[Alert]) -> list[Alert]:
        """Raise the candidates that are not cooling down; returns the ones raised."""
        candidates = sorted(candidates, key=lambda alert: alert.time)
        if not self.enabled or not candidates:
            return []
        if not self._seeded and self.store is not None:
            self._seed(candidates[0].time)
        raised = []
        for alert in candidates:
            if self._cooling(alert):
                continue
            self._last[alert.key] = alert.time
            raised.append(alert)
            self.recent.append(alert)
            log.log(logging.CRITICAL if alert.severity is Severity.CRITICAL else logging.WARNING,
                    "alert %s [%s] %s (source %s)", alert.type, alert.severity.value, alert.message, alert.source)
        common.write_points(self.store, [alert_point(alert) for alert in raised])
        return raised


def alert_point(alert: Alert):
    numbers = {name: value for name, value in alert.data.items() if common.finite(value) is not None}
    return common.make_point(MEASUREMENT, {"type": alert.type, "subject": alert.subject,
                                           "severity": alert.severity.value, "source": alert.source},
                             {"message": alert.message, **numbers}, alert.time)


def alerts_table(alerts: Iterable[Alert], title: str = "Alerts") -> Table:
    alerts = sorted(alerts, key=lambda alert: alert.time, reverse=True)
    rows = tuple((common.fmt_time(a.time), a.severity.value.upper(), a.type, a.subject, a.message, a.source)
                 for a in alerts)
    return Table(title, ("Time", "Severity", "Type", "Subject", "Message", "Source"), rows,
                 "Newest first" if rows else "No alerts")
