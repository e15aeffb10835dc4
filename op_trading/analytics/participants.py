"""NSE participant-wise OI / volume files and FII/DII provisional cash data: parsers and metrics.

Files, exactly as NSE publishes them (`fao_participant_oi_DDMMYYYY.csv`, `fao_participant_vol_DDMMYYYY.csv`):
line 1 a title wrapped in doubled quotes (single quotes in 2015 files) followed by 14 commas, with the date in one
of the formats NSE used over the years (``Jul 28, 2026``, ``Jul 28,2026``, ``July 28, 2026``, ``Jul 28 2026``);
line 2 the header, two of whose names carry trailing spaces; then the rows Client, DII, FII, Pro, TOTAL with 14
counts in **contracts**. Older archives spell the header in capitals with underscores (``CLIENT_TYPE``, also
abbreviated such as ``FUT_IDX_LONG``) and leave cells they did not publish as ``NA``: such cells are read as
missing (None, never 0) with a warning; a file missing a column the positions need (the index futures and index
option columns) is refused with that reason. The date comes from the file name and is cross-checked against the
title; a mismatch is reported as a warning and the file name wins. The invariants (total long = sum of the long
columns; TOTAL long = TOTAL short per instrument; categories sum to TOTAL) are checked and reported as warnings,
because NSE's own files are occasionally off by one contract.

FII/DII cash activity (NSE `api/fiidiiTradeReact`): a bare JSON array of objects with ``category`` ("FII/FPI" or
"DII"; from 2020 to late 2025 with footnote asterisks: "DII **", "FII/FPI *", "FII/FPI **"), ``date``
(DD-Mon-YYYY) and ``buyValue``/``sellValue``/``netValue`` as strings in ₹ crore, sometimes with thousands separators.
net = buy − sell is checked (to 0.01 crore).

Metrics per participant (index derivatives only, the part traders read):
- net index futures = Future Index Long − Future Index Short; net index calls = Call Long − Call Short; net index
  puts = Put Long − Put Short (contracts);
- long share = Future Index Long / (Long + Short) × 100;
- day-over-day change of each net, against the previous file of the same kind;
- sentiment from the futures long share: above 55% bullish, below 45% bearish, neutral between (a band, so a
  50.1% day does not read as a signal);
- pro vs client divergence: the day's change of (Pro net index futures − Client net index futures); the two "move
  apart" when that gap changes by at least PRO_CLIENT_DIVERGENCE_CONTRACTS in a day;
- FII vs DII cash: each side's net (₹ crore) and their sum.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Iterable, Mapping

from op_trading.analytics import common
from op_trading.analytics.common import fmt_contracts, fmt_crore, fmt_pct
from op_trading.errortext import bounded
from op_trading.outcome import Table

CATEGORIES = ("Client", "DII", "FII", "Pro")
TOTAL = "TOTAL"
HEADER = ("Client Type", "Future Index Long", "Future Index Short", "Future Stock Long", "Future Stock Short",
          "Option Index Call Long", "Option Index Put Long", "Option Index Call Short", "Option Index Put Short",
          "Option Stock Call Long", "Option Stock Put Long", "Option Stock Call Short", "Option Stock Put Short",
          "Total Long Contracts", "Total Short Contracts")
COLUMNS = ("fut_idx_long", "fut_idx_short", "fut_stk_long", "fut_stk_short", "opt_idx_call_long",
           "opt_idx_put_long", "opt_idx_call_short", "opt_idx_put_short", "opt_stk_call_long", "opt_stk_put_long",
           "opt_stk_call_short", "opt_stk_put_short", "total_long", "total_short")
INDEX_COLUMNS = COLUMNS[:2] + COLUMNS[4:8]  # what the positions are computed from: never missing
LONG_COLUMNS = tuple(column for column in COLUMNS[:12] if column.endswith("long"))
SHORT_COLUMNS = tuple(column for column in COLUMNS[:12] if column.endswith("short"))
KINDS = {"oi": "Open Interest", "vol": "Trading Volume"}
FILE_NAME = re.compile(r"fao_participant_(oi|vol)_(\d{2})(\d{2})(\d{4})\.csv$", re.IGNORECASE)
CASH_CATEGORIES = {"FII/FPI": "FII", "FII": "FII", "DII": "DII"}
NOT_PUBLISHED = {"NA", "N.A.", "N/A", "-"}  # how older archives mark a cell they did not publish
# Older headers: CLIENT_TYPE, FUT_IDX_LONG, ...; words mapped to the current header's
_HEADER_WORDS = {"fut": "future", "futures": "future", "idx": "index", "opt": "option", "options": "option",
                 "stk": "stock", "ce": "call", "pe": "put"}
BULLISH_ABOVE, BEARISH_BELOW = 55.0, 45.0
MEASUREMENT, CASH_MEASUREMENT = "participant_positions", "fii_dii_cash"


class ParticipantDataError(ValueError):
    """A participant or cash file that cannot be read; the message says which file and what is wrong."""


@dataclass(frozen=True)
class ParticipantReport:
    kind: str  # "oi" or "vol"
    day: date
    title: str
    # category (Client, DII, FII, Pro, TOTAL) -> column -> contracts (None: NA in an older file; never in
    # INDEX_COLUMNS)
    rows: Mapping[str, Mapping[str, int | None]]
    source: str
    origin: str  # the file it was read from
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class CashActivity:
    category: str  # "FII" or "DII"
    day: date
    buy: float  # ₹ crore
    sell: float
    net: float
    source: str


@dataclass(frozen=True)
class CashReport:
    day: date
    rows: Mapping[str, CashActivity]
    source: str
    origin: str
    warnings: tuple[str, ...] = ()


def title_date(title: str) -> date | None:
    """The date in a title such as '... as on Jul 28, 2026' in any of the formats NSE has used."""
    found = re.search(r"as\s+on\s+([A-Za-z]+)\s*(\d{1,2})\s*,?\s*(\d{4})", title)
    if not found:
        return None
    month, day, year = found.groups()
    for month_text, pattern in ((month, "%b"), (month, "%B"), (month[:3], "%b")):  # Jul, July, Sept
        try:
            return datetime.strptime(f"{month_text} {day} {year}", f"{pattern} %d %Y").date()
        except ValueError:
            continue
    return None


def name_date(name: str) -> tuple[str, date] | None:
    found = FILE_NAME.search(name)
    if not found:
        return None
    kind, day, month, year = found.groups()
    try:
        return kind.lower(), date(int(year), int(month), int(day))
    except ValueError:
        return None


def _clean_title(line: str) -> str:
    return line.strip().rstrip(",").strip().strip("\"'").strip()


def _count(text: str, where: str) -> int | None:
    cleaned = text.strip().replace(",", "")
    if cleaned.upper() in NOT_PUBLISHED:
        return None
    if not re.fullmatch(r"-?\d+(\.0+)?", cleaned):
        raise ParticipantDataError(f"{where}: {bounded(text, 40)!r} is not a number of contracts")
    return int(float(cleaned))


def _header_key(name: str) -> str:
    """A header name compared by its words: case, spaces, underscores and older abbreviations do not matter."""
    words = [_HEADER_WORDS.get(word, word) for word in re.split(r"[\s_]+", name.strip().lower()) if word]
    if words in (["total", "long"], ["total", "short"]):
        words.append("contracts")
    return " ".join(words)


def _check_header(header: list[str], origin: str) -> None:
    if len(header) < len(HEADER):
        raise ParticipantDataError(f"{origin}: the header has {len(header)} columns, not NSE's 15 participant "
                                   "columns")
    for position, (found, wanted) in enumerate(zip(header, HEADER), start=1):
        if _header_key(found) != _header_key(wanted):
            raise ParticipantDataError(f"{origin}: the header does not have NSE's 15 participant columns (column "
                                       f"{position} is {bounded(found, 40)!r}, expected {wanted!r})")


def _table_rows(lines: list[str], origin: str) -> dict[str, dict[str, int | None]]:
    records = [row for row in csv.reader(lines) if any(cell.strip() for cell in row)]
    if not records or _header_key(records[0][0]) != "client type":
        raise ParticipantDataError(f"{origin}: header row 'Client Type,...' not found")
    _check_header(records[0], origin)
    rows: dict[str, dict[str, int | None]] = {}
    for record in records[1:]:
        category = record[0].strip()
        if len(record) < 15:
            raise ParticipantDataError(f"{origin}: row {category!r} has {len(record)} fields, expected 15")
        name = next((known for known in CATEGORIES + (TOTAL,) if known.lower() == category.lower()), None)
        if name is not None:
            rows[name] = {column: _count(cell, f"{origin}, {name} {column}")
                          for column, cell in zip(COLUMNS, record[1:15])}
    missing = [name for name in CATEGORIES + (TOTAL,) if name not in rows]
    if missing:
        raise ParticipantDataError(f"{origin}: rows missing: {', '.join(missing)}")
    unpublished = [f"{name} {HEADER[COLUMNS.index(column) + 1]}" for name in CATEGORIES for column in INDEX_COLUMNS
                   if rows[name][column] is None]
    if unpublished:
        raise ParticipantDataError(f"{origin}: not published (NA) in this file: {', '.join(unpublished[:3])}"
                                   f"{' and more' if len(unpublished) > 3 else ''}; participant positions need "
                                   "the index futures and index option columns, so this day is left out")
    return rows


def _unpublished_warning(rows: Mapping[str, Mapping[str, int | None]], origin: str) -> list[str]:
    cells = [f"{name} {column}" for name, row in rows.items() for column, value in row.items() if value is None]
    if not cells:
        return []
    return [f"{origin}: {len(cells)} cell(s) not published (NA), kept as missing: {', '.join(cells[:4])}"
            f"{' ...' if len(cells) > 4 else ''}"]


def check_invariants(rows: Mapping[str, Mapping[str, int | None]]) -> list[str]:
    """NSE's arithmetic, as warnings (real files are occasionally off by one contract). Sums with a missing (NA)
    cell are not checked."""
    def known(*values: int | None) -> bool:
        return None not in values

    problems = []
    for name, row in rows.items():
        for total, parts in (("total_long", LONG_COLUMNS), ("total_short", SHORT_COLUMNS)):
            cells = [row[column] for column in parts]
            if known(row[total], *cells) and row[total] != sum(cells):
                problems.append(f"{name}: {total} {row[total]} differs from the sum of its columns {sum(cells)}")
    for long_column, short_column in zip(LONG_COLUMNS, SHORT_COLUMNS):
        long_total, short_total = rows[TOTAL][long_column], rows[TOTAL][short_column]
        if known(long_total, short_total) and long_total != short_total:
            problems.append(f"TOTAL: {long_column} {long_total} != {short_column} {short_total}")
    for column in COLUMNS:
        cells = [rows[name][column] for name in CATEGORIES]
        if known(rows[TOTAL][column], *cells) and sum(cells) != rows[TOTAL][column]:
            problems.append(f"categories sum to TOTAL {column} {sum(cells) - rows[TOTAL][column]:+d}")
    return problems


def parse_participant_csv(text: str, name: str, source: str = "nse") -> ParticipantReport:
    """Read one NSE participant OI or volume file; `name` is the file name (it carries the date and kind)."""
    lines = text.lstrip("\ufeff").splitlines()
    if not lines:
        raise ParticipantDataError(f"{name}: the file is empty")
    has_title = _header_key(lines[0].split(",")[0].strip("\"'")) != "client type"
    title = _clean_title(lines[0]) if has_title else ""
    rows = _table_rows(lines[1:] if has_title else lines, name)
    warnings = ([] if has_title else [f"{name}: no title line"]) + _unpublished_warning(rows, name)
    from_name, from_title = name_date(name), title_date(title)
    kind = from_name[0] if from_name else next((k for k, words in KINDS.items() if words.lower() in title.lower()),
                                               None)
    day = from_name[1] if from_name else from_title
    if kind is None or day is None:
        raise ParticipantDataError(f"{name}: cannot tell the kind and date (expected fao_participant_oi_DDMMYYYY.csv)")
    if from_title and from_title != day:
        warnings.append(f"{name}: title says {from_title:%d-%b-%Y}, file name says {day:%d-%b-%Y}; using the name")
    if title and KINDS[kind].lower() not in title.lower():
        warnings.append(f"{name}: title does not mention {KINDS[kind]!r}")
    warnings += [f"{name}: {problem}" for problem in check_invariants(rows)]
    return ParticipantReport(kind, day, title, rows, source, name, tuple(warnings))


def _crore(value: Any, where: str) -> float:
    number = common.finite(str(value).replace(",", "").strip()) if value is not None else None
    if number is None:
        raise ParticipantDataError(f"{where}: {value!r} is not an amount in crore")
    return number


def parse_fii_dii_json(text: str, origin: str, source: str = "nse") -> CashReport:
    """Read NSE's FII/DII provisional cash activity (the bare JSON array of fiidiiTradeReact)."""
    try:
        items = json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as error:
        raise ParticipantDataError(f"{origin}: not JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(items, list) or not items:
        raise ParticipantDataError(f"{origin}: expected a JSON array of FII/DII rows")
    rows, warnings = {}, []
    for item in items:
        if not isinstance(item, dict):
            raise ParticipantDataError(f"{origin}: expected a JSON array of FII/DII rows (objects)")
        # "DII **", "FII/FPI *": NSE's footnote marks (2020 to late 2025) are not part of the category
        category = CASH_CATEGORIES.get(str(item.get("category", "")).strip().rstrip("* ").upper())
        if category is None:
            continue
        try:
            day = datetime.strptime(str(item.get("date", "")).strip(), "%d-%b-%Y").date()
        except ValueError:
            raise ParticipantDataError(f"{origin}: date {item.get('date')!r} is not DD-Mon-YYYY") from None
        where = f"{origin}, {category}"
        buy, sell, net = (_crore(item.get(key), where) for key in ("buyValue", "sellValue", "netValue"))
        if abs(buy - sell - net) > 0.011:
            warnings.append(f"{where}: net {net:,.2f} != buy − sell {buy - sell:,.2f}")
        rows[category] = CashActivity(category, day, buy, sell, net, source)
    if not rows:
        raise ParticipantDataError(f"{origin}: no FII/FPI or DII rows")
    days = {row.day for row in rows.values()}
    if len(days) > 1:
        warnings.append(f"{origin}: rows carry different dates {sorted(days)}")
    return CashReport(max(days), rows, source, origin, tuple(warnings))


@dataclass(frozen=True)
class ParticipantPosition:
    category: str
    kind: str
    day: date
    source: str
    fut_net: int
    call_net: int
    put_net: int
    fut_long_pct: float | None
    fut_net_change: int | None = None
    call_net_change: int | None = None
    put_net_change: int | None = None

    @property
    def sentiment(self) -> str:
        if self.fut_long_pct is None:
            return "n/a"
        if self.fut_long_pct > BULLISH_ABOVE:
            return "bullish"
        return "bearish" if self.fut_long_pct < BEARISH_BELOW else "neutral"


def _position(category: str, report: ParticipantReport, previous: ParticipantReport | None) -> ParticipantPosition:
    row = report.rows[category]
    nets = (row["fut_idx_long"] - row["fut_idx_short"], row["opt_idx_call_long"] - row["opt_idx_call_short"],
            row["opt_idx_put_long"] - row["opt_idx_put_short"])
    changes: tuple[int | None, ...] = (None, None, None)
    if previous is not None:
        before = _position(category, previous, None)
        changes = (nets[0] - before.fut_net, nets[1] - before.call_net, nets[2] - before.put_net)
    long_pct = common.ratio(row["fut_idx_long"], row["fut_idx_long"] + row["fut_idx_short"])
    return ParticipantPosition(category, report.kind, report.day, report.source, *nets,
                               None if long_pct is None else 100.0 * long_pct, *changes)


def participant_positions(report: ParticipantReport, previous: ParticipantReport | None = None,
                          categories: Iterable[str] = CATEGORIES) -> list[ParticipantPosition]:
    """Net index futures/calls/puts, long share and day-over-day change per enabled category."""
    if previous is not None and (previous.kind != report.kind or previous.day >= report.day):
        raise ValueError("the previous report must be an earlier file of the same kind")
    return [_position(category, report, previous) for category in CATEGORIES if category in set(categories)]


@dataclass(frozen=True)
class Divergence:
    day: date
    source: str
    pro_change: int
    client_change: int
    gap: int  # Pro net index futures − Client net index futures, today
    gap_change: int  # how far they moved apart (or together) since the previous file

    @property
    def opposite(self) -> bool:
        return self.pro_change * self.client_change < 0


def pro_client_divergence(report: ParticipantReport, previous: ParticipantReport) -> Divergence:
    pro, client = (_position(name, report, previous) for name in ("Pro", "Client"))
    return Divergence(report.day, report.source, pro.fut_net_change, client.fut_net_change,
                      pro.fut_net - client.fut_net, pro.fut_net_change - client.fut_net_change)


def cash_nets(report: CashReport, categories: Iterable[str] = ("FII", "DII")) -> dict[str, float]:
    """Net cash (₹ crore) per enabled category plus their combined net."""
    nets = {name: row.net for name, row in report.rows.items() if name in set(categories)}
    if nets:
        nets["FII+DII"] = sum(nets.values())
    return nets


def enabled_categories(settings) -> tuple[str, ...]:
    """The participant categories switched on in settings (ENABLE_FII/DII/PRO_TRADER/CLIENT_ANALYSIS)."""
    switches = {"Client": "ENABLE_CLIENT_ANALYSIS", "DII": "ENABLE_DII_ANALYSIS", "FII": "ENABLE_FII_ANALYSIS",
                "Pro": "ENABLE_PRO_TRADER_ANALYSIS"}
    return tuple(name for name in CATEGORIES if settings[switches[name]])


# ----- stored history -----

def report_points(report: ParticipantReport) -> list:
    """Every row (TOTAL too) with its raw columns, so a report can be rebuilt from the store for day-over-day."""
    points = []
    for category, row in report.rows.items():
        fields: dict[str, Any] = dict(row)
        if category != TOTAL:
            position = _position(category, report, None)
            fields.update(fut_net=position.fut_net, call_net=position.call_net, put_net=position.put_net,
                          fut_long_pct=position.fut_long_pct)
        tags = {"category": category, "kind": report.kind, "source": report.source}
        points.append(common.make_point(MEASUREMENT, tags, fields, common.session_close(report.day)))
    return points


def cash_points(report: CashReport) -> list:
    return [common.make_point(CASH_MEASUREMENT, {"category": row.category, "source": row.source},
                              {"buy": row.buy, "sell": row.sell, "net": row.net}, common.session_close(row.day))
            for row in report.rows.values()]


def reports_from_rows(rows: Iterable[Mapping[str, Any]], kind: str) -> list[ParticipantReport]:
    """Participant reports of one kind rebuilt from `participant_positions` rows, oldest first (complete days only)."""
    days: dict[tuple[date, str], dict[str, dict[str, int | None]]] = {}
    for row in rows:
        if row.get("kind") == kind and row.get("category") in CATEGORIES + (TOTAL,):
            if all(row.get(column) is not None for column in INDEX_COLUMNS):  # others may be NA in older files
                key = (common.record_time(row).date(), str(row.get("source", "")))
                days.setdefault(key, {})[row["category"]] = {
                    column: None if row.get(column) is None else int(row[column]) for column in COLUMNS}
    return [ParticipantReport(kind, day, "", table, source, "store") for (day, source), table in sorted(days.items())
            if len(table) == len(CATEGORIES) + 1]


def cash_from_rows(rows: Iterable[Mapping[str, Any]]) -> list[CashReport]:
    days: dict[tuple[date, str], dict[str, CashActivity]] = {}
    for row in rows:
        if row.get("category") in ("FII", "DII"):
            day, source = common.record_time(row).date(), str(row.get("source", ""))
            days.setdefault((day, source), {})[row["category"]] = CashActivity(
                row["category"], day, float(row["buy"]), float(row["sell"]), float(row["net"]), source)
    return [CashReport(day, table, source, "store") for (day, source), table in sorted(days.items())]


# ----- tables -----

def participant_table(positions: list[ParticipantPosition], divergence: Divergence | None = None) -> Table:
    rows = tuple((p.category, fmt_contracts(p.fut_net, signed=True), fmt_contracts(p.fut_net_change, signed=True),
                  fmt_pct(p.fut_long_pct), fmt_contracts(p.call_net, signed=True),
                  fmt_contracts(p.call_net_change, signed=True), fmt_contracts(p.put_net, signed=True),
                  fmt_contracts(p.put_net_change, signed=True), p.sentiment) for p in positions)
    first = positions[0] if positions else None
    kind = KINDS.get(first.kind, "") if first else ""
    caption = (f"NSE participant-wise {kind} in contracts for {first.day:%d-%b-%Y}, end-of-day (not live) · "
               f"source: {first.source}") if first else "No participant data"
    if divergence is not None:
        caption += (f" · Pro − Client net index futures {fmt_contracts(divergence.gap, signed=True)}, "
                    f"{fmt_contracts(divergence.gap_change, signed=True)} on the day")
    return Table("Participant positions (index derivatives)",
                 ("Participant", "Fut net", "Fut Δ", "Fut long %", "Calls net", "Calls Δ", "Puts net", "Puts Δ",
                  "Sentiment"), rows, caption)


def cash_table(report: CashReport | None, categories: Iterable[str] = ("FII", "DII")) -> Table:
    columns = ("Category", "Buy (₹ cr)", "Sell (₹ cr)", "Net (₹ cr)")
    if report is None:
        return Table("FII/DII cash market activity", columns, (), "No FII/DII cash data")
    rows = [(name, fmt_crore(row.buy), fmt_crore(row.sell), fmt_crore(row.net, signed=True))
            for name, row in sorted(report.rows.items()) if name in set(categories)]
    nets = cash_nets(report, categories)
    if len(nets) > 2:
        rows.append(("FII+DII", "", "", fmt_crore(nets["FII+DII"], signed=True)))
    return Table("FII/DII cash market activity", columns, tuple(rows),
                 f"Provisional, {report.day:%d-%b-%Y} · source: {report.source}")
