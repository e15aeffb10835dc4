"""What the product stores, declared once: every measurement with its bucket, tags and fields (type and unit).

`MEASUREMENTS` is the one description of the stored data. The README's schema table is generated from it
(`schema_doc.py`), the Grafana dashboards are checked against it, and a test runs a simulated session and checks
every point written against it (`schema_problems`). A measurement, tag or field that is not declared here is a defect.

Buckets (SPEC §6): `participant_*` measurements go to the participant-flows bucket, `cash_flow*` to cash-flows, the
rest to options-data (the names are settings; these are their defaults). A field's type is fixed per measurement:
InfluxDB refuses a write whose field type differs from the one an existing shard holds.

The second half turns collector records into `atm_option_quote` and `index_overview` points, with the original
market_app measurement names and field types (upstream §D.6). `atm_option_quote` keeps the original tags (index,
option_type, expiration, strike = str(atm_strike), bucket) and adds `strike_offset` and `source`: without
strike_offset every offset of one side/expiry shared a series key and overwrote the others (upstream §G.19). None
and NaN values are left out (NaN cannot be written).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Mapping

from op_trading.market.expiries import BUCKETS
from op_trading.storage.point import IST, Point, PointError

OPTIONS_BUCKET, PARTICIPANT_BUCKET, CASHFLOW_BUCKET = "options-data", "participant-flows", "cash-flows"
# measurement pattern (a trailing * matches a prefix) -> default bucket and the setting that names it
BUCKET_ROUTES = (("participant_*", PARTICIPANT_BUCKET, "INFLUXDB_PARTICIPANT_BUCKET"),
                 ("cash_flow*", CASHFLOW_BUCKET, "INFLUXDB_CASHFLOW_BUCKET"))
DEFAULT_ROUTE = (OPTIONS_BUCKET, "INFLUXDB_BUCKET")
PYTHON_TYPES = {"float": (float,), "integer": (int,), "string": (str,), "boolean": (bool,)}


@dataclass(frozen=True)
class TagSpec:
    name: str
    meaning: str
    values: tuple[str, ...] = ()  # every value the tag takes, when that is a fixed set
    optional: bool = False  # absent from some points (a tag of one `part` only)


@dataclass(frozen=True)
class FieldSpec:
    name: str  # {bucket} / {BUCKET} in a name: one field per expiry bucket (this_week / THIS_WEEK, ...)
    type: str  # float, integer, string or boolean: InfluxDB's field types
    unit: str
    meaning: str

    def names(self) -> tuple[str, ...]:
        if "{" not in self.name:
            return (self.name,)
        return tuple(self.name.format(bucket=bucket, BUCKET=bucket.upper()) for bucket in BUCKETS)


@dataclass(frozen=True)
class MeasurementSpec:
    name: str
    written_by: str
    time: str  # what a point's timestamp means
    tags: tuple[TagSpec, ...]
    fields: tuple[FieldSpec, ...]
    embedded_only: bool = False  # a probe kept in the embedded store, never sent through the sinks

    @property
    def bucket(self) -> str:
        return bucket_of(self.name)

    @property
    def tag_names(self) -> tuple[str, ...]:
        return tuple(tag.name for tag in self.tags)

    def field_types(self) -> dict[str, str]:
        """Concrete field name -> type, the per-bucket fields spelled out."""
        return {name: spec.type for spec in self.fields for name in spec.names()}

    def tag(self, name: str) -> TagSpec | None:
        return next((tag for tag in self.tags if tag.name == name), None)


def bucket_of(measurement: str, names: Mapping[str, str] | None = None) -> str:
    """The bucket a measurement goes to: the default name, or the one `names` (setting -> bucket) configures."""
    names = names or {}
    for pattern, default, setting in BUCKET_ROUTES:
        if measurement == pattern or (pattern.endswith("*") and measurement.startswith(pattern[:-1])):
            return names.get(setting) or default
    return names.get(DEFAULT_ROUTE[1]) or DEFAULT_ROUTE[0]


# ------------------------------------------------------------------------------------------------ the declaration
INDEX_KEYS = ("NIFTY", "SENSEX", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY")
INDEX_LABELS = ("NIFTY", "SENSEX", "BANKNIFTY", "NIFTY FIN SERVICE", "NIFTY MID SELECT")
INDEX_SYMBOLS = ("NIFTY 50", "SENSEX", "NIFTY BANK", "NIFTY FIN SERVICE", "NIFTY MID SELECT", "INDIA VIX")
CATEGORIES = ("Client", "DII", "FII", "Pro")
RUPEE, CRORE, POINTS, CONTRACTS, UNITS = "₹", "₹ crore", "index points", "contracts", "units (Kite quantity)"
VOL, PCT = "fraction (0.15 = 15 vol points)", "%"
SOURCE = TagSpec("source", "live (Kite), mock (the simulator) or nse (NSE's files)", ("live", "mock", "nse"))
BUCKET_TAG = TagSpec("bucket", "expiry bucket", BUCKETS)


def _fields(kind: str, unit: str, *pairs: tuple[str, str]) -> tuple[FieldSpec, ...]:
    return tuple(FieldSpec(name, kind, unit, meaning) for name, meaning in pairs)


LEG = MeasurementSpec(
    "atm_option_quote", "collector, every cycle", "cycle time (floored to :00/:30 IST)",
    (TagSpec("index", "index label", INDEX_LABELS), TagSpec("option_type", "call or put", ("CE", "PE")),
     TagSpec("expiration", "expiry date (YYYY-MM-DD)"), TagSpec("strike", "the ATM strike (original tag)"),
     BUCKET_TAG, TagSpec("strike_offset", "strikes from the ATM: atm, atm_p1, atm_m1, ..."), SOURCE),
    _fields("float", RUPEE, ("last_price", "last traded premium"), ("average_price", "day's VWAP"),
            ("ohlc_open", "day open"), ("ohlc_high", "day high"), ("ohlc_low", "day low"),
            ("ohlc_close", "previous close"), ("net_change", "last − previous close"),
            ("day_change", "last − day open"), ("bid", "best bid"), ("ask", "best ask"))
    + _fields("float", PCT, ("net_change_percent", "net change"), ("day_change_percent", "day change"))
    + _fields("float", VOL, ("iv", "implied volatility"))
    + _fields("float", POINTS, ("leg_strike", "this leg's strike"))
    + _fields("integer", UNITS, ("volume", "day volume"), ("oi", "open interest"),
              ("oi_open", "OI at the day's first cycle"), ("oi_change", "oi − oi_open"))
    + _fields("integer", "days", ("days_to_expiry", "calendar days to expiry"))
    + _fields("integer", POINTS, ("atm_strike_val", "the ATM strike")))

OVERVIEW = MeasurementSpec(
    "index_overview", "collector, every cycle", "cycle time",
    (TagSpec("index", "Kite symbol of the index", INDEX_SYMBOLS), SOURCE),
    _fields("integer", POINTS, ("atm_strike", "ATM strike (listed strike nearest to spot)"))
    + _fields("float", POINTS, ("last_price", "spot"), ("open", "day open"), ("high", "day high"),
              ("low", "day low"), ("close", "previous close"), ("net_change", "last − previous close"),
              ("day_change", "last − day open"), ("day_width", "high − low"))
    + _fields("float", PCT, ("net_change_percent", "net change"), ("day_change_percent", "day change"),
              ("day_width_percent", "day width"))
    + _fields("float", RUPEE, ("{BUCKET}_TP", "total premium: ATM call + ATM put (straddle)"))
    + _fields("float", UNITS, ("{BUCKET}_OI_CALL", "call OI of the bucket's legs"),
              ("{BUCKET}_OI_PUT", "put OI of the bucket's legs"))
    + _fields("float", "ratio", ("pcr_{bucket}", "put/call OI of the bucket's legs"))
    + _fields("float", VOL, ("{bucket}_atm_iv", "ATM IV"), ("{bucket}_iv_open", "ATM IV at the day's first cycle"),
              ("{bucket}_iv_day_change", "ATM IV − day-open ATM IV"))
    + _fields("integer", "days", ("{bucket}_days_to_expiry", "calendar days to expiry")))

CHAIN_TAGS = (TagSpec("index", "index key", INDEX_KEYS), BUCKET_TAG, TagSpec("expiry", "expiry date (YYYY-MM-DD)"),
              SOURCE)
CHAIN_COMMON = (_fields("float", POINTS, ("spot", "spot used"), ("atm_strike", "ATM strike"),
                        ("max_pain", "max-pain strike"))
                + _fields("float", "ratio", ("pcr_oi", "put/call OI"), ("pcr_volume", "put/call volume"))
                + _fields("float", VOL, ("atm_iv", "ATM IV (mean of call and put)"),
                          ("iv_skew", "put IV(ATM − d) − call IV(ATM + d), mean of 2 pairs"))
                + _fields("float", RUPEE, ("total_premium", "ATM call + put premium (straddle)")))
CHAIN = MeasurementSpec(
    "chain_metrics", "analytics, every cycle (once per full-chain snapshot when one is taken)",
    "cycle time (snapshot time for basis chain)", CHAIN_TAGS,
    CHAIN_COMMON
    + _fields("float", VOL, ("iv_open", "day's first ATM IV"), ("iv_day_change", "atm_iv − iv_open"))
    + _fields("float", PCT, ("iv_percentile", "share of past daily closes below today's ATM IV"),
              ("iv_rank", "ATM IV within the past daily range, 0..100"))
    + _fields("float", RUPEE, ("premium_weekday_avg", "mean total premium, same weekday and time of day"))
    + _fields("integer", "count", ("options_used", "option records used"))
    + _fields("string", "", ("basis", "legs (ATM ± offsets) or chain (full snapshot)")))
CHAIN_DAILY = MeasurementSpec(
    "chain_metrics_daily", "analytics, every cycle (rewrites the day's row; the rollup IV percentile/rank read)",
    "15:30 IST of the day", CHAIN_TAGS,
    CHAIN_COMMON + _fields("float", VOL, ("iv_open", "day's first ATM IV (read back after a restart)")))
CHAIN_PREMIUM_5M = MeasurementSpec(
    "chain_premium_5m", "analytics, every cycle (rewrites the running slot's row)",
    "start of the 5-minute IST slot",
    (TagSpec("index", "index key", INDEX_KEYS), BUCKET_TAG, SOURCE),
    _fields("float", RUPEE, ("premium_mean", "mean total premium (straddle) of the slot's cycles"))
    + _fields("integer", "count", ("samples", "chain metrics in the slot so far")))
INDEX_DAILY = MeasurementSpec(
    "index_daily", "analytics, every cycle (rewrites the day's row)", "15:30 IST of the day",
    (TagSpec("index", "index symbol", INDEX_SYMBOLS), SOURCE),
    _fields("float", POINTS, ("close", "last price of the day so far (the close once the session ended)")))

OPTION_CHAIN = MeasurementSpec(
    "option_chain", "collection, every CHAIN_SNAPSHOT_SECONDS (full chain within CHAIN_STRIKE_WINDOW)",
    "cycle time of the snapshot",
    (TagSpec("index", "index key", INDEX_KEYS), TagSpec("expiration", "expiry date (YYYY-MM-DD)"),
     TagSpec("strike", "the option's strike (24000, or 24012.5)"), TagSpec("option_type", "call or put", ("CE", "PE")),
     SOURCE),
    _fields("float", RUPEE, ("last_price", "last traded premium"), ("bid", "best bid"), ("ask", "best ask"),
            ("close", "previous session's close"))
    + _fields("float", VOL, ("iv", "implied volatility"))
    + _fields("integer", UNITS, ("volume", "day volume"), ("oi", "open interest"),
              ("oi_open", "OI at the day's first cycle")))
OPTION_CHAIN_SNAPSHOT = MeasurementSpec(
    "option_chain_snapshot", "collection, with each option_chain snapshot (one point per index and expiry)",
    "cycle time of the snapshot",
    (TagSpec("index", "index key", INDEX_KEYS), TagSpec("expiration", "expiry date (YYYY-MM-DD)"), SOURCE),
    _fields("float", POINTS, ("spot", "spot the chain was centred on"), ("atm_strike", "ATM strike"))
    + _fields("integer", "count", ("options", "options quoted"))
    + _fields("string", "", ("buckets", "expiry buckets of this expiry, nearest first (this_week,this_month)"),
              ("label", "the legs' index label")))

CASH_FLOW = MeasurementSpec(
    "cash_flow", "analytics, every cycle (estimate by the tick rule)", "cycle time (end of the interval)",
    (TagSpec("instrument", "index label, expiry, strike, side"), TagSpec("index", "index label", INDEX_LABELS),
     TagSpec("sector", "the index's sector", ("broad market", "banks", "financials", "midcaps")), SOURCE),
    _fields("float", RUPEE, ("inflow", "traded value while the price rose"),
            ("outflow", "traded value while the price fell"), ("unclassified", "traded value, no direction yet")))

POSITION_CLOSE = MeasurementSpec(
    "position_close", "analytics, every cycle (rewrites the day's row: the last snapshot)",
    "15:30 IST of the day",
    (TagSpec("index", "index label", INDEX_LABELS), TagSpec("expiration", "expiry date (YYYY-MM-DD)"),
     TagSpec("strike", "the contract's strike"), TagSpec("option_type", "call or put", ("CE", "PE")), SOURCE),
    _fields("float", CONTRACTS, ("oi", "open interest at the day's last snapshot"))
    + _fields("float", UNITS, ("volume", "day volume at the last snapshot"))
    + _fields("float", RUPEE, ("last_price", "last price at the last snapshot")))

CASH_FLOW_SUMMARY = MeasurementSpec(
    "cash_flow_summary", "analytics, every cycle (rewrites each running bucket's row)", "bucket start (IST)",
    (TagSpec("timeframe", "bucket size", ("1m", "5m", "15m", "30m", "1h", "1d", "1w")),
     TagSpec("by", "grouping", ("all", "index", "sector")), TagSpec("group", "all, the index label or the sector"),
     TagSpec("source", "data sources summed: live, mock (or both joined with +)")),
    _fields("float", RUPEE, ("inflow", "traded value while the price rose, summed"),
            ("outflow", "traded value while the price fell, summed"),
            ("unclassified", "traded value without a direction, summed"))
    + _fields("integer", "count", ("flows", "flows summed")))

PARTICIPANT_COLUMNS = ("fut_idx_long", "fut_idx_short", "fut_stk_long", "fut_stk_short", "opt_idx_call_long",
                       "opt_idx_put_long", "opt_idx_call_short", "opt_idx_put_short", "opt_stk_call_long",
                       "opt_stk_put_long", "opt_stk_call_short", "opt_stk_put_short", "total_long", "total_short")
PARTICIPANTS = MeasurementSpec(
    "participant_positions", "participant import (NSE participant-wise OI and volume files)",
    "15:30 IST of the file's day",
    (TagSpec("category", "participant", CATEGORIES + ("TOTAL",)),
     TagSpec("kind", "oi (open interest) or vol (volume) file", ("oi", "vol")), SOURCE),
    _fields("integer", CONTRACTS, *((column, "as in NSE's file") for column in PARTICIPANT_COLUMNS))
    + _fields("integer", CONTRACTS, ("fut_net", "index futures long − short (not for TOTAL)"),
              ("call_net", "index calls long − short"), ("put_net", "index puts long − short"))
    + _fields("float", PCT, ("fut_long_pct", "index futures long / (long + short)")))

FII_DII_CASH = MeasurementSpec(
    "fii_dii_cash", "participant import (NSE's FII/DII provisional cash data)", "15:30 IST of the day",
    (TagSpec("category", "FII or DII", ("FII", "DII")), SOURCE),
    _fields("float", CRORE, ("buy", "gross purchases"), ("sell", "gross sales"), ("net", "buy − sell")))

ALERTS = MeasurementSpec(
    "alerts", "alert engine (analytics and participant import)", "time of the data that raised it",
    (TagSpec("type", "rule", ("fii_cash", "dii_cash", "pro_client_divergence", "iv_spike", "volume_spike",
                              "oi_change", "large_cash_flow")),
     TagSpec("subject", "what it is about (index and bucket, instrument, category ...)"),
     TagSpec("severity", "critical at twice the threshold", ("warning", "critical")), SOURCE),
    _fields("string", "", ("message", "the alert as shown"))
    + _fields("float", "rule's unit", ("threshold", "the threshold crossed"))
    + _fields("float", CRORE, ("net_crore", "fii/dii_cash, large_cash_flow: net"),
              ("buy_crore", "fii/dii_cash: purchases"), ("sell_crore", "fii/dii_cash: sales"),
              ("inflow_crore", "large_cash_flow: inflow"), ("outflow_crore", "large_cash_flow: outflow"))
    + _fields("integer", CONTRACTS, ("gap", "pro_client_divergence: Pro − Client net index futures"),
              ("gap_change", "pro_client_divergence: day change of the gap"),
              ("pro_change", "pro_client_divergence: Pro's day change"),
              ("client_change", "pro_client_divergence: Client's day change"))
    + _fields("float", "vol points", ("iv_change_points", "iv_spike: ATM IV change since the open"))
    + _fields("float", VOL, ("atm_iv", "iv_spike: ATM IV now"))
    + _fields("float", "units or %", ("value", "volume_spike: interval volume; oi_change: OI change %"),
              ("baseline", "volume_spike: mean volume; oi_change: OI at the interval start"),
              ("ratio", "volume_spike: value / baseline; oi_change: |OI change %|")))

PREMARKET = MeasurementSpec(
    "premarket_summary", "pre-market capture (PREMARKET_CAPTURE_TIME), once a day",
    "the capture time; part gap at 09:15 IST",
    (TagSpec("part", "which summary row", ("chain", "participant", "cash", "gap")),
     TagSpec("index", "index key (chain, gap)", INDEX_KEYS + ("INDIAVIX",), optional=True),
     TagSpec("bucket", "expiry bucket (chain)", BUCKETS, optional=True),
     TagSpec("category", "participant (participant, cash)", CATEGORIES, optional=True), SOURCE),
    _fields("float", "ratio", ("pcr_oi", "chain: previous close"), ("pcr_volume", "chain: previous close"))
    + _fields("float", POINTS, ("max_pain", "chain: previous close"))
    + _fields("float", VOL, ("atm_iv", "chain: previous close"), ("iv_skew", "chain: previous close"))
    + _fields("float", RUPEE, ("total_premium", "chain: previous close"))
    + _fields("integer", CONTRACTS, ("fut_net", "participant"), ("call_net", "participant"),
              ("put_net", "participant"))
    + _fields("float", PCT, ("fut_long_pct", "participant"), ("gap_pct", "gap: in % of the previous close"))
    + _fields("float", CRORE, ("net", "cash: net buy − sell"))
    + _fields("float", POINTS, ("gap", "gap: open − previous close"), ("open", "gap: today's open"),
              ("previous_close", "gap: previous close")))

INSTALL_CHECK = MeasurementSpec(
    "install_check", "Setup > Validate complete installation (write and read-back probe)", "when validated",
    (TagSpec("check", "probe name", ("validate",)),), _fields("integer", "", ("ok", "1")), embedded_only=True)

MEASUREMENTS: dict[str, MeasurementSpec] = {spec.name: spec for spec in (
    LEG, OVERVIEW, OPTION_CHAIN, OPTION_CHAIN_SNAPSHOT, CHAIN, CHAIN_DAILY, CHAIN_PREMIUM_5M, INDEX_DAILY, CASH_FLOW,
    CASH_FLOW_SUMMARY, POSITION_CLOSE, PARTICIPANTS,
    FII_DII_CASH, ALERTS, PREMARKET, INSTALL_CHECK)}


def measurement_spec(name: str) -> MeasurementSpec:
    try:
        return MEASUREMENTS[name]
    except KeyError:
        raise KeyError(f"measurement {name!r} is not declared in op_trading/storage/schema.py") from None


def schema_problems(point: Point) -> list[str]:
    """Every way a point disagrees with its declaration (unknown measurement, tag, value, field or field type)."""
    spec = MEASUREMENTS.get(point.measurement)
    if spec is None:
        return [f"{point.measurement}: measurement not declared"]
    problems = []
    for name, value in point.tags.items():
        tag = spec.tag(name)
        if tag is None:
            problems.append(f"{spec.name}: tag {name!r} not declared")
        elif tag.values and value not in tag.values:
            problems.append(f"{spec.name}: tag {name}={value!r} is not one of {', '.join(tag.values)}")
    problems += [f"{spec.name}: tag {tag.name!r} missing" for tag in spec.tags
                 if not tag.optional and tag.name not in point.tags]
    types = spec.field_types()
    for name, value in point.fields.items():
        declared = types.get(name)
        if declared is None:
            problems.append(f"{spec.name}: field {name!r} not declared")
        elif field_type(value) != declared:
            problems.append(f"{spec.name}: field {name!r} is {field_type(value)}, declared {declared}")
    if not point.fields:
        problems.append(f"{spec.name}: no fields")
    return problems


def field_type(value: Any) -> str:
    """The InfluxDB type a field value is written as (see point.field_value)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, numbers.Integral):
        return "integer"
    if isinstance(value, numbers.Real):
        return "float"
    return "string" if isinstance(value, str) else type(value).__name__


