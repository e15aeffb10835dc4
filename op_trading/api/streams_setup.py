"""The three WebSocket routes and what they stream, wired to the query layer; the hub's poller runs for the
application's lifetime (FastAPI lifespan)."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any

from fastapi import WebSocket
from fastapi.encoders import jsonable_encoder

from op_trading.api.streams import STREAMS, Hub

RECENT_ALERTS = 20
SEEN_KEPT = 2000


def _timeframe(ctx) -> str:
    from op_trading.analytics.cashflow import TIMEFRAMES

    enabled = [tf for tf in TIMEFRAMES if tf in set(ctx.settings["CASH_FLOW_TIMEFRAMES"])]
    return enabled[0] if enabled else "5m"


def _message(stream: str, kind: str, data: Any) -> dict:
    return {"stream": stream, "kind": kind, "data": jsonable_encoder(data)}


def snapshot(ctx, stream: str) -> dict:
    q = ctx.queries
    if stream == "cycles":
        return _message(stream, "snapshot", q.overview())
    if stream == "alerts":
        return _message(stream, "snapshot", q.alerts(RECENT_ALERTS, 24))
    return _message(stream, "snapshot", q.cash_flows(_timeframe(ctx), "index", 1))


def changes(ctx, state: dict) -> dict[str, list]:
    """What is new since the previous poll: a new cycle (overview + cash flows), new alerts."""
    q = ctx.queries
    found: dict[str, list] = {}
    _, as_of = q.newest()
    if as_of is not None and as_of != state.get("as_of"):
        first = "as_of" not in state
        state["as_of"] = as_of
        if not first:
            found["cycles"] = [_message("cycles", "update", q.overview())]
            found["cash-flows"] = [_message("cash-flows", "update", q.cash_flows(_timeframe(ctx), "index", 1))]
    recent = q.alerts_last_hour(100).items  # polled every second: a bounded window, not the day's history
    seen = state.setdefault("seen", set())
    new = [item for item in reversed(recent) if (item.time, item.type, item.subject) not in seen]
    if new and state.get("alerts_primed"):
        found["alerts"] = [_message("alerts", "alert", item) for item in new]
    seen.update((item.time, item.type, item.subject) for item in new)
    if len(seen) > SEEN_KEPT:
        state["seen"] = {(item.time, item.type, item.subject) for item in recent}
    state["alerts_primed"] = True
    return found


def lifespan(ctx):
    @asynccontextmanager
    async def run(app):
        hub = Hub(lambda stream: snapshot(ctx, stream), lambda state: changes(ctx, state), ctx.poll_seconds,
                  metrics=_ws_metrics(ctx))
        app.state.hub = hub
        hub.start()
        try:
            yield
        finally:
            await hub.stop()

    return run


def _ws_metrics(ctx):
    from prometheus_client import Counter, Gauge

    clients = Gauge("op_ws_clients", "WebSocket clients connected, per stream.", ("stream",), registry=ctx.registry)
    dropped = Counter("op_ws_dropped", "WebSocket clients dropped for not keeping up, per stream.", ("stream",),
                      registry=ctx.registry)

    def count(name: str, stream: str, amount: int) -> None:
        if name == "op_ws_clients":
            clients.labels(stream).inc(amount)
        else:
            dropped.labels(stream).inc(amount)

    return count


def routes(app, ctx) -> None:
    for stream in STREAMS:
        def make(name: str):
            async def endpoint(websocket: WebSocket):
                await websocket.app.state.hub.serve(name, websocket)

            return endpoint

        app.add_api_websocket_route(f"/ws/{stream}", make(stream))
