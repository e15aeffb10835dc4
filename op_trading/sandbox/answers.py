"""Quote answers served fast: per-instrument JSON, built once per simulated second and joined per request.

Every quote field is a function of (seed, instrument, simulated moment) and the answers carry times to the second,
so within one simulated second an instrument's answer never changes. The first request of a second prices and
serialises each instrument it asks for; later requests of that second (the same or other instrument lists) only
join the stored bytes, and a request repeated within the second (a collector's or a dashboard's fixed list) gets
the whole stored body without its query even being parsed. The body is byte for byte what `web.success({...})` would give for the same moment; the
moment is the clock cut to its second, so answers are the same whether a request comes early or late in it.
"""

from __future__ import annotations

import threading
from datetime import datetime

from op_trading.sandbox import web

BUILDERS = {"/quote": "full", "/quote/ohlc": "ohlc", "/quote/ltp": "ltp"}
HEAD, TAIL = b'{"status":"success","data":{', b"}}"
MAX_BODIES = 64  # whole bodies kept per second: the distinct lists a few clients ask for, not an unbounded table


class QuoteAnswers:
    def __init__(self, quotes) -> None:
        self.quotes = quotes
        self._lock = threading.Lock()
        self._second: datetime | None = None
        self._parts: dict[tuple[str, str], bytes] = {}
        self._bodies: dict[tuple, bytes] = {}

    def recall(self, key: tuple, now: datetime) -> bytes | None:
        """The body already sent for the same request (path, query, form) in this simulated second."""
        with self._lock:
            return self._bodies.get(key) if self._second == now.replace(microsecond=0) else None

    def remember(self, key: tuple, now: datetime, body: bytes) -> None:
        with self._lock:
            if self._second == now.replace(microsecond=0) and len(self._bodies) < MAX_BODIES:
                self._bodies[key] = body

    def body(self, path: str, names: list[str], now: datetime, universe) -> bytes:
        """The JSON body answering `path` for `names` (unknown or expired names left out, duplicates once)."""
        second = now.replace(microsecond=0)
        parts = self._parts_of(second)
        build = getattr(self.quotes, BUILDERS[path])
        out = []
        for name in dict.fromkeys(names):  # a repeated name is one key of the answer, as in a dict
            part = parts.get((path, name))
            if part is None:
                instrument = universe.resolve(name)
                if instrument is None:  # unknown or expired keys are left out, as Kite does
                    continue
                part = parts[(path, name)] = web.dump(name) + b":" + web.dump(build(instrument, second))
            out.append(part)
        return HEAD + b",".join(out) + TAIL

    def _parts_of(self, second: datetime) -> dict[tuple[str, str], bytes]:
        with self._lock:
            if second != self._second:  # a new second (or a clock jump): start afresh, keep nothing older
                self._second, self._parts, self._bodies = second, {}, {}
            return self._parts