# --------------------------------------------------------------------------------- collector records -> points
LEG_MEASUREMENT = "atm_option_quote"
OVERVIEW_MEASUREMENT = "index_overview"
OPTION_TYPE = {"CALL": "CE", "PUT": "PE"}
SIDE = {code: side for side, code in OPTION_TYPE.items()}

# record key -> field name, in the original order; `leg_strike`, `bid` and `ask` are new. The leg's own strike is
# stored as `leg_strike` because the original `strike` tag (the ATM strike) already owns that name: a field of the
# same name would need `strike::field` in InfluxQL and clash in Flux pivots.
LEG_STRIKE_FIELD = "leg_strike"
LEG_FLOAT_FIELDS = {
    "last_price": "last_price", "average_price": "average_price", "ohlc.open": "ohlc_open",
    "ohlc.high": "ohlc_high", "ohlc.low": "ohlc_low", "ohlc.close": "ohlc_close", "net_change": "net_change",
    "net_change_percent": "net_change_percent", "day_change": "day_change",
    "day_change_percent": "day_change_percent", "iv": "iv", "strike": LEG_STRIKE_FIELD, "bid": "bid", "ask": "ask",
}
LEG_INT_FIELDS = {
    "volume": "volume", "oi": "oi", "oi_open": "oi_open", "oi_change": "oi_change",
    "days_to_expiry": "days_to_expiry", "atm_strike": "atm_strike_val",
}
OVERVIEW_INT_FIELDS = ("atm_strike",)
OVERVIEW_FLOAT_FIELDS = ("last_price", "open", "high", "low", "close", "net_change", "net_change_percent",
                         "day_change", "day_change_percent", "day_width", "day_width_percent")
