"""Benchmark of the Kite sandbox as the official client sees it: start-up, instrument dumps, quotes, candles.

Run: python tests/performance/bench_sandbox.py [--batch 500] [--repeats 20] [--seconds 1] [--json figures.json]
Rate limits are off so the figures are the simulator's own cost, not Kite's pacing.

Side by side: requests/s of the simulator against a trivial stdlib HTTP server answering every request with the
same bytes (the simulator's answer, fetched once), on one keep-alive connection each, in interleaved rounds so that
machine load hits both alike; raw HTTP and through the official client. The simulator runs at its default speed
(1 simulated second per second: requests within a second share the per-second answer cache, as a collector's and a
dashboard's do) and at 3600x ("cold": every request is a new simulated second, so everything is priced anew).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def timed(call, repeats: int) -> dict:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return {"median_ms": round(statistics.median(samples), 2), "max_ms": round(max(samples), 2), "n": repeats}


class TrivialServer:
    """A stdlib HTTP/1.1 server that answers every GET with `body` (JSON): the floor any HTTP server pays."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(owner.body)))
                self.end_headers()
                self.wfile.write(owner.body)

            def log_message(self, *args) -> None:
                pass

        self.body = b""
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def rate(call, seconds: float) -> tuple[int, float]:
    """(requests, elapsed) of calling `call` back to back for about `seconds`."""
    count, started = 0, time.perf_counter()
    while True:
        call()
        count += 1
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return count, elapsed


def http_getter(url: str, target: str, headers: dict):
    """A keep-alive GET of `target` that reads the whole body (what any client must do)."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)

    def get() -> bytes:
        connection.request("GET", target, headers=headers)
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"{url}{target[:40]}: HTTP {response.status}")
        return body
    return get


def interleaved(sim_call, trivial_call, rounds: int, seconds: float) -> dict:
    """Requests/s of both sides over `rounds` alternating rounds of `seconds` each, and their ratio."""
    totals = {"sim": [0, 0.0], "trivial": [0, 0.0]}
    for _ in range(rounds):
        for side, call in (("sim", sim_call), ("trivial", trivial_call)):
            count, elapsed = rate(call, seconds)
            totals[side][0] += count
            totals[side][1] += elapsed
    sim, trivial = (totals[side][0] / totals[side][1] for side in ("sim", "trivial"))
    return {"sim_rps": round(sim, 1), "trivial_rps": round(trivial, 1), "ratio": round(sim / trivial, 3)}


def side_by_side(batch: int, rounds: int, seconds: float) -> list[dict]:
    """Simulator against the trivial server for /quote, /quote/ltp and /quote/ohlc of `batch` options."""
    from urllib.parse import urlencode

    from kiteconnect import KiteConnect

    from op_trading.kite.client import raw_quote
    from op_trading.sandbox import Sandbox

    rows, trivial = [], TrivialServer()
    try:
        for label, speed in (("default speed", 1.0), ("cold, 3600x", 3600.0)):
            with Sandbox(port=0, seed=42, speed=speed, rate_limits=False, start_at="2026-11-20 10:00") as box:
                token = box.issue_access_token()
                kite = KiteConnect(box.api_key, access_token=token, root=box.url)
                names = [f"NFO:{r['tradingsymbol']}" for r in kite.instruments("NFO")
                         if r["instrument_type"] in ("CE", "PE")][:batch]
                headers = {"X-Kite-Version": "3", "Authorization": f"token {box.api_key}:{token}"}
                paths = ("/quote", "/quote/ltp", "/quote/ohlc") if speed == 1.0 else ("/quote",)
                for path in paths:
                    target = f"{path}?{urlencode([('i', name) for name in names])}"
                    sim = http_getter(box.url, target, headers)
                    trivial.body = sim()
                    figures = interleaved(sim, http_getter(trivial.url, target, headers), rounds, seconds)
                    rows.append({"what": f"{path} x{len(names)}, raw HTTP, {label}", "bytes": len(trivial.body),
                                 **figures})
                copy = KiteConnect(box.api_key, access_token=token, root=trivial.url)
                trivial.body = http_getter(box.url, f"/quote?{urlencode([('i', n) for n in names])}", headers)()
                for how, call in (("kite.quote()", lambda k: k.quote(names)),
                                  ("raw_quote()", lambda k: raw_quote(k, names))):
                    figures = interleaved(lambda: call(kite), lambda: call(copy), rounds, seconds)
                    rows.append({"what": f"/quote x{len(names)}, official client {how}, {label}",
                                 "bytes": len(trivial.body), **figures})
    finally:
        trivial.close()
    return rows


def run(batch: int, repeats: int) -> dict:
    from kiteconnect import KiteConnect

    from op_trading.sandbox import Sandbox

    figures = {}
    started = time.perf_counter()
    with Sandbox(port=0, seed=42, speed=0, rate_limits=False, start_at="2026-11-20 11:00") as box:
        kite = KiteConnect(box.api_key, access_token=box.issue_access_token(), root=box.url)
        figures["start_ms"] = round((time.perf_counter() - started) * 1000, 2)
        first = time.perf_counter()
        rows = kite.instruments("NFO")
        figures["first_dump_ms"] = round((time.perf_counter() - first) * 1000, 2)  # builds the market
        figures["dump_rows_all"] = len(kite.instruments())
        figures["dump_nfo"] = timed(lambda: kite.instruments("NFO"), max(repeats // 4, 1))
        options = [f'NFO:{r["tradingsymbol"]}' for r in rows if r["instrument_type"] in ("CE", "PE")][:batch]
        figures["quote_batch"] = len(options)
        figures["quote_full"] = timed(lambda: kite.quote(options), repeats)
        figures["quote_ltp"] = timed(lambda: kite.ltp(options), repeats)
        figures["profile"] = timed(kite.profile, repeats)
        token = rows[len(rows) // 2]["instrument_token"]
        figures["historical_minute_5d"] = timed(
            lambda: kite.historical_data(token, "2026-11-16 09:15:00", "2026-11-20 11:00:00", "minute"),
            max(repeats // 4, 1))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=500, help="instruments per quote call")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=1.0, help="length of one side-by-side round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved side-by-side rounds per figure")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    figures = run(args.batch, args.repeats)
    figures["side_by_side"] = side_by_side(args.batch, args.rounds, args.seconds)
    print(f"sandbox start: {figures['start_ms']} ms; first NFO dump (builds the market): {figures['first_dump_ms']} ms")
    print(f"instrument rows (all exchanges): {figures['dump_rows_all']}")
    for name in ("dump_nfo", "quote_full", "quote_ltp", "profile", "historical_minute_5d"):
        value = figures[name]
        suffix = f" ({figures['quote_batch']} instruments)" if name.startswith("quote") else ""
        print(f"{name}{suffix}: median {value['median_ms']} ms, max {value['max_ms']} ms over {value['n']}")
    print("side by side with a trivial server sending the same bytes (requests/s, interleaved):")
    for row in figures["side_by_side"]:
        print(f"  {row['what']:<58} simulator {row['sim_rps']:>8.1f}  trivial {row['trivial_rps']:>8.1f}  "
              f"ratio {row['ratio']:.3f} ({row['bytes']:,} bytes)")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
