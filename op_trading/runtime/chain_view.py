"""The terminal "Option chain" view: index and expiry chosen by number, centred on the ATM, one section at a time so
it fits an 80x24 terminal (prices and OI; IV and Greeks; OI change and buildup). Readable without colour: ITM
prices carry a `*`, the ATM and max-pain strikes are named in the Strike column, and a row marks where the spot is.

The chain comes from the running service's API when one runs (no second collector); otherwise from the stored
snapshots through the query layer; with neither, one collection cycle with a snapshot is taken from the configured
source (the simulator in mock mode), said so in the result.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from op_trading.analytics.common import MISSING, finite, fmt_number
from op_trading.context import Question
from op_trading.outcome import ExitCode, Outcome, Table, failed, ok

SECTIONS = ("Prices and OI", "IV and Greeks", "OI change and buildup")
STRIKES_EACH_SIDE = 5  # 11 strike rows + the spot row + headers and caption fit 24 lines
BUILDUP_SHORT = {"long buildup": "long bu", "short covering": "sh cover", "short buildup": "short bu",
                 "long unwinding": "long unw", "neutral": "-"}


def compact(value: Any, signed: bool = False) -> str:
    """Contracts in at most 7 characters: 950, 12.3k, 7,441k (never wraps mid-digit in a narrow column)."""
    number = finite(value)
    if number is None:
        return MISSING
    sign = "+" if signed and number > 0 else ""
    if abs(number) < 1000:
        return f"{sign}{number:,.0f}"
    if abs(number) < 100_000:
        return f"{sign}{number / 1000:,.1f}k"
    return f"{sign}{number / 1000:,.0f}k"


def _time(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%d-%b %H:%M IST")
    return f"{str(value)[8:10]}-{str(value)[5:7]} {str(value)[11:16]} IST" if value else MISSING


def choose(ctx, title: str, options: list[str], default: int = 1) -> int:
    """Ask for one of `options` by its number; returns the 0-based position."""
    listing = ", ".join(f"{number} {option}" for number, option in enumerate(options, 1))

    def validate(text: str) -> str | None:
        text = text.strip()
        return None if text.isdigit() and 1 <= int(text) <= len(options) else \
            f"type a number from 1 to {len(options)}"

    answer = ctx.ui.ask(Question(f"{title} ({listing})", default=str(default), validate=validate))
    return int(answer.strip()) - 1


def _side_price(side: dict | None) -> str:
    if not side:
        return MISSING
    return fmt_number(side.get("ltp")) + ("*" if side.get("itm") else "")


def _strike_label(row: dict) -> str:
    marks = [mark for mark, on in (("ATM", row.get("atm")), ("MP", row.get("max_pain"))) if on]
    return f"{finite(row['strike']):,.0f}" + (" " + "/".join(marks) if marks else "")


def _cells(section: int, row: dict) -> tuple:
    call, put = row.get("call") or {}, row.get("put") or {}
    strike = _strike_label(row)
    if section == 0:
        return (compact(call.get("oi")), compact(call.get("oi_change_day"), True), _side_price(call), strike,
                _side_price(put), compact(put.get("oi_change_day"), True), compact(put.get("oi")))
    if section == 1:
        def greeks(side):
            iv = finite(side.get("iv"))
            return (MISSING if iv is None else f"{iv * 100:.2f}", fmt_number(side.get("delta"), 2),
                    fmt_number(side.get("theta"), 1), fmt_number(side.get("vega"), 1))
        return (*greeks(call), strike, *greeks(put))
    return (BUILDUP_SHORT.get(call.get("buildup"), MISSING), compact(call.get("oi_change_prev_close"), True),
            compact(call.get("oi_change_day"), True), strike, compact(put.get("oi_change_day"), True),
            compact(put.get("oi_change_prev_close"), True), BUILDUP_SHORT.get(put.get("buildup"), MISSING))


COLUMNS = (  # calls left of the strike, puts right; short headers so 80 columns hold every section
    ("CE OI", "CE chg", "CE LTP", "Strike", "PE LTP", "PE chg", "PE OI"),
    ("CE IV", "Delta", "Th/day", "Vega", "Strike", "PE IV", "Delta", "Th/day", "Vega"),
    ("CE bu", "vs prev", "vs open", "Strike", "vs open", "vs prev", "PE bu"),
)
CAPTIONS = (
    "OI in contracts (k = thousand); chg = since the day's open; * = in the money",
    "Calls left, puts right; IV in vol points; delta per point; theta per calendar day; vega per 1 vol point",
    "Calls left, puts right: OI change vs the previous session's close and vs the day's open; bu = buildup",
)


def chain_table(chain: dict, section: int) -> Table:
    rows: list[tuple] = []
    spot = finite(chain.get("spot"))
    spot_shown = spot is None
    width = len(COLUMNS[section])
    middle = COLUMNS[section].index("Strike")
    for row in chain["rows"]:
        if not spot_shown and finite(row["strike"]) > spot:
            rows.append(tuple(f"spot {spot:,.2f}" if i == middle else "" for i in range(width)))
            spot_shown = True
        rows.append(_cells(section, row))
    title = f"{chain['index']} {chain['expiry']} option chain: {SECTIONS[section]}"
    caption = (f"{CAPTIONS[section]} · snapshot {_time(chain.get('as_of'))} · source {chain.get('source')}"
               + (" [MOCK DATA]" if chain.get("source") == "mock" else ""))
    return Table(title, COLUMNS[section], tuple(rows), caption)


def summary(chain: dict) -> str:
    return (f"{chain['index']} {chain['expiry']} ({', '.join(chain.get('buckets') or [])}): spot "
            f"{fmt_number(chain.get('spot'))}, ATM {fmt_number(chain.get('atm_strike'), 0)}, max pain "
            f"{fmt_number(chain.get('max_pain'), 0)}, PCR OI (whole snapshot) {fmt_number(chain.get('pcr_oi'))}, "
            f"snapshot {_time(chain.get('as_of'))}, source {chain.get('source')}")


class ChainSource:
    """Where chains come from for this view: the service's API, the store, or one fresh snapshot."""

    def __init__(self, settings) -> None:
        from op_trading.runtime.attach import service_url

        self.settings = settings
        self.url = service_url(settings)
        self.queries = None
        self.note = "from the running service" if self.url else ""

    def get(self, index: str, expiry: str | None, strikes: int) -> dict:
        if self.url:
            from op_trading.runtime.attach import fetch

            query = f"?strikes={strikes}" + (f"&expiry={expiry}" if expiry else "")
            return fetch(self.url, f"/api/v1/options/{index}{query}", self.settings)
        return dataclasses.asdict(self._queries().chain(index, _date(expiry), strikes))

    def _queries(self):
        from op_trading.queries.base import NotFound, Queries

        if self.queries is None:
            self.queries = Queries.open(self.settings)
            try:
                self.queries.chain(self.settings["INDICES"][0] if self.settings["INDICES"] else "NIFTY")
                self.note = "from the stored snapshots (no service running)"
            except NotFound:
                self.queries.chains = fresh_snapshot(self.settings)
                self.note = "from one snapshot taken now (no service running, none stored)"
        return self.queries

    def close(self) -> None:
        if self.queries is not None:
            self.queries.close()


