"""Storage test fixtures: a real line-protocol server (VictoriaMetrics), a real Redis, and collector-shaped records.

VictoriaMetrics accepts InfluxDB line protocol at /api/v2/write and stores each field as the metric
`{measurement}_{field}` with the tags as labels; /api/v1/export returns every stored sample (it keeps duplicates,
so counting samples proves that nothing was written twice). A private instance per test starts in well under a
second; with OP_TEST_LINE_PROTOCOL_URL set, that server is used instead (cleared before each test).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from op_trading.storage.point import IST
from tests.support import free_port, port_open, service_missing

VM_BINARY_NAMES = ("victoria-metrics", "victoria-metrics-prod")
REDIS_HOST, REDIS_PORT, REDIS_TEST_DB = "127.0.0.1", 6379, 15


class VictoriaMetrics:
    """A VictoriaMetrics process on 127.0.0.1 (or an external URL) with helpers to read back what was written."""

    def __init__(self, binary: str | None, data_dir: Path | None, port: int | None, url: str | None = None):
        self.binary, self.data_dir, self.port = binary, data_dir, port
        self.url = url or f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen | None = None

    @property
    def private(self) -> bool:
        return self.binary is not None

    def start(self, timeout: float = 60.0) -> None:  # generous: parallel workers load the machine
        log = open(self.data_dir.parent / "victoria-metrics.log", "ab")
        self.process = subprocess.Popen(
            [self.binary, f"-storageDataPath={self.data_dir}", f"-httpListenAddr=127.0.0.1:{self.port}",
             "-retentionPeriod=100y", "-search.latencyOffset=0s", "-loggerLevel=ERROR"],
            stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"victoria-metrics exited with {self.process.returncode}; see its log")
            if self._healthy():
                return
            time.sleep(0.05)
        raise RuntimeError("victoria-metrics did not become healthy")

    def kill(self) -> None:
        """Abrupt outage (SIGKILL). VictoriaMetrics holds recently acknowledged samples in memory and has no WAL
        (InfluxDB has one), so they are persisted first through a snapshot: the tests are about our client, not
        about the server's durability."""
        urllib.request.urlopen(f"{self.url}/snapshot/create", timeout=30).read()
        urllib.request.urlopen(f"{self.url}/snapshot/delete_all", timeout=30).read()
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def force_flush(self) -> None:
        """Make just-written samples visible to export immediately."""
        urllib.request.urlopen(f"{self.url}/internal/force_flush", timeout=10).read()

    def export(self, match: str) -> list[dict]:
        """Every stored series matching a series selector, with all raw samples (duplicates included)."""
        self.force_flush()
        data = urllib.parse.urlencode({"match[]": match}).encode()
        with urllib.request.urlopen(f"{self.url}/api/v1/export", data=data, timeout=30) as response:
            return [json.loads(line) for line in response.read().decode().splitlines() if line.strip()]

    def sample_count(self, match: str) -> int:
        return sum(len(series["values"]) for series in self.export(match))

    def clear(self) -> None:
        query = urllib.parse.urlencode({"match[]": '{__name__=~".+"}'})
        urllib.request.urlopen(f"{self.url}/api/v1/admin/tsdb/delete_series?{query}", timeout=30).read()

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=1) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False


def victoria_metrics_binary() -> str | None:
    for name in VM_BINARY_NAMES:
        found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
        if found:
            return found
    return None


def start_private_vm(tmp_path: Path) -> VictoriaMetrics:
    binary = victoria_metrics_binary()
    if binary is None:
        service_missing("victoria-metrics (apt-get install victoria-metrics)")
    server = VictoriaMetrics(binary, tmp_path / "vm-data", free_port())
    server.start()
    return server


@pytest.fixture
def line_protocol_server(tmp_path):
    """A line-protocol server: OP_TEST_LINE_PROTOCOL_URL (cleared first) or a private VictoriaMetrics."""
    external = os.environ.get("OP_TEST_LINE_PROTOCOL_URL")
    if external:
        server = VictoriaMetrics(None, None, None, url=external.rstrip("/"))
        if not server._healthy():
            service_missing(f"line-protocol server at {external}")
        server.clear()
        yield server
        return
    yield from _private_vm(tmp_path)


