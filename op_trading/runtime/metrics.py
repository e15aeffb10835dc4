"""Prometheus metrics of the running service, served as text on 127.0.0.1:METRICS_PORT/metrics (0 = off).

Counters and gauges live in one small registry that the service updates; the exporter is the stdlib HTTP server
so nothing heavy is needed. Names follow Prometheus conventions (`_total` for counters, base units).
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler

from op_trading.quiet_http import QuietHTTPServer


class Metrics:
    """Thread-safe counters and gauges, each with a help line, rendered in the Prometheus text format."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, float] = {}
        self._kinds: dict[str, tuple[str, str]] = {}

    def declare(self, name: str, kind: str, help_text: str) -> None:
        with self._lock:
            self._kinds[name] = (kind, help_text)
            self._values.setdefault(name, 0.0)

    def inc(self, name: str, amount: float = 1.0) -> None:
        with self._lock:
            self._values[name] = self._values.get(name, 0.0) + amount

    def set(self, name: str, value: float) -> None:
        with self._lock:
            self._values[name] = float(value)

    def value(self, name: str) -> float:
        with self._lock:
            return self._values.get(name, 0.0)

    def render(self) -> str:
        with self._lock:
            lines = []
            for name, value in sorted(self._values.items()):
                kind, help_text = self._kinds.get(name, ("gauge", ""))
                lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", f"{name} {value:g}"]
        return "\n".join(lines) + "\n"


def service_metrics() -> Metrics:
    metrics = Metrics()
    for name, kind, help_text in (
        ("op_cycles_total", "counter", "Collection cycles completed."),
        ("op_cycle_failures_total", "counter", "Collection cycles that failed."),
        ("op_quote_calls_total", "counter", "Kite quote calls made by collection."),
        ("op_points_written_total", "counter", "Points accepted by the sinks."),
        ("op_points_spooled_total", "counter", "Points spooled because a sink was down."),
        ("op_alerts_total", "counter", "Alerts raised."),
        ("op_cycle_seconds", "gauge", "Wall time of the last cycle."),
        ("op_last_cycle_timestamp_seconds", "gauge", "Unix time of the last completed cycle."),
        ("op_kite_token_valid", "gauge", "1 when the Kite token is valid, else 0."),
        ("op_health_ok", "gauge", "1 when the last health check passed, else 0."),
    ):
        metrics.declare(name, kind, help_text)
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
