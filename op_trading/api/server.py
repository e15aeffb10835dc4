"""Running the API: `ApiServer` (uvicorn on a thread of its own, its own event loop), `ApiFace` (the API as a face of
the running service: started and stopped with it, fed with each cycle's chain snapshot), and `serve_store` (the
`api` command: the API over the stored data alone, without collecting).

Binding: API_HOST (default 127.0.0.1) on API_PORT; any address beyond loopback needs API_TOKEN (refused otherwise).
uvicorn bounds concurrency and header sizes; the guard middleware bounds bodies, query strings and request rate.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

from op_trading.api.security import check_binding

log = logging.getLogger(__name__)
START_TIMEOUT = 20.0
MAX_CONNECTIONS = 200


class ApiServer:
    def __init__(self, settings, queries: Any = None, *, service: Any = None, host: str | None = None,
                 port: int | None = None, registry: Any = None, cache_prefix: str | None = None,
                 poll_seconds: float = 1.0, extra_metrics: Callable[[], str] | None = None) -> None:
        self.settings = settings
        self.host = host if host is not None else settings["API_HOST"]
        self.port = port if port is not None else settings["API_PORT"]
        check_binding(self.host, settings["API_TOKEN"])
        self._own_queries = queries is None
        self.queries = queries
        self.service, self.registry, self.poll_seconds = service, registry, poll_seconds
        self.cache_prefix, self.extra_metrics = cache_prefix, extra_metrics
        self._server = None
        self._thread: threading.Thread | None = None
        self.app = None

    @property
    def url(self) -> str:
        host = self.host if ":" not in self.host else f"[{self.host}]"
        return f"http://{host}:{self.port}"

    def start(self) -> "ApiServer":
        import uvicorn

        from op_trading.api.app import ApiContext, create_app
        from op_trading.api.cache import KEY_PREFIX
        from op_trading.queries.base import Queries

        if self.queries is None:
            self.queries = Queries.open(self.settings)
        ctx = ApiContext(self.settings, self.queries, self.registry, self.service, self.cache_prefix or KEY_PREFIX,
                         self.poll_seconds, self.extra_metrics)
        self.app = create_app(ctx)
        config = uvicorn.Config(self.app, host=self.host, port=self.port, log_level="warning", lifespan="on",
                                ws="websockets-sansio", limit_concurrency=MAX_CONNECTIONS, timeout_keep_alive=5,
                                h11_max_incomplete_event_size=16 * 1024, access_log=False, server_header=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="op-api", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise OSError(f"the API did not start on {self.host}:{self.port} (port in use? see the log)")
            time.sleep(0.05)
        if not self.port:
            self.port = self._server.servers[0].sockets[0].getsockname()[1]
        log.info("API and dashboard on %s", self.url)
        return self

    def stop(self, wait: float = 10.0) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(wait)
        if self._own_queries and self.queries is not None:
            self.queries.close()

    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()


class ApiFace:
    """The API inside the running service: `start(service)`, `on_cycle(report)` for each cycle, `stop()`."""

    def __init__(self, settings, **server_options: Any) -> None:
        from op_trading.queries.snapshots import MemoryChains

        self.settings, self.server_options = settings, server_options
        self.chains = MemoryChains()
        self.server: ApiServer | None = None

    def start(self, service: Any) -> None:
        from op_trading.queries.base import Queries
        from op_trading.queries.readers import persisted

        # stored snapshots when the store keeps them (then every process sees the same chains), else this run's
        queries = Queries.open(self.settings, None if persisted(self.settings) else self.chains)
        registry = getattr(service, "registry", None)  # the service's prometheus_client registry, when it has one
        legacy = getattr(service, "metrics", None)
        extra = legacy.render if registry is None and hasattr(legacy, "render") else None
        self.server = ApiServer(self.settings, queries, service=service, registry=registry, extra_metrics=extra,
                                **self.server_options)
        self.server._own_queries = True
        self.server.start()

    def on_cycle(self, report: Any) -> None:
        chain = getattr(report, "chain", None)
        if chain is not None:
            self.chains.add(chain)

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()

    @property
    def url(self) -> str | None:
        return self.server.url if self.server else None


def api_faces(settings) -> list:
    """The faces a deployed service runs: the API when API_PORT is not 0."""
    return [ApiFace(settings)] if settings["API_PORT"] else []


def serve_store(settings, announce: Callable[[str], None], stop: threading.Event | None = None):
    """The `api` command: serve the stored data until Ctrl-C (or `stop`); returns an Outcome."""
    from op_trading.api.security import ApiConfigError
    from op_trading.outcome import ExitCode, failed, ok

    if not settings["API_PORT"]:
        return failed("API_PORT is 0 (off): set a port, e.g. --set API_PORT=8080", exit_code=ExitCode.USAGE)
    try:
        server = ApiServer(settings).start()
    except ApiConfigError as error:
        return failed(str(error), exit_code=ExitCode.USAGE)
    except OSError as error:
        return failed(str(error))
    announce(f"API and dashboard on {server.url} (docs at {server.url}/docs); reading the store, not collecting. "
             "Ctrl-C stops.")
    stop = stop or threading.Event()
    try:
        while server.running() and not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        server.stop()
        return ok("API stopped (Ctrl-C)", exit_code=ExitCode.INTERRUPTED)
    server.stop()
    return ok("API stopped")
