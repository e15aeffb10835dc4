"""Prometheus metrics of the running service, served as text on 127.0.0.1:METRICS_PORT/metrics (0 = off) and by the
API's /metrics (the same registry: `service.registry`).

The service owns one prometheus_client CollectorRegistry; `Metrics` is a small name-based front to it (`inc`, `set`,
`value`) so the service code reads as before and the Grafana test can list what is exported. prometheus_client is
imported here only, and this module only by the service (never at menu start-up). Names follow Prometheus conventions
(`_total` for counters, base units).
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler

from op_trading.quiet_http import QuietHTTPServer

# name, kind, help, label names
SERVICE_METRICS = (
    ("op_cycles_total", "counter", "Collection cycles completed.", ()),
    ("op_cycle_failures_total", "counter", "Collection cycles that failed.", ()),
    ("op_quote_calls_total", "counter", "Kite quote calls made by collection.", ()),
    ("op_rate_limited_total", "counter", "Kite 429 (rate limit) answers received by collection.", ()),
    ("op_points_written_total", "counter", "Points accepted by the sinks.", ()),
    ("op_points_spooled_total", "counter", "Points spooled because a sink was down.", ()),
    ("op_spool_backlog_points", "gauge", "Points waiting in the spool for a sink to come back.", ()),
    ("op_alerts_total", "counter", "Alerts raised.", ()),
    ("op_alerts_delivered_total", "counter", "Alert deliveries per channel and result (sent/failed).",
     ("channel", "result")),
    ("op_errors_total", "counter", "Errors met by the service, per class.", ("class",)),
    ("op_thread_restarts_total", "counter", "Service threads restarted after a crash, per component.",
     ("component",)),
    ("op_cycle_seconds", "gauge", "Wall time of the last cycle.", ()),
    ("op_last_cycle_timestamp_seconds", "gauge", "Unix time of the last completed cycle.", ()),
    ("op_last_cycle_age_seconds", "gauge", "Seconds (service clock) since the last completed cycle.", ()),
    ("op_kite_token_valid", "gauge", "1 when the Kite token is valid, else 0.", ()),
    ("op_kite_token_remaining_seconds", "gauge", "Seconds until the Kite token expires (0 when not valid).", ()),
    ("op_health_ok", "gauge", "1 when the last health check passed, else 0.", ()),
    ("op_component_status", "gauge", "Health per component: 0 OK, 1 WARN, 2 FAILED.", ("component",)),
    ("op_collection_state", "gauge", "1 for the service's current collection state.", ("state",)),
)
STATES = ("collecting", "market_closed", "waiting_for_login", "stopped")


class Metrics:
    """Counters and gauges by name in a prometheus_client registry (`registry`), rendered in the text format."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, disable_created_metrics

        disable_created_metrics()  # `_created` samples double every counter's lines and no dashboard reads them
        self.registry = CollectorRegistry()
        self._metrics: dict = {}
        self._lock = threading.Lock()

    def declare(self, name: str, kind: str, help_text: str, labels: tuple[str, ...] = ()) -> None:
        from prometheus_client import Counter, Gauge

        with self._lock:
            if name in self._metrics:
                return
            # prometheus_client adds `_total` to counters itself: declare counters by their base name
            base = name[:-len("_total")] if kind == "counter" and name.endswith("_total") else name
            maker = Counter if kind == "counter" else Gauge
            self._metrics[name] = maker(base, help_text, labels, registry=self.registry)

    def _child(self, name: str, labels: dict):
        metric = self._metrics.get(name)
        if metric is None:
            self.declare(name, "counter" if name.endswith("_total") else "gauge", name, tuple(sorted(labels)))
            metric = self._metrics[name]
        return metric.labels(**labels) if labels else metric

    def inc(self, name: str, amount: float = 1.0, **labels: str) -> None:
        if amount:
            self._child(name, labels).inc(amount)

    def set(self, name: str, value: float, **labels: str) -> None:
        self._child(name, labels).set(float(value))

    def value(self, name: str, **labels: str) -> float:
        sample = name if name.endswith("_total") or name not in self._metrics or \
            type(self._metrics[name]).__name__ != "Counter" else name + "_total"
        found = self.registry.get_sample_value(sample, labels or None)
        return float(found or 0.0)

    def render(self) -> str:
        from prometheus_client import generate_latest

        return generate_latest(self.registry).decode("utf-8")


def service_metrics() -> Metrics:
    metrics = Metrics()
    for name, kind, help_text, labels in SERVICE_METRICS:
        metrics.declare(name, kind, help_text, labels)
    for state in STATES:  # every state exported from the start, so a dashboard can show "0" before the first change
        metrics.set("op_collection_state", 0, state=state)
    return metrics


class _QuietMetricsServer(QuietHTTPServer):
    """Bounded, and a scraper that disconnects early is one debug line, not a traceback (see quiet_http)."""
    max_connections = 32
    label = "metrics server"


class MetricsServer:
    """Serves `metrics.render()` at /metrics on 127.0.0.1 from a daemon thread."""

    def __init__(self, metrics: Metrics, port: int, host: str = "127.0.0.1") -> None:
        registry = metrics

        class Handler(BaseHTTPRequestHandler):
            timeout = 30  # an idle scraper connection frees its slot

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                if self.path.split("?")[0] != "/metrics":
                    self.send_error(404)
                    return
                body = registry.render().encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:  # scrapes are not worth a log line each
                pass

        self._server = _QuietMetricsServer((host, port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="metrics", daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def start(self) -> "MetricsServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
