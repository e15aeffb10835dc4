"""Response models of the API: the query layer's dataclasses (FastAPI documents and validates dataclasses like
pydantic models, so the terminal and the API share one definition) plus the service's own answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from op_trading.queries.alerts import Alerts, Premarket  # noqa: F401 (re-exported as response models)
from op_trading.queries.chain import ChainView, OiChange  # noqa: F401
from op_trading.queries.flows import CashFlows  # noqa: F401
from op_trading.queries.market import MarketBreadth, PositionsMonitor, Volatility  # noqa: F401
from op_trading.queries.overview import Overview  # noqa: F401
from op_trading.queries.participants import Participants  # noqa: F401
from op_trading.queries.series import SeriesSet  # noqa: F401


@dataclass(frozen=True)
class HealthCheck:
    name: str
    status: str  # ok / warn / failed / skipped
    detail: str


@dataclass(frozen=True)
class Health:
    status: str  # ok / degraded
    service: str  # always "op-trading": the terminal recognises its own service by it
    version: str
    mode: str
    source: str
    as_of: datetime | None
    market_open: bool
    market_note: str
    uptime_seconds: float
    checks: list[HealthCheck] = field(default_factory=list)


@dataclass(frozen=True)
class ErrorItem:
    time: datetime | None
    kind: str
    message: str
    suggestion: str

    @classmethod
    def from_object(cls, item: Any) -> "ErrorItem":
        return cls(getattr(item, "time", None), str(getattr(item, "kind", getattr(item, "category", "error"))),
                   str(getattr(item, "message", item))[:300], str(getattr(item, "suggestion", "")))


@dataclass(frozen=True)
class Errors:
    source: str
    as_of: datetime | None
    registry: str
    items: list[ErrorItem] = field(default_factory=list)