AGGREGATE_SUFFIXES = ("_TP", "_OI_CALL", "_OI_PUT", "_iv_open", "_iv_day_change", "_atm_iv")


class SchemaError(PointError):
    """A record that cannot become a point (missing key, wrong type); the message names the record and key."""


def leg_point(record: Mapping[str, Any]) -> Point:
    label = _label(record, "index", "side", "bucket", "strike_offset")
    side = _required(record, "side", label)
    if side not in OPTION_TYPE:
        raise SchemaError(f"{label}: side {side!r} is not CALL or PUT")
    tags = {
        "index": _required(record, "index", label), "option_type": OPTION_TYPE[side],
        "expiration": _required(record, "expiry", label),
        "strike": str(_as_int(record, "atm_strike", label, required=True)),
        "bucket": _required(record, "bucket", label), "strike_offset": _required(record, "strike_offset", label),
        "source": record.get("source"),
    }
    fields: dict[str, Any] = {}
    for key, name in LEG_FLOAT_FIELDS.items():
        _put(fields, name, _as_float(record, key, label))
    for key, name in LEG_INT_FIELDS.items():
        _put(fields, name, _as_int(record, key, label))
    return Point(LEG_MEASUREMENT, _present(tags), fields, record_time(record, label))


def overview_point(record: Mapping[str, Any]) -> Point:
    label = _label(record, "symbol")
    tags = _present({"index": _required(record, "symbol", label), "source": record.get("source")})
    fields: dict[str, Any] = {}
    for key in OVERVIEW_INT_FIELDS:
        _put(fields, key, _as_int(record, key, label))
    for key in OVERVIEW_FLOAT_FIELDS:
        _put(fields, key, _as_float(record, key, label))
    for key in record:
        if key.endswith(AGGREGATE_SUFFIXES) or key.startswith("pcr_"):
            _put(fields, key, _as_float(record, key, label))  # OI aggregates are floats in the original schema
        elif key.endswith("_days_to_expiry"):
            _put(fields, key, _as_int(record, key, label))
    if not fields:
        raise SchemaError(f"{label}: no numeric values to store")
    return Point(OVERVIEW_MEASUREMENT, tags, fields, record_time(record, label))


