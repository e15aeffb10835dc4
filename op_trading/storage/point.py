"""One stored observation (measurement, tags, fields, time) and its InfluxDB line-protocol form.

Line protocol is built by hand rather than through influxdb-client's `Point`: serialising `Point` objects caps a
writer at ~18k points/s on this class of machine, direct strings reach ~40k/s (perf-baselines §3).
Escaping follows the line-protocol reference: measurement escapes comma and space; tag keys, tag values and field
keys escape comma, equals sign and space; string field values escape double quote and backslash.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Mapping, Union

from op_trading.market.calendar import IST

FieldValue = Union[float, int, bool, str]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

_MEASUREMENT_ESCAPES = str.maketrans({",": r"\,", " ": r"\ "})
_KEY_ESCAPES = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ "})
_STRING_ESCAPES = str.maketrans({'"': r"\"", "\\": "\\\\"})
_ESCAPED: dict[str, str] = {}  # tag keys/values and field keys repeat every cycle; escape each once
_TAG_SETS: dict[tuple, str] = {}
_ESCAPED_LIMIT = 50_000  # bound the memos so a long run with ever-new strike/expiry values stays flat


class PointError(ValueError):
    """A point that cannot be written (no fields, naive time, newline in a key...)."""


@dataclass(frozen=True)
class Point:
    measurement: str
    tags: Mapping[str, str]
    fields: Mapping[str, FieldValue]
    time: datetime

    def __post_init__(self) -> None:
        if self.time.tzinfo is None or self.time.utcoffset() is None:
            raise PointError(f"{self.measurement}: time {self.time.isoformat()} has no UTC offset")
        if not self.measurement:
            raise PointError("a point needs a measurement name")

    @property
    def time_ns(self) -> int:
        return time_to_ns(self.time)

    def series_key(self) -> tuple:
        """What InfluxDB identifies a series by; the same key and time overwrite instead of duplicating."""
        return (self.measurement, tuple(sorted(self.tags.items())))

    def to_line_protocol(self) -> str:
        fields = field_set(self.fields)
        if not fields:
            raise PointError(f"{self.measurement}: no writable fields (None/NaN values are dropped)")
        return f"{self.measurement.translate(_MEASUREMENT_ESCAPES)}{tag_set(self.tags)} {fields} {self.time_ns}"


def time_to_ns(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000


def ns_to_time(ns: int, tz: timezone = IST) -> datetime:
    return datetime.fromtimestamp(0, tz) + timedelta(microseconds=ns // 1_000)


def escape_key(text: str) -> str:
    escaped = _ESCAPED.get(text)
    if escaped is None:
        if "\n" in text:
            raise PointError(f"newline in tag or field key/value {text!r}")
        if len(_ESCAPED) >= _ESCAPED_LIMIT:
            _ESCAPED.clear()
        escaped = _ESCAPED[text] = text.translate(_KEY_ESCAPES)
    return escaped


def tag_set(tags: Mapping[str, str]) -> str:
    """`,k=v` pairs sorted by key (InfluxDB's preferred order); empty values are left out, as the protocol requires."""
    items = tuple(tags.items())
    text = _TAG_SETS.get(items)
    if text is None:  # a series' tag set repeats every cycle: build it once
        if len(_TAG_SETS) >= _ESCAPED_LIMIT:
            _TAG_SETS.clear()
        text = _TAG_SETS[items] = "".join(
            f",{escape_key(key)}={escape_key(value)}" for key, value in sorted(items) if value)
    return text


def field_set(fields: Mapping[str, FieldValue]) -> str:
    # the hot loop of every InfluxDB write: floats and ints inline, the rest through field_value
    parts = []
    for key, value in fields.items():
        kind = type(value)
        if kind is float:
            if value - value != 0:  # NaN or ±inf: the protocol cannot carry them
                continue
            text = repr(value)
        elif kind is int:
            text = f"{value}i"
        else:
            text = field_value(value)
            if text is None:
                continue
        parts.append(f"{_ESCAPED.get(key) or escape_key(key)}={text}")
    return ",".join(parts)


def field_value(value: FieldValue | None) -> str | None:
    """Line-protocol text of a value; None for values the protocol cannot hold (None, NaN, ±inf)."""
    kind = type(value)
    if kind is float:
        return repr(value) if math.isfinite(value) else None
    if kind is int:
        return f"{value}i"
    if kind is bool:
        return "true" if value else "false"
    if kind is str:
        return f'"{value.translate(_STRING_ESCAPES)}"'
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):  # numpy integers and other int types
        return f"{int(value)}i"
    if isinstance(value, numbers.Real):  # numpy floats
        number = float(value)
        return repr(number) if math.isfinite(number) else None
    raise PointError(f"unsupported field value {value!r} of type {kind.__name__}")