@pytest.fixture
def private_line_protocol_server(tmp_path):
    """Always a private VictoriaMetrics, because the test stops and restarts it."""
    yield from _private_vm(tmp_path)


def _private_vm(tmp_path: Path):
    server = start_private_vm(tmp_path)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url():
    """redis://127.0.0.1:6379/15 (the tests' DB), or skip/fail via service_missing when Redis is not running."""
    if not port_open(REDIS_HOST, REDIS_PORT):
        service_missing(f"Redis at {REDIS_HOST}:{REDIS_PORT}")
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_TEST_DB}"


@pytest.fixture
def redis_prefix(redis_url):
    """A key prefix unique to the test; every key under it is deleted afterwards."""
    import redis

    prefix = f"optrading-test:{uuid.uuid4().hex}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=prefix + "*"))
    if keys:
        client.delete(*keys)
    client.close()


# ------------------------------------------------------------------------------------------ collector records
BUCKETS = ("this_week", "next_week", "this_month", "next_month")
EXPIRIES = {"this_week": "2026-11-24", "next_week": "2026-12-01", "this_month": "2026-11-24",
            "next_month": "2026-12-29"}


def offset_label(steps: int) -> str:
    return "atm" if steps == 0 else f"atm_{'p' if steps > 0 else 'm'}{abs(steps)}"


def leg_record(moment: datetime, index: str = "NIFTY", bucket: str = "this_week", side: str = "CALL",
               steps: int = 0, atm: int = 24000, step: int = 50, seed: int = 0) -> dict:
    """A leg record with the collector's keys (upstream §D.3 plus the new keys) and plausible values."""
    strike = atm + steps * step
    price = round(max(1.0, 120.0 - 40 * steps * (1 if side == "CALL" else -1)) + (seed % 97) * 0.05, 2)
    return {
        "timestamp": moment.isoformat(), "index": index, "bucket": bucket, "side": side,
        "expiry": EXPIRIES[bucket], "atm_strike": atm, "strike": float(strike), "strike_offset": offset_label(steps),
        "last_price": price, "days_to_expiry": 4, "average_price": round(price * 0.98, 2),
        "volume": 100_000 + seed, "oi": 250_000 + 10 * seed, "oi_open": 240_000, "oi_change": 10_000 + 10 * seed,
        "ohlc.open": 110.0, "ohlc.high": 140.5, "ohlc.low": 95.25, "ohlc.close": 115.0,
        "net_change": round(price - 115.0, 2), "net_change_percent": round((price - 115.0) / 115.0 * 100, 4),
        "day_change": round(price - 110.0, 2), "day_change_percent": round((price - 110.0) / 110.0 * 100, 4),
        "iv": 0.1523, "source": "mock", "tradingsymbol": f"{index}26N24{strike}{'CE' if side == 'CALL' else 'PE'}",
        "instrument_token": 10_000_000 + strike, "bid": round(price - 0.05, 2), "ask": round(price + 0.05, 2),
    }


def overview_record(moment: datetime, index: str = "NIFTY", symbol: str = "NIFTY 50",
                    buckets: tuple[str, ...] = BUCKETS, atm: int = 24000) -> dict:
    record = {
        "timestamp": moment.isoformat(), "symbol": symbol, "atm_strike": atm, "last_price": 24012.35,
        "open": 23950.0, "high": 24050.5, "low": 23900.1, "close": 23980.0, "net_change": 32.35,
        "net_change_percent": 0.1349, "day_change": 62.35, "day_change_percent": 0.2603, "day_width": 150.4,
        "day_width_percent": 0.628, "index": index, "source": "mock",
    }
    for bucket in buckets:
        record.update({f"{bucket.upper()}_TP": 241.5, f"{bucket.upper()}_OI_CALL": 250000,
                       f"{bucket.upper()}_OI_PUT": 275000, f"pcr_{bucket}": 1.1, f"{bucket}_iv_open": 0.15,
                       f"{bucket}_iv_day_change": 0.0023, f"{bucket}_atm_iv": 0.1523, f"{bucket}_days_to_expiry": 4})
    return record