def points_from_records(records: Iterable[Mapping[str, Any]]) -> tuple[list[Point], list[str]]:
    """Leg and overview records (told apart by `side` / `symbol`) as points, plus one message per bad record."""
    points: list[Point] = []
    problems: list[str] = []
    for record in records:
        try:
            points.append(leg_point(record) if "side" in record else overview_point(record))
        except PointError as error:
            problems.append(str(error))
    return points, problems


def leg_record(point: Point) -> dict[str, Any]:
    """A stored `atm_option_quote` point back in the collector's record shape (keys as in upstream §D.3)."""
    tags, fields = point.tags, point.fields
    record: dict[str, Any] = {
        "timestamp": point.time.astimezone(IST).isoformat(), "index": tags.get("index"), "bucket": tags.get("bucket"),
        "side": SIDE.get(tags.get("option_type", ""), tags.get("option_type")), "expiry": tags.get("expiration"),
        "atm_strike": fields.get("atm_strike_val"), "strike": fields.get(LEG_STRIKE_FIELD),
        "strike_offset": tags.get("strike_offset"),
    }
    for key, name in {**LEG_FLOAT_FIELDS, **LEG_INT_FIELDS}.items():
        record.setdefault(key, fields.get(name))
    record["source"] = tags.get("source")
    return record


