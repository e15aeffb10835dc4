"""The FastAPI application: routes over the query layer, cached per kind, guarded, documented at /docs offline.

`create_app(ApiContext(...))` builds it; `op_trading.api.server` runs it under uvicorn. Every JSON answer carries
`source` (live / mock) and `as_of`. Bad parameters get 422 with one line (`{"detail": "strikes: ..."}`), nothing
stored yet 404 with one line.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Optional

from fastapi import Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse

from op_trading import __version__
from op_trading.api import models
from op_trading.api.cache import KEY_PREFIX, ResponseCache, open_response_cache
from op_trading.queries.base import NotFound, Queries, QueryError

API = "/api/v1"


@dataclass
class ApiContext:
    settings: Any
    queries: Queries
    registry: Any = None  # prometheus_client registry (the service's when served inside it)
    service: Any = None  # the running Service, when the API is one of its faces
    cache_prefix: str = KEY_PREFIX
    poll_seconds: float = 1.0
    extra_metrics: Optional[Callable[[], str]] = None  # more Prometheus text (e.g. the service's own exporter)
    started: float = field(default_factory=time.time)


def create_app(ctx: ApiContext):
    from fastapi_offline import FastAPIOffline
    from prometheus_client import CollectorRegistry

    from op_trading.api import dashboard, streams_setup
    from op_trading.api.security import GuardMiddleware

    if ctx.registry is None:
        ctx.registry = CollectorRegistry()
    app = FastAPIOffline(title="OP Trading Platform API", version=__version__, static_url="/static/docs",
                         description="Index options analytics (NIFTY, SENSEX, BANKNIFTY, FINNIFTY, MIDCPNIFTY). "
                                     "Every answer carries `source` (live/mock) and `as_of` (IST).",
                         lifespan=streams_setup.lifespan(ctx))
    app.state.ctx = ctx
    app.state.cache = ResponseCache(open_response_cache(ctx.settings, ctx.cache_prefix), ctx.registry)
    _errors(app)
    _routes(app, ctx)
    streams_setup.routes(app, ctx)
    dashboard.routes(app)
    origins = list(ctx.settings["API_CORS_ORIGINS"] or [])
    if origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET"],
                           allow_headers=["Authorization", "X-API-Token"])
    # gzip answers over 1 kB (API JSON, app.js, plotly.min.js: 3.5 MB -> ~1 MB); added before the guard so a
    # refused request is refused before any compression work
    from starlette.middleware.gzip import GZipMiddleware

    app.add_middleware(GZipMiddleware, minimum_size=1000, compresslevel=6)
    app.add_middleware(GuardMiddleware, token=ctx.settings["API_TOKEN"],
                       rate_per_minute=ctx.settings["API_RATE_LIMIT_PER_MINUTE"])
    return app


def one_line(error: RequestValidationError) -> str:
    first = error.errors()[0] if error.errors() else {"loc": (), "msg": "invalid request"}
    where = ".".join(str(part) for part in first.get("loc", ()) if part not in ("query", "path", "body"))
    message = str(first.get("msg", "invalid value")).replace("\n", " ")
    return f"{where}: {message}" if where else message


def _errors(app) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError):
        return JSONResponse({"detail": one_line(error)}, status_code=422)

    @app.exception_handler(QueryError)
    async def bad_query(request: Request, error: QueryError):
        return JSONResponse({"detail": str(error).splitlines()[0]}, status_code=422)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, error: NotFound):
        return JSONResponse({"detail": str(error).splitlines()[0]}, status_code=404)


def cached(request: Request, kind: str, compute: Callable[[], Any]) -> JSONResponse:
    key = request.url.path + "?" + "&".join(sorted(f"{k}={v}" for k, v in request.query_params.items()
                                                      if k != "token"))
    content = request.app.state.cache.get_or_compute(kind, key, lambda: jsonable_encoder(compute()))
    return JSONResponse(content)


def _routes(app, ctx: ApiContext) -> None:
    q = ctx.queries
    Index = Query(..., description="NIFTY, SENSEX, BANKNIFTY, FINNIFTY or MIDCPNIFTY")

    @app.get("/health", response_model=models.Health, tags=["service"])
    def health():
        return health_answer(ctx)

    @app.get("/metrics", response_class=PlainTextResponse, tags=["service"])
    def metrics():
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        text = generate_latest(ctx.registry).decode()
        if ctx.extra_metrics is not None:
            text += ctx.extra_metrics()
        return PlainTextResponse(text, media_type=CONTENT_TYPE_LATEST)

    @app.get(f"{API}/overview", response_model=models.Overview, tags=["market"])
    def overview(request: Request):
        return cached(request, "overview", q.overview)

    @app.get(API + "/options/{index}", response_model=models.ChainView, tags=["options"])
    def options(request: Request, index: str, expiry: Optional[date] = None,
                strikes: Optional[int] = Query(None, ge=1, le=100, description="strikes each side of the ATM")):
        return cached(request, "chain", lambda: q.chain(index, expiry, strikes))

    @app.get(API + "/participants", response_model=models.Participants, tags=["participants"])
    def participants(request: Request, days: int = Query(20, ge=1, le=400)):
        return cached(request, "participants", lambda: q.participants(days))

    @app.get(API + "/analytics/cash-flows", response_model=models.CashFlows, tags=["analytics"])
    def cash_flows(request: Request, timeframe: str = Query("5m", pattern="^(1m|5m|15m|30m|1h|1d|1w)$"),
                   by: str = Query("index", pattern="^(all|index|sector|instrument)$"),
                   buckets: int = Query(12, ge=1, le=120)):
        return cached(request, "cash_flows", lambda: q.cash_flows(timeframe, by, buckets))

    @app.get(API + "/analytics/market-breadth", response_model=models.MarketBreadth, tags=["analytics"])
    def market_breadth(request: Request):
        return cached(request, "market_breadth", q.market_breadth)

    @app.get(API + "/analytics/volatility", response_model=models.Volatility, tags=["analytics"])
    def volatility(request: Request, index: Optional[str] = None):
        return cached(request, "volatility", lambda: q.volatility(index))

    @app.get(API + "/positions/monitor", response_model=models.PositionsMonitor, tags=["analytics"])
    def positions(request: Request):
        return cached(request, "positions", q.positions)

    @app.get(API + "/alerts", response_model=models.Alerts, tags=["alerts"])
    def alerts(request: Request, limit: int = Query(50, ge=1, le=500), hours: int = Query(24, ge=1, le=336)):
        return cached(request, "alerts", lambda: q.alerts(limit, hours))

    @app.get(API + "/errors", response_model=models.Errors, tags=["service"])
    def errors(request: Request):
        return cached(request, "errors", lambda: errors_answer(ctx))

    @app.get(API + "/premarket", response_model=models.Premarket, tags=["market"])
    def premarket(request: Request):
        return cached(request, "premarket", q.premarket)

    @app.get(API + "/series/intraday", response_model=models.SeriesSet, tags=["series"])
    def intraday(request: Request, index: str = Index, bucket: Optional[str] = None,
                 fields: Optional[str] = Query(None, description="comma list, e.g. total_premium,premium_weekday_avg"),
                 day: Optional[date] = None):
        return cached(request, "series", lambda: q.intraday(index, bucket, _split(fields), day))

    @app.get(API + "/series/daily", response_model=models.SeriesSet, tags=["series"])
    def daily(request: Request, index: str = Index, bucket: Optional[str] = None, fields: Optional[str] = None,
              days: int = Query(20, ge=1, le=400)):
        return cached(request, "series", lambda: q.daily(index, bucket, _split(fields), days))

    @app.get(API + "/series/oi-change", response_model=models.OiChange, tags=["series"])
    def oi_change(request: Request, index: str = Index, expiry: Optional[date] = None,
                  window: int = Query(30, ge=1, le=1440, description="minutes")):
        return cached(request, "chain", lambda: q.oi_change(index, expiry, window))


def _split(fields: str | None) -> list[str] | None:
    return [name.strip() for name in fields.split(",") if name.strip()] if fields else None


def health_answer(ctx: ApiContext) -> models.Health:
    source, as_of = ctx.queries.newest()
    market_open, note = ctx.queries.market_state(source, as_of)
    checks = [models.HealthCheck(check.name, check.status.value, check.detail)
              for check in getattr(ctx.service, "health", None) or ()]
    failing = any(check.status == "failed" for check in checks)
    service = "running" if ctx.service is not None else "api only (reading the store)"
    return models.Health("degraded" if failing else "ok", "op-trading", __version__, service, source, as_of,
                         market_open, note, round(time.time() - ctx.started, 1), checks)


def errors_answer(ctx: ApiContext) -> models.Errors:
    """The service's errors registry when it keeps one; else the failures among its recent events."""
    source, as_of = ctx.queries.newest()
    registry = getattr(ctx.service, "errors", None)
    if registry is not None and hasattr(registry, "recent"):
        items = [models.ErrorItem(**jsonable_encoder(item)) if isinstance(item, dict) else
                 models.ErrorItem.from_object(item) for item in registry.recent()]
        return models.Errors(source, as_of, "service errors registry", items)
    if ctx.service is None:
        return models.Errors(source, as_of, "none (the API runs without the service: nothing to report)", [])
    lines = [line for line in list(getattr(ctx.service, "recent", ())) if "fail" in line or "error" in line]
    return models.Errors(source, as_of, "service recent events",
                         [models.ErrorItem(None, "event", line[:300], "") for line in lines])
