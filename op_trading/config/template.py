"""`env-template.txt`, generated from the field definitions (the committed file is checked against this text).

A new `.env` starts as this text too. Variables whose default depends on the mode are left empty: empty means
"use the mode's default", so a `.env` written in setup mode does not pin setup's defaults on production.
Secrets are always empty here.
"""

from __future__ import annotations

from op_trading.config.fields import Field, Section

HEADER = """\
# OP Trading Platform configuration.
# Generated from wizards/environment.py by `python op_trading_setup.py env-template --write`; do not edit by hand.
# Copy to .env (or run the Environment configuration wizard, which writes .env for you).
# Precedence: --set KEY=VALUE, then the process environment, then .env, then the mode default shown here.
# An empty value means "not set": the default applies.
"""


def render_template(sections: tuple[Section, ...] | None = None) -> str:
    if sections is None:
        from wizards.environment import SECTIONS

        sections = SECTIONS
    blocks = [HEADER]
    for section in sections:
        lines = [f"# {'=' * 100}", f"# {section.title}", f"# {'=' * 100}"]
        for f in section.fields:
            lines.extend(_field_lines(f))
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def _field_lines(f: Field) -> list[str]:
    lines = [f"# {f.prompt}." + (f" {f.help}" if f.help else "")]
    lines.append(f"# {describe_kind(f)}")
    if f.profiles:
        per_mode = ", ".join(f"{mode}: {value or 'empty'}" for mode, value in f.profiles.items())
        lines.append(f"# Default: {f.default or 'empty'} ({per_mode}).")
    if f.required_for:
        lines.append(f"# Required for: {', '.join(f.required_for)}.")
    value = "" if (f.secret or f.profiles) else f.default
    line = f"{f.env}={value}"
    if not f.persist:
        lines.append("# Only taken from --set or the environment; the app never writes it to .env.")
        line = "# " + line
    lines.append(line)
    lines.append("")
    return lines


def describe_kind(f: Field) -> str:
    if f.secret:
        return "Secret: masked on screen, never logged."
    limits = ""
    if f.minimum is not None or f.maximum is not None:
        low = "" if f.minimum is None else _number(f.minimum)
        high = "" if f.maximum is None else _number(f.maximum)
        limits = f" ({low}..{high})"
    kinds = {
        "int": "Whole number" + limits + ".",
        "float": "Number" + limits + ".",
        "bool": "true or false.",
        "choice": "One of: " + ", ".join(f.choices) + ".",
        "list": "Comma list" + (" of: " + ", ".join(f.choices) if f.choices else "") + ".",
        "int_list": "Comma list of whole numbers" + limits + ".",
        "url": "URL.",
        "time": "Time HH:MM (24-hour, IST).",
        "path": "Path (relative paths are inside the project folder).",
        "text": "Text.",
    }
    return kinds[f.kind]


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