def record_time(record: Mapping[str, Any], label: str = "record") -> datetime:
    value = _required(record, "timestamp", label)
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise SchemaError(f"{label}: timestamp {value!r} is not an ISO date-time") from None
    if moment.tzinfo is None:
        raise SchemaError(f"{label}: timestamp {value!r} has no UTC offset (records carry IST, +05:30)")
    return moment


def _label(record: Mapping[str, Any], *keys: str) -> str:
    parts = [str(record.get(key)) for key in keys if record.get(key) is not None]
    return " ".join(parts + [str(record.get("timestamp", ""))]).strip() or "record"


def _required(record: Mapping[str, Any], key: str, label: str) -> Any:
    value = record.get(key)
    if value is None or value == "":
        raise SchemaError(f"{label}: missing {key}")
    return value


def _present(tags: dict[str, Any]) -> dict[str, str]:
    """Tags without empty values: line protocol cannot carry an empty tag, so no store keeps one."""
    return {key: str(value) for key, value in tags.items() if value not in (None, "")}


def _put(fields: dict[str, Any], name: str, value: Any) -> None:
    if value is not None:
        fields[name] = value


def _as_float(record: Mapping[str, Any], key: str, label: str) -> float | None:
    value = record.get(key)
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SchemaError(f"{label}: {key}={value!r} is not a number") from None
    return number if math.isfinite(number) else None


def _as_int(record: Mapping[str, Any], key: str, label: str, required: bool = False) -> int | None:
    value = _required(record, key, label) if required else record.get(key)
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    number = _as_float(record, key, label)
    if number is None:
        if required:
            raise SchemaError(f"{label}: {key}={value!r} is not a finite number")
        return None
    if not number.is_integer():
        raise SchemaError(f"{label}: {key}={value!r} must be a whole number (stored as an integer field)")
    return int(number)
