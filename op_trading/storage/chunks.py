"""The embedded store's chunk codec: the points of one series for one day packed into one compressed blob.

Why: one SQLite row per point cost ~33 MiB per trading day (row and index overhead around every 8-byte value). A
series' day is instead stored as columns: times as deltas in the coarsest exact unit (30 s cycles -> tiny repeated
integers), prices as exact scaled integers when they round-trip (ticks of 0.05 -> x100), differences of such prices
as the scaled integer plus a tiny exact correction, other floats byte-shuffled (sign/exponent bytes of neighbouring
values compress well), strings and booleans as lists; then zlib. Nothing is
rounded: a value is encoded as scaled integers only when decoding gives back the identical float.

A column in memory is (values, present): values a numpy array (int64, float64 or object), present a bool array.
"""

from __future__ import annotations

import marshal
import zlib
from typing import Any, Sequence

import numpy as np

Column = tuple[np.ndarray, np.ndarray]
_SCALES = (1, 100, 10_000)
_TIME_UNITS = (1_000_000_000, 1_000_000, 1_000, 1)
_INT_LIMIT = 2 ** 52  # beyond this, float scaling is no longer exact


def column(values: Sequence[Any]) -> Column:
    """Python values (None and NaN = missing) as a typed column: int64 when all present values are ints, float64 when
    floats, else objects (strings, booleans, mixed)."""
    present = np.fromiter((value is not None and value == value for value in values), bool, len(values))
    kinds = {type(value) for value in values if value is not None}
    if kinds == {int} or not kinds:
        try:
            return np.array([0 if value is None else value for value in values], np.int64), present
        except OverflowError:
            pass
    elif kinds == {float}:
        return np.array([np.nan if value is None else value for value in values], np.float64), present
    array = np.empty(len(values), object)
    array[:] = list(values)
    return array, present


def encode(times: np.ndarray, columns: dict[str, Column]) -> bytes:
    body = {"t": _pack_ints(times.astype(np.int64), _TIME_UNITS), "f": {}}
    for name, (values, present) in columns.items():
        if present.any():
            body["f"][name] = _encode_column(values, present)
    return zlib.compress(marshal.dumps(body), 6)


def decode(blob: bytes, names: Sequence[str] | None = None) -> tuple[np.ndarray, dict[str, Column]]:
    body = marshal.loads(zlib.decompress(blob))
    times = _unpack_ints(body["t"])
    wanted = body["f"] if names is None else {name: body["f"][name] for name in names if name in body["f"]}
    return times, {name: _decode_column(packed, len(times)) for name, packed in wanted.items()}


# ---------------------------------------------------------------------------------------------------- columns
def _encode_column(values: np.ndarray, present: np.ndarray) -> tuple:
    mask = None if present.all() else np.packbits(present).tobytes()
    if values.dtype == np.int64:
        return ("i", mask, _pack_ints(_forward_fill(values, present), (1,)))
    if values.dtype == np.float64:
        filled = _forward_fill(np.where(present, values, 0.0), present)
        for scale in _SCALES:
            scaled = np.round(filled * scale)
            if np.abs(scaled).max(initial=0) < _INT_LIMIT and np.array_equal(scaled / scale, filled):
                return ("s", mask, scale, _pack_ints(scaled.astype(np.int64), (1,)))
        residual = _residual(filled)
        if residual is not None:
            return ("r", mask, *residual)
        shuffled = filled.astype("<f8").view(np.uint8).reshape(-1, 8).T.tobytes()
        return ("f", mask, shuffled)
    return ("o", mask, [None if not ok else _plain(value) for value, ok in zip(values.tolist(), present)])


def _decode_column(packed: tuple, count: int) -> Column:
    kind, mask = packed[0], packed[1]
    present = (np.ones(count, bool) if mask is None
               else np.unpackbits(np.frombuffer(mask, np.uint8), count=count).astype(bool))
    if kind == "i":
        return _unpack_ints(packed[2]), present
    if kind == "s":
        return _unpack_ints(packed[3]) / packed[2], present
    if kind == "r":
        approx = _unpack_ints(packed[3]) / packed[2]
        return (approx.view(np.int64) + _unpack_ints(packed[4])).view(np.float64), present
    if kind == "f":
        raw = np.frombuffer(packed[2], np.uint8).reshape(8, -1).T.copy()
        return raw.view("<f8").reshape(-1).astype(np.float64), present
    values = np.empty(count, object)
    values[:] = packed[2]
    return values, present


def _residual(values: np.ndarray) -> tuple | None:
    """Differences of decimals (last - close = 3.3500000000000085) as the decimal's integer plus the exact distance
    in units of the last place from the nearest decimal float: both small integers, exact on decoding."""
    if not np.all(np.isfinite(values)):
        return None
    for scale in _SCALES[1:]:
        scaled = np.round(values * scale)
        if np.abs(scaled).max(initial=0) >= _INT_LIMIT:
            return None
        approx = scaled / scale
        distance = values.view(np.int64) - approx.view(np.int64)
        if np.abs(distance).max(initial=0) < 2 ** 16 and np.array_equal(
                (approx.view(np.int64) + distance).view(np.float64), values):
            return (scale, _pack_ints(scaled.astype(np.int64), (1,)), _pack_ints(distance, (1,)))
    return None


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _forward_fill(values: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Missing entries take the previous value, so deltas stay small (the mask says they are missing)."""
    if present.all() or not present.any():
        return values
    index = np.where(present, np.arange(len(values)), 0)
    np.maximum.accumulate(index, out=index)
    return values[index]


def _pack_ints(values: np.ndarray, units: Sequence[int]) -> tuple:
    """(first, unit, dtype, deltas): deltas in the coarsest unit that divides every value, smallest dtype."""
    if len(values) == 0:
        return (0, 1, "i1", b"")
    unit = next(unit for unit in units if unit == 1 or not np.any(values % unit))
    scaled = values // unit
    deltas = np.diff(scaled)
    low, high = (int(deltas.min()), int(deltas.max())) if len(deltas) else (0, 0)
    dtype = next(kind for kind in ("i1", "i2", "i4", "i8")
                 if np.iinfo(kind).min <= low and high <= np.iinfo(kind).max)
    return (int(scaled[0]), unit, dtype, deltas.astype(dtype).tobytes())


def _unpack_ints(packed: tuple) -> np.ndarray:
    first, unit, dtype, raw = packed
    deltas = np.frombuffer(raw, dtype)
    values = np.empty(len(deltas) + 1, np.int64)
    values[0] = first
    np.cumsum(deltas, dtype=np.int64, out=values[1:])  # widened while summing: no int64 copy of the deltas
    values[1:] += first
    return values if unit == 1 else values * unit