def _date(text: str | None):
    from datetime import date

    return date.fromisoformat(text) if text else None


def fresh_snapshot(settings):
    """One collection cycle with a chain snapshot from the configured source; its snapshot in a MemoryChains."""
    from op_trading.queries.snapshots import MemoryChains
    from op_trading.runtime.collect import run_collection

    chains = MemoryChains()
    overrides = settings.with_overrides({"CHAIN_SNAPSHOT_SECONDS": str(max(settings["CHAIN_SNAPSHOT_SECONDS"], 1))})
    result = run_collection(overrides, cycles=1, on_cycle=lambda report: report.chain and chains.add(report.chain))
    if not result.ok:
        raise RuntimeError(result.message)
    return chains


def option_chain(ctx, index: str | None = None, expiry: str | None = None, section: int | None = None,
                 strikes: int = STRIKES_EACH_SIDE) -> Outcome:
    """Choose index, expiry and section by number; show the chain centred on the ATM."""
    from op_trading.market.indices import selected
    from op_trading.queries.base import NotFound, QueryError
    from op_trading.runtime.attach import ApiUnavailable

    keys = [item.key for item in selected(ctx.settings["INDICES"])]
    if not keys:
        return failed("INDICES is empty: choose indices in the wizard (Data source and market data)",
                      exit_code=ExitCode.USAGE)
    index = index or keys[choose(ctx, "Index", keys)]
    source = ChainSource(ctx.settings)
    try:
        chain = source.get(index, expiry, strikes)
        expiries = [str(day) for day in chain.get("expiries") or [chain["expiry"]]]
        if expiry is None and len(expiries) > 1:
            picked = expiries[choose(ctx, "Expiry", expiries, expiries.index(str(chain["expiry"])) + 1)]
            if picked != str(chain["expiry"]):
                chain = source.get(index, picked, strikes)
        if section is None:
            section = choose(ctx, "Show", list(SECTIONS))
    except (NotFound, QueryError, ApiUnavailable, RuntimeError) as error:
        return failed(f"no option chain: {error}")
    finally:
        source.close()
    return ok(f"{summary(chain)} ({source.note})", tables=(chain_table(chain, section),),
              data={"chain": {k: chain[k] for k in ("index", "expiry", "source", "spot", "atm_strike", "max_pain")}})
