"""Collector records -> points, with the original market_app measurement names and field types (upstream §D.6).

`atm_option_quote` keeps the original tags (index, option_type, expiration, strike = str(atm_strike), bucket) and
adds `strike_offset` and `source`: without strike_offset every offset of one side/expiry shared a series key and
overwrote the others (upstream §G.19). Field types are exactly the original ones, because InfluxDB refuses a write
whose field type differs from what an existing shard holds. None and NaN values are left out (NaN cannot be written).
"""

from __future__ import annotations

import math
import numbers
from datetime import datetime
from typing import Any, Iterable, Mapping

from op_trading.storage.point import IST, Point, PointError

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