def cycle_records(moment: datetime, indices: tuple[str, ...] = ("NIFTY",), buckets: tuple[str, ...] = BUCKETS,
                  offsets: tuple[int, ...] = (-2, -1, 0, 1, 2), seed: int = 0) -> list[dict]:
    """One collection cycle: every leg of every index/bucket/offset/side, then one overview per index."""
    records = [leg_record(moment, index, bucket, side, steps, seed=seed + n)
               for index in indices for bucket in buckets for n, steps in enumerate(offsets)
               for side in ("CALL", "PUT")]
    return records + [overview_record(moment, index, "NIFTY 50" if index == "NIFTY" else index, buckets)
                      for index in indices]


def cycle_time(number: int, start: datetime | None = None) -> datetime:
    """The time of cycle `number`: 30 s apart from 10:00:00 IST yesterday (recent, so any server keeps it)."""
    start = start or (datetime.now(IST) - timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    return start + timedelta(seconds=30 * number)


# ------------------------------------------------------------------------------- InfluxDB v2 API (bootstrap)
class FakeInfluxV2:
    """The part of the InfluxDB OSS v2 HTTP API that influxdb-client uses for bootstrap and writes, written from the
    v2 API reference (no InfluxDB 2 can be installed here): GET /health, GET /ping, GET /api/v2/orgs, GET and
    POST /api/v2/buckets, PATCH /api/v2/buckets/{id}, GET and POST /api/v2/tasks, PATCH /api/v2/tasks/{id},
    POST /api/v2/write. Token auth on /api/v2 (401 JSON error otherwise), 404 for an unknown org filter, bucket or
    task, 422 "conflict" for a duplicate bucket name, a task's name and schedule read from its Flux `option task`
    (400 without them, as the server cannot schedule it), and field types fixed per bucket/measurement: a
    conflicting point is dropped with 422 "partial write ... dropped=N" while the others are stored (2.5+)."""

    def __init__(self, token: str, orgs: tuple[str, ...] = ("op-trading",)):
        self.token = token
        self.orgs = {name: f"{n + 1:016x}" for n, name in enumerate(orgs)}
        self.buckets: dict[str, dict] = {}  # id -> bucket JSON
        self.tasks: dict[str, dict] = {}  # id -> task JSON
        self.patches: list[tuple[str, dict]] = []  # (path, body) of every accepted PATCH
        self.writes: list[tuple[str, str]] = []  # (bucket name, accepted line)
        self.field_types: dict[tuple[str, str, str], str] = {}
        self.server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> None:
        import threading
        from http.server import ThreadingHTTPServer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _fake_handler(self))
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def bucket_named(self, name: str, org_id: str | None = None) -> dict | None:
        return next((b for b in self.buckets.values() if b["name"] == name and org_id in (None, b["orgID"])), None)

    # request handlers: (status, JSON body or None)
    def get_orgs(self, query: dict) -> tuple[int, dict]:
        orgs = [{"id": oid, "name": name, "description": "", "links": {"self": f"/api/v2/orgs/{oid}"}}
                for name, oid in self.orgs.items()]
        if "org" in query:
            orgs = [org for org in orgs if org["name"] == query["org"]]
            if not orgs:
                return 404, {"code": "not found", "message": f"organization name \"{query['org']}\" not found"}
        return 200, {"links": {"self": "/api/v2/orgs"}, "orgs": orgs}

    def get_buckets(self, query: dict) -> tuple[int, dict]:
        org_id = query.get("orgID") or self.orgs.get(query.get("org", ""), query.get("orgID"))
        found = [b for b in self.buckets.values()
                 if query.get("name") in (None, b["name"]) and org_id in (None, b["orgID"])]
        return 200, {"links": {"self": "/api/v2/buckets"}, "buckets": found}

    def post_bucket(self, body: dict) -> tuple[int, dict]:
        if not body.get("name") or not body.get("orgID"):
            return 400, {"code": "invalid", "message": "bucket name and orgID are required"}
        if body["orgID"] not in self.orgs.values():
            return 404, {"code": "not found", "message": "organization not found"}
        if self.bucket_named(body["name"], body["orgID"]):
            return 422, {"code": "conflict", "message": f"bucket with name {body['name']} already exists"}
        bucket_id = f"{len(self.buckets) + 101:016x}"
        bucket = {"id": bucket_id, "orgID": body["orgID"], "type": "user", "name": body["name"],
                  "description": body.get("description") or "", "retentionRules": body.get("retentionRules", []),
                  "createdAt": "2025-08-26T04:45:30Z", "updatedAt": "2025-08-26T04:45:30Z", "labels": [],
                  "links": {"self": f"/api/v2/buckets/{bucket_id}", "org": f"/api/v2/orgs/{body['orgID']}"}}
        self.buckets[bucket_id] = bucket
        return 201, bucket

    def patch_bucket(self, bucket_id: str, body: dict) -> tuple[int, dict]:
        bucket = self.buckets.get(bucket_id)
        if bucket is None:
            return 404, {"code": "not found", "message": "bucket not found"}
        for key in ("name", "description", "retentionRules"):
            if key in body and body[key] is not None:
                bucket[key] = body[key]
        self.patches.append((f"/api/v2/buckets/{bucket_id}", body))
        return 200, bucket

    def get_tasks(self, query: dict) -> tuple[int, dict]:
        org_id = query.get("orgID") or self.orgs.get(query.get("org", ""))
        found = [task for task in self.tasks.values()
                 if query.get("name") in (None, task["name"]) and org_id in (None, task["orgID"])]
        return 200, {"links": {"self": "/api/v2/tasks"}, "tasks": found}

    def post_task(self, body: dict) -> tuple[int, dict]:
        org_id = body.get("orgID") or self.orgs.get(body.get("org") or "")
        if org_id not in self.orgs.values():
            return 404, {"code": "not found", "message": "organization not found"}
        options = _task_options(body.get("flux") or "")
        if options is None:
            return 400, {"code": "invalid", "message": "invalid options: task option requires name and every or cron"}
        task_id = f"{len(self.tasks) + 501:016x}"
        name = next(org for org, oid in self.orgs.items() if oid == org_id)
        task = {"id": task_id, "orgID": org_id, "org": name, "status": body.get("status") or "active",
                "description": body.get("description") or "", "flux": body["flux"], **options,
                "createdAt": "2025-08-26T04:45:30Z", "updatedAt": "2025-08-26T04:45:30Z",
                "links": {"self": f"/api/v2/tasks/{task_id}"}}
        self.tasks[task_id] = task
        return 201, task

    def patch_task(self, task_id: str, body: dict) -> tuple[int, dict]:
        task = self.tasks.get(task_id)
        if task is None:
            return 404, {"code": "not found", "message": "task not found"}
        if body.get("flux"):
            options = _task_options(body["flux"])
            if options is None:
                return 400, {"code": "invalid", "message": "invalid options: task option requires name and every"}
            task.update(flux=body["flux"], **options)
        for key in ("status", "description"):
            if body.get(key):
                task[key] = body[key]
        self.patches.append((f"/api/v2/tasks/{task_id}", body))
        return 200, task

    def post_write(self, query: dict, body: str) -> tuple[int, dict | None]:
        org_id = self.orgs.get(query.get("org", ""), query.get("org"))
        bucket = self.bucket_named(query.get("bucket", ""), org_id)
        if bucket is None:
            return 404, {"code": "not found", "message": f"bucket \"{query.get('bucket')}\" not found"}
        dropped, conflict = 0, ""
        for line in filter(None, body.split("\n")):
            problem = self._typecheck(bucket["name"], line)
            if problem:
                dropped, conflict = dropped + 1, conflict or problem
            else:
                self.writes.append((bucket["name"], line))
        if dropped:
            return 422, {"code": "unprocessable entity",
                         "message": f"failure writing points to database: partial write: {conflict} dropped={dropped}"}
        return 204, None

    def _typecheck(self, bucket: str, line: str) -> str:
        head, fields, _ = _split_unescaped(line, " ", 3)
        measurement = _split_unescaped(head, ",", 0)[0]
        kinds = {}
        for item in _split_unescaped(fields, ",", 0):
            key, _, value = item.partition("=")
            kinds[key] = ("string" if value.startswith('"') else "boolean" if value in ("true", "false")
                          else "integer" if value.endswith("i") else "float")
            known = self.field_types.get((bucket, measurement, key), kinds[key])
            if known != kinds[key]:
                return (f"field type conflict: input field \"{key}\" on measurement \"{measurement}\" is type "
                        f"{kinds[key]}, already exists as type {known}")
        for key, kind in kinds.items():
            self.field_types[(bucket, measurement, key)] = kind
        return ""


