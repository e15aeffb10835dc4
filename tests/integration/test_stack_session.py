"""A simulated session with STORAGE_SINKS=embedded,influxdb against a real line-protocol server (VictoriaMetrics):
every measurement of the schema arrives, in its bucket, with as many points as the embedded store holds.

VictoriaMetrics has no buckets, so the InfluxDB sink writes through a small recording relay that notes the `bucket`
of every write and forwards the request unchanged; VictoriaMetrics stores field `f` of measurement `m` as metric
`m_f` with the tags as labels, so the distinct (labels, time) pairs of a measurement's metrics are its points.
"""

from __future__ import annotations

import importlib.util
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from op_trading.storage.schema import MEASUREMENTS, bucket_of
from tests.fixtures_session import RecordingStore, run_session
from tests.fixtures_storage import line_protocol_server  # noqa: F401 - pytest fixture

NOT_IN_THIS_SESSION = {"option_chain", "option_chain_snapshot"}  # stored by the collection session (see below)


class BucketRelay:
    """Forwards /api/v2/write to the server and counts lines per (bucket, measurement)."""

    def __init__(self, target: str):
        relay = self
        self.target, self.lines = target.rstrip("/"), defaultdict(int)
        self._lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
                with relay._lock:
                    for line in body.decode("utf-8").splitlines():
                        if line:
                            relay.lines[(query.get("bucket", ""), _measurement_of(line))] += 1
                request = urllib.request.Request(relay.target + self.path, data=body, method="POST",
                                                 headers={"Content-Type": self.headers.get("Content-Type", "")})
                try:
                    with urllib.request.urlopen(request, timeout=30) as answer:
                        status, reply = answer.status, answer.read()
                except urllib.error.HTTPError as error:
                    status, reply = error.code, error.read()
                self.send_response(status)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def buckets_of(self, measurement: str) -> set[str]:
        return {bucket for (bucket, name) in self.lines if name == measurement}

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _measurement_of(line: str) -> str:
    end = len(line)
    for separator in (",", " "):
        index = line.find(separator)
        if index != -1:
            end = min(end, index)
    return line[:end]


class FanOut:
    """Writes go to every sink; reads come from the embedded store (what the product's write path does)."""

    def __init__(self, sinks):
        self.sinks = sinks
        self.store = next(sink for sink in sinks if sink.name == "embedded")

    def write(self, points):
        results = [sink.write(points) for sink in self.sinks]
        assert all(result.delivered for result in results), results
        return results[0]

    def __getattr__(self, name):
        return getattr(self.store, name)


def export_all(server, match: str) -> list[dict]:
    """Every sample of the matching series, including those stamped ahead of the real clock: a fast simulator's
    cycles run minutes into the future, and VictoriaMetrics' export ends at "now" unless told otherwise."""
    import json

    server.force_flush()
    data = urllib.parse.urlencode({"match[]": match, "end": "2100-01-01T00:00:00Z"}).encode()
    with urllib.request.urlopen(f"{server.url}/api/v1/export", data=data, timeout=30) as response:
        return [json.loads(line) for line in response.read().decode().splitlines() if line.strip()]


def points_in_server(server, measurement: str) -> int:
    """Distinct (tags, time) of a measurement: the union over its declared fields' metrics."""
    keys = set()
    for field in MEASUREMENTS[measurement].field_types():
        for series in export_all(server, f'{{__name__="{measurement}_{field}"}}'):
            labels = tuple(sorted((k, v) for k, v in series["metric"].items() if k != "__name__"))
            keys.update((labels, stamp) for stamp in series["timestamps"])
    return len(keys)


@pytest.fixture
def relay(line_protocol_server):
    relay = BucketRelay(line_protocol_server.url)
    yield relay
    relay.stop()


def stack_settings(relay_url: str, **extra):
    from op_trading.config.settings import load_settings

    return load_settings("development", {"STORAGE_SINKS": "embedded,influxdb", "INFLUXDB_URL": relay_url,
                                         "INFLUXDB_TOKEN": "test-token", **extra})


def test_every_measurement_reaches_its_bucket_with_the_embedded_counts(relay, line_protocol_server, tmp_path):
    from op_trading.storage import open_sinks

    sinks = open_sinks(stack_settings(relay.url, DATA_DIR=str(tmp_path / "data")))
    fan_out = FanOut(sinks)
    session = run_session(tmp_path, RecordingStore(fan_out), cycles=3, indices=("NIFTY", "BANKNIFTY"))
    for sink in sinks:
        sink.flush()
    written = {point.measurement for point in session.points}
    expected = {name for name, spec in MEASUREMENTS.items() if not spec.embedded_only} - NOT_IN_THIS_SESSION
    assert written == expected
    counts = {}
    for name in sorted(written):
        assert relay.buckets_of(name) == {bucket_of(name)}, name
        counts[name] = (points_in_server(line_protocol_server, name), len(fan_out.store.query(name)))
    assert {name: server for name, (server, _) in counts.items()} == {name: store for name, (_, store) in
                                                                      counts.items()}
    assert all(server > 0 for server, _ in counts.values())
    for sink in sinks:
        sink.close()


def test_collect_with_live_analytics_writes_every_cycle_measurement_through_every_sink(relay, line_protocol_server,
                                                                                      project_home):
    from op_trading.runtime.collect import run_collection
    from op_trading.storage import open_store

    # cycles 1 s apart, three of them: the analytics worker coalesces a cycle that arrives before it took the
    # previous one (at 600x the next cycle came 50 ms later, and a loaded machine skipped the first: no flows)
    settings = stack_settings(relay.url, DATA_SOURCE_MODE="mock", SIMULATOR_SPEED="30", LIVE_ANALYTICS_ENABLED="true",
                              INDICES="NIFTY,BANKNIFTY", CHAIN_SNAPSHOT_SECONDS="30")
    run_collection(settings, cycles=3)
    store = open_store(settings)
    try:
        names = ["atm_option_quote", "index_overview", "chain_metrics", "chain_metrics_daily", "cash_flow"]
        if importlib.util.find_spec("op_trading.storage.chains") is not None:  # chain storage (helper store) merged
            names += ["option_chain", "option_chain_snapshot"]
        for name in names:
            assert relay.buckets_of(name) == {bucket_of(name)}, name
            assert points_in_server(line_protocol_server, name) == len(store.query(name)) > 0, name
    finally:
        store.close()
