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

    def start(self, timeout: float = 15.0) -> None:
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
        """Abrupt outage (SIGKILL). VictoriaMetrics keeps the last ~second of acknowledged samples in memory
        (InfluxDB has a WAL), so they are flushed first: the test is about our client, not the server's durability."""
        self.force_flush()
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
    server = start_private_vm(tmp_path)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def private_line_protocol_server(tmp_path):
    """Always a private VictoriaMetrics, because the test stops and restarts it."""
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