def _task_options(flux: str) -> dict | None:
    """name, every and offset from a task's `option task = {...}` (None when name or every is missing)."""
    import re

    match = re.search(r"option\s+task\s*=\s*\{([^}]*)\}", flux)
    if not match:
        return None
    options = dict(re.findall(r'(\w+)\s*:\s*("[^"]*"|[0-9a-z]+)', match.group(1)))
    if "name" not in options or "every" not in options:
        return None
    return {"name": options["name"].strip('"'), "every": options["every"], "offset": options.get("offset", "0s")}


def _split_unescaped(text: str, separator: str, parts: int) -> list[str]:
    """Split line protocol on a separator that is not escaped and not inside a quoted string."""
    pieces, current, quoted, escaped = [], [], False, False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            current.append(char)
            escaped = True
        elif char == '"':
            current.append(char)
            quoted = not quoted
        elif char == separator and not quoted and (parts == 0 or len(pieces) < parts - 1):
            pieces.append("".join(current))
            current = []
        else:
            current.append(char)
    return pieces + ["".join(current)]


def _fake_handler(fake: FakeInfluxV2):
    from http.server import BaseHTTPRequestHandler

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output clean
            pass

        def do_GET(self):
            path, query = self._target()
            if path == "/ping":
                return self._reply(204, None)
            if path == "/health":
                return self._reply(200, {"name": "influxdb", "message": "ready for queries and writes",
                                         "status": "pass", "checks": [], "version": "v2.7-test", "commit": "test"})
            if not self._authorised():
                return None
            routes = {"/api/v2/orgs": fake.get_orgs, "/api/v2/buckets": fake.get_buckets,
                      "/api/v2/tasks": fake.get_tasks}
            if path not in routes:
                return self._reply(404, {"code": "not found", "message": "path not found"})
            return self._reply(*routes[path](query))

        def do_POST(self):
            path, query = self._target()
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            if not self._authorised():
                return None
            if path == "/api/v2/buckets":
                return self._reply(*fake.post_bucket(json.loads(body)))
            if path == "/api/v2/write":
                return self._reply(*fake.post_write(query, body))
            if path == "/api/v2/tasks":
                return self._reply(*fake.post_task(json.loads(body)))
            return self._reply(404, {"code": "not found", "message": "path not found"})

        def do_PATCH(self):  # noqa: N802 - http.server's naming
            path, _ = self._target()
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            if not self._authorised():
                return None
            kind, _, item = path.removeprefix("/api/v2/").partition("/")
            handlers = {"buckets": fake.patch_bucket, "tasks": fake.patch_task}
            if kind not in handlers or not item or "/" in item:
                return self._reply(404, {"code": "not found", "message": "path not found"})
            return self._reply(*handlers[kind](item, json.loads(body)))

        def _target(self):
            parts = urllib.parse.urlsplit(self.path)
            return parts.path, dict(urllib.parse.parse_qsl(parts.query))

        def _authorised(self) -> bool:
            if self.headers.get("Authorization") == f"Token {fake.token}":
                return True
            self._reply(401, {"code": "unauthorized", "message": "unauthorized access"})
            return False

        def _reply(self, status: int, body: dict | None):
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            if body is not None:
                self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@pytest.fixture
def fake_influx():
    fake = FakeInfluxV2(token="test-token-" + uuid.uuid4().hex)
    fake.start()
    yield fake
    fake.stop()
