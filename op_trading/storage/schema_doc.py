"""The README's storage schema, generated from `schema.MEASUREMENTS` (a test keeps the README equal to this text).

`python op_trading_setup.py env-template --write` regenerates it together with the configuration reference.
"""

from __future__ import annotations

from op_trading.storage.schema import BUCKET_ROUTES, DEFAULT_ROUTE, MEASUREMENTS, MeasurementSpec

README_START = "<!-- storage schema: generated from op_trading/storage/schema.py by " \
               "`python op_trading_setup.py env-template --write` -->"
README_END = "<!-- end of storage schema -->"


def render_schema() -> str:
    routes = ", ".join(f"`{pattern}` → `{bucket}` (`{setting}`)" for pattern, bucket, setting in BUCKET_ROUTES)
    parts = [f"Buckets: {routes}, everything else → `{DEFAULT_ROUTE[0]}` (`{DEFAULT_ROUTE[1]}`). "
             "Fields without a value (None, NaN) are left out of a point, never written as 0. "
             "`{bucket}` / `{BUCKET}` in a field name stands for each expiry bucket "
             "(`this_week`, `next_week`, `this_month`, `next_month`; upper case for `{BUCKET}`).",
             "",
             "| Measurement | Bucket | Written by | Time | Tags |", "|---|---|---|---|---|"]
    for spec in MEASUREMENTS.values():
        bucket = "embedded store only" if spec.embedded_only else f"`{spec.bucket}`"
        parts.append(f"| `{spec.name}` | {bucket} | {_cell(spec.written_by)} | {_cell(spec.time)} | "
                     f"{_tags(spec)} |")
    for spec in MEASUREMENTS.values():
        parts += ["", f"`{spec.name}` fields:", "", "| Field | Type | Unit | Meaning |", "|---|---|---|---|"]
        parts += [f"| `{field.name}` | {field.type} | {_cell(field.unit)} | {_cell(field.meaning)} |"
                  for field in spec.fields]
    return "\n".join(parts) + "\n"


def _tags(spec: MeasurementSpec) -> str:
    texts = []
    for tag in spec.tags:
        optional = " (optional)" if tag.optional else ""
        texts.append(f"`{tag.name}`{optional}: {', '.join(tag.values) if tag.values else tag.meaning}")
    return _cell("; ".join(texts))


def _cell(text: str) -> str:
    return text.replace("|", "\\|") or "—"


def replace_schema(readme: str) -> str:
    """README text with the generated schema between its markers."""
    from op_trading.config.template import replace_between

    return replace_between(readme, README_START, README_END, render_schema(), "storage schema")
