"""The query layer's entry point: `Queries(settings, store, chains)` answers every face's questions from the store.

Every answer is a dataclass carrying `source` (live / mock, the data's own label) and `as_of` (the time of the data
it describes, IST). Reads are bounded in time (the latest session, a day, N daily rows), never "all history", so an
answer costs the same after a day or a year of collection. Data from one source only: the source of the newest
index overview (so mock history never colours a live answer, nor the other way round).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Callable

from op_trading.analytics import common
from op_trading.market import calendar
from op_trading.market.indices import ALL_INDICES, OPTION_INDICES, Index

OVERVIEW = "index_overview"
NO_DATA = "none"


class QueryError(ValueError):
    """A parameter that cannot be answered (unknown index, bad window); the message is one line for the user."""


class NotFound(LookupError):
    """Nothing stored yet for what was asked (e.g. no chain snapshot of that expiry); one line for the user."""


def index_for(name: str) -> Index:
    found = common.find_index(name)
    if found is None or found.underlying is None:
        raise QueryError(f"unknown index {name!r}; one of {', '.join(index.key for index in OPTION_INDICES)}")
    return found


class Queries:
    """Reads for the terminal views, the API and the dashboard (one place, so no panel is computed twice)."""

    def __init__(self, settings, store: Any, chains: Any = None, clock: Callable[[], datetime] = calendar.now_ist):
        from op_trading.queries.snapshots import MemoryChains

        self.settings, self.store, self.clock = settings, store, clock
        self.chains = chains if chains is not None else MemoryChains()

    @classmethod
    def open(cls, settings, chains: Any = None) -> "Queries":
        """Queries over the configured embedded store, with a connection of their own (close() releases it)."""
        from op_trading.queries.readers import open_chain_reader
        from op_trading.storage import open_store

        store = open_store(settings)
        return cls(settings, store, chains if chains is not None else open_chain_reader(settings, store))

    def close(self) -> None:
        close = getattr(self.store, "close", None)
        if close:
            close()

    # -- shared reads --------------------------------------------------------------------------------------------
    def rows(self, measurement: str, start: datetime | None, end: datetime | None,
             tags: dict[str, str] | None = None, fields: list[str] | None = None) -> list[dict]:
        return common.query(self.store, measurement, start=start, end=end, tags=tags, fields=fields)

    def latest_overview(self, index: Index, source: str | None = None) -> dict | None:
        tags = {"index": index.tradingsymbol}
        if source:
            tags["source"] = source
        return self.store.latest(OVERVIEW, tags)

    def newest(self) -> tuple[str, datetime | None]:
        """(source, time) of the newest index overview row; (DATA_SOURCE_MODE, None) when nothing is stored."""
        best: dict | None = None
        for index in OPTION_INDICES:
            row = self.store.latest(OVERVIEW, {"index": index.tradingsymbol})
            if row is not None and (best is None or row["time"] > best["time"]):
                best = row
        if best is None:
            return self.settings["DATA_SOURCE_MODE"], None
        return str(best.get("source") or self.settings["DATA_SOURCE_MODE"]), best["time"]

    def session_window(self, as_of: datetime) -> tuple[datetime, datetime]:
        """From midnight of the data's IST day to just after it: one session's rows."""
        start = datetime.combine(as_of.date(), datetime.min.time(), calendar.IST)
        return start, as_of

    def market_state(self, source: str, as_of: datetime | None) -> tuple[bool, str]:
        """Whether the market is open and a line saying so: the wall clock for live data, the simulator's own clock
        (the data's time) for mock data."""
        if source == "mock":
            if as_of is None:
                return False, "simulated market: nothing collected yet"
            state = "open" if calendar.is_market_open(as_of) else "closed"
            return state == "open", f"simulated market {state} (simulator clock {as_of:%d-%b %H:%M} IST)"
        now = self.clock()
        if calendar.is_market_open(now):
            return True, "market open"
        shown = f"; showing the session of {as_of:%d-%b-%Y}" if as_of is not None else ""
        return False, (f"market closed (next open {calendar.next_session_open(now):%a %d-%b %H:%M} IST){shown}")

    # -- answers ------------------------------------------------------------------------------------------------
    def overview(self):
        from op_trading.queries.overview import overview

        return overview(self)

    def market_breadth(self):
        from op_trading.queries.market import market_breadth

        return market_breadth(self)

    def volatility(self, index: str | None = None):
        from op_trading.queries.market import volatility

        return volatility(self, index)

    def positions(self):
        from op_trading.queries.market import positions

        return positions(self)

    def chain(self, index: str, expiry: date | None = None, strikes: int | None = None):
        from op_trading.queries.chain import build_chain

        key = index_for(index).key
        chain = self.chains.latest(key, expiry)
        if chain is None:
            what = f"{key} {expiry}" if expiry else key
            raise NotFound(f"no option chain snapshot of {what} yet (taken every CHAIN_SNAPSHOT_SECONDS while the "
                           "service collects)")
        expiries = [day for day, _ in self.chains.expiries(key)]
        return build_chain(chain, self.settings, self.chains, strikes, expiries)

    def oi_change(self, index: str, expiry: date | None = None, window_minutes: int = 30):
        from op_trading.queries.chain import oi_change

        key = index_for(index).key
        chain = self.chains.latest(key, expiry)
        if chain is None:
            raise NotFound(f"no option chain snapshot of {key} yet")
        return oi_change(chain, self.chains, window_minutes)

    def intraday(self, index: str, bucket: str | None = None, fields: list[str] | None = None,
                 day: date | None = None):
        from op_trading.queries.series import intraday

        return intraday(self, index_for(index), bucket, fields, day)

    def daily(self, index: str, bucket: str | None = None, fields: list[str] | None = None, days: int = 20):
        from op_trading.queries.series import daily

        return daily(self, index_for(index), bucket, fields, days)

    def cash_flows(self, timeframe: str, by: str = "index", buckets: int = 12, since: datetime | None = None):
        from op_trading.queries.flows import cash_flows

        return cash_flows(self, timeframe, by, buckets, since)

    def participants(self, days: int = 20):
        from op_trading.queries.participants import participants

        return participants(self, days)

    def alerts(self, limit: int = 50, hours: int = 24):
        from op_trading.queries.alerts import alerts

        return alerts(self, limit, hours)

    def alerts_last_hour(self, limit: int = 100, after: datetime | None = None):
        """The live feed's poll (every second): one hour of alerts at most, never the whole day or history."""
        from op_trading.queries.alerts import alerts

        return alerts(self, limit, 1, after)

    def premarket(self):
        from op_trading.queries.alerts import premarket

        return premarket(self)


def vix_index() -> Index:
    return next(index for index in ALL_INDICES if index.underlying is None)


def days_back(as_of: datetime, days: int) -> datetime:
    return as_of - timedelta(days=days)
